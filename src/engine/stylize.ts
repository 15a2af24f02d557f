// The optimisation loop: builds the objective, picks the initial image, and drives Adam or L-BFGS
// through an evaluate wrapper that clamps, counts iterations, reports progress and previews, and
// honours cancellation.
import { initialImage } from './init-image.ts';
import { minimizeAdam } from './optim/adam.ts';
import { minimizeLbfgs } from './optim/lbfgs.ts';
import { CancelledError, EngineError, type Losses, type StylizeRequest, type StylizeResult } from './types.ts';
import type { Engine } from './engine.ts';

export function clamp01(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < 0) x[i] = 0;
    else if (v > 1) x[i] = 1;
    else if (v !== v) x[i] = 0; // NaN would poison every later step
  }
}

/** Lets queued I/O (an abort arriving over IPC, a chat cancel button) run between evaluations. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function outputSize(req: StylizeRequest): { width: number; height: number } {
  const size = req.content ?? req.outputSize ?? req.styles[0];
  if (!size) throw new EngineError('nothing to size the output by: give a content image, an output size or a style image');
  const { width, height } = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EngineError(`bad output size ${width}×${height}`);
  }
  return { width, height };
}

export async function stylize(engine: Engine, req: StylizeRequest): Promise<StylizeResult> {
  const start = performance.now();
  const { options: o, signal } = req;
  if (signal?.aborted) throw new CancelledError();
  const { width, height } = outputSize(req);

  const objective = await engine.createObjective(o, req.content, req.styles, { width, height });
  try {
    const x0 = initialImage(o.init, width, height, { content: req.content, styles: req.styles, initImage: req.initImage, seed: o.seed });

    let iteration = -1;
    let lastEnd = performance.now();
    let firstIterationMs = 0;
    let laterMs = 0;
    let last: Losses | undefined;
    let best: Losses | undefined;

    const evaluate = async (x: Float32Array) => {
      await yieldToEventLoop();
      if (signal?.aborted) throw new CancelledError();
      clamp01(x);
      const { losses, grad } = await objective.evaluate(x, width, height);
      iteration++;
      const now = performance.now();
      const iterationMs = now - lastEnd;
      lastEnd = now;
      if (iteration === 0) firstIterationMs = iterationMs;
      else laterMs += iterationMs;
      const perIteration = iteration === 0 ? firstIterationMs : laterMs / iteration;
      last = losses;
      if (!best || losses.total < best.total) best = losses;
      req.onProgress?.({
        iteration,
        steps: o.steps,
        losses,
        iterationMs,
        elapsedMs: now - start,
        etaMs: Math.max(0, o.steps - iteration) * perIteration,
      });
      if (req.onPreview && o.saveEvery > 0 && iteration > 0 && iteration % o.saveEvery === 0) {
        req.onPreview(iteration, { width, height, data: x.slice() });
      }
      return { loss: losses.total, grad };
    };

    let result: { x: Float32Array; loss: number };
    try {
      result =
        o.optimizer === 'adam'
          ? await minimizeAdam(evaluate, x0, { steps: o.steps, lr: o.lr, project: clamp01, signal })
          : await minimizeLbfgs(evaluate, x0, { maxEvaluations: o.steps, history: o.lbfgsHistory, signal });
    } catch (e) {
      // Whatever an optimiser throws on abort, callers see one error type.
      if (signal?.aborted) throw new CancelledError();
      throw e;
    }
    if (signal?.aborted) throw new CancelledError();

    const image = result.x;
    clamp01(image);
    // Adam returns its last point and L-BFGS its best one: report the losses evaluated there.
    const losses = last && result.loss === last.total ? last : best && result.loss === best.total ? best : last;
    if (!losses) throw new EngineError('the optimiser returned without evaluating the image');
    return { image: { width, height, data: image }, losses, iterations: iteration, runtimeMs: performance.now() - start };
  } finally {
    objective.dispose();
  }
}
