// Files/buffers in, finished PNG out: checks what the mode needs, decodes every input at the size the
// optimisation uses (recolouring the styles to the content's palette for colors=palette), runs
// stylize, restores the content's colours for colors=keep, encodes. Shared by the
// CLI and the job worker process. A coarse-to-fine run (options.scales, multires, multiresAbove)
// repeats decode + stylize at each scale, starting each from the previous result upsampled.
import { logger } from '../log.ts';
import { colorsOf, type StyleOptions } from '../options.ts';
import { keepOriginalColors } from './colors.ts';
import { decodeImage, encodePng, fitLongSide, ImageError, imageSize, resizeImage } from './image.ts';
import { initialImage } from './init-image.ts';
import { frameInterval, type Frame } from './visuals/frames.ts';
import type { DecodeOptions } from './image.ts';
import { checkMemory, type Footprint, type Size } from './memory-estimate.ts';
import { matchColorStatistics } from './palette.ts';
import { coarseToFineEtaMs, planScales, type ScalePlan } from './multires.ts';
import { minimumSide } from './objective-plan.ts';
import { stylize } from './stylize.ts';
import { CancelledError, EngineError } from './types.ts';
import type { Losses, Progress, RGBImage } from './types.ts';
import type { Engine } from './engine.ts';

export interface PipelineInput {
  content?: Buffer | string;
  styles: (Buffer | string)[];
  initImage?: Buffer | string;
  options: StyleOptions;
  engine: Engine;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Encoded PNG of the current image (colors=keep applied), every options.saveEvery iterations. */
  onPreview?: (iteration: number, png: Buffer) => void;
  maxInputPixels?: number;
  /**
   * After each scale of a coarse-to-fine run (once for a single-scale run): the image that scale
   * ended with, before colors=keep is applied. The next scale starts from it upsampled.
   */
  onScaleDone?: (scale: { scale: number; scales: number; image: RGBImage }) => void;
  /**
   * Time-lapse: the image as it forms (colors=keep applied), at the initial image, about
   * FRAME_TARGET times spread over the run, and at the end of every scale.
   */
  onFrame?: (frame: Frame) => void;
}

export interface PipelineResult {
  png: Buffer;
  width: number;
  height: number;
  /** The final scale's losses. */
  losses: Losses;
  /** Summed over every scale. */
  iterations: number;
  /** Wall time of the whole pipeline: decoding, optimisation and encoding. */
  runtimeMs: number;
}

interface Needs {
  content: boolean;
  styles: boolean;
}

/** Which inputs the mode and init use; inputs it does not use are ignored, not decoded. */
function needs(o: StyleOptions): Needs {
  return {
    content: o.mode !== 'texture' || o.init === 'content',
    styles: o.mode !== 'reconstruct' || o.init === 'style',
  };
}

function checkInputs(input: PipelineInput, need: Needs): void {
  const o = input.options;
  const styleCount = input.styles.length;
  if (o.mode !== 'texture' && !input.content) throw new EngineError(`${o.mode} mode needs a content image`);
  if (o.mode !== 'reconstruct' && styleCount === 0) throw new EngineError(`${o.mode} mode needs at least one style image`);
  if (o.init === 'content' && !input.content) throw new EngineError('init=content needs a content image');
  if (o.init === 'style' && styleCount === 0) throw new EngineError('init=style needs a style image');
  if (o.init === 'image' && !input.initImage) throw new EngineError('init=image needs an initial image (init-image)');
  if (need.styles && o.styleBlend && o.styleBlend.length !== styleCount) {
    const weights = `${o.styleBlend.length} weight${o.styleBlend.length === 1 ? '' : 's'}`;
    throw new EngineError(`style-blend has ${weights} but there ${styleCount === 1 ? 'is 1 style image' : `are ${styleCount} style images`}`);
  }
}

/** Runs an image step for one input, naming the input in any ImageError ("style image 2: not an image (…)"). */
async function asInput<T>(role: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(`${role}: ${e.message}`);
    throw e;
  }
}

function decodeAs(role: string, source: Buffer | string, o: DecodeOptions): Promise<RGBImage> {
  return asInput(role, () => decodeImage(source, o));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

interface InputSizes {
  /** Displayed size of the content image, when the run uses it. */
  content?: Size;
  styles: Size[];
}

function roleOfStyle(input: PipelineInput, i: number): string {
  return input.styles.length === 1 ? 'style image' : `style image ${i + 1}`;
}

/** Sizes from the file headers only, so every scale's sizes (and the memory check) are known before decoding. */
async function readHeaders(input: PipelineInput, need: Needs): Promise<InputSizes> {
  const { maxInputPixels, signal } = input;
  const content = need.content && input.content ? await asInput('content image', () => imageSize(input.content!, { maxInputPixels })) : undefined;
  const styles: Size[] = [];
  if (need.styles) {
    for (const [i, source] of input.styles.entries()) {
      throwIfAborted(signal);
      styles.push(await asInput(roleOfStyle(input, i), () => imageSize(source, { maxInputPixels })));
    }
  }
  return { content, styles };
}

function styleSide(o: StyleOptions, side: number): number {
  return Math.max(1, Math.round(side * o.styleScale));
}

/**
 * Output and style sizes at long side `side`, as decodeImage will produce them. Without content
 * (texture) the output takes the first style's aspect ratio at the full side, from its header rather
 * than the style decoded at styleScale, whose rounding would skew it.
 */
function footprintAt(o: StyleOptions, h: InputSizes, side: number): Footprint {
  const base = h.content ?? h.styles[0];
  if (!base) throw new EngineError(`${o.mode} mode needs a content image`);
  return {
    output: fitLongSide(base.width, base.height, side),
    styles: h.styles.map((s) => fitLongSide(s.width, s.height, styleSide(o, side))),
  };
}

function usedLayers(o: StyleOptions): string[] {
  return [...(o.mode === 'texture' ? [] : o.contentLayers), ...(o.mode === 'reconstruct' ? [] : o.styleLayers)];
}

/** A coarse scale too small for the deepest layer would fail only after the scales before it ran. */
function checkScaleSizes(o: StyleOptions, plan: ScalePlan, h: InputSizes): void {
  if (plan.sides.length < 2) return;
  const min = minimumSide(usedLayers(o));
  for (const [i, side] of plan.sides.entries()) {
    const { output } = footprintAt(o, h, side);
    if (Math.min(output.width, output.height) < min) {
      throw new EngineError(
        `scale ${i + 1} of ${plan.sides.length} (${side} px) would be ${output.width}×${output.height}: the chosen layers need at least ${min} px per side, so start at a larger size`,
      );
    }
  }
}

interface ScaleInputs {
  content?: RGBImage;
  styles: RGBImage[];
  outputSize: Size;
}

async function decodeScale(input: PipelineInput, need: Needs, h: InputSizes, side: number): Promise<ScaleInputs> {
  const o = input.options;
  const { signal, maxInputPixels } = input;
  const content = need.content && input.content ? await decodeAs('content image', input.content, { longSide: side, maxInputPixels }) : undefined;
  const styles: RGBImage[] = [];
  if (need.styles) {
    for (const [i, source] of input.styles.entries()) {
      throwIfAborted(signal);
      styles.push(await decodeAs(roleOfStyle(input, i), source, { longSide: styleSide(o, side), maxInputPixels }));
    }
  }
  const outputSize = content ? { width: content.width, height: content.height } : footprintAt(o, h, side).output;
  // Recoloured at every scale from that scale's content, so the statistics match what the run sees.
  const recoloured = colorsOf(o) === 'palette' && o.mode === 'transfer' && content ? styles.map((s) => matchColorStatistics(s, content)) : styles;
  return { content, styles: recoloured, outputSize };
}

/** Milliseconds per iteration as stylize estimates it: the first alone, then the mean of the later ones. */
function paceMeter(): (p: Progress) => number {
  let first = 0;
  let later = 0;
  return (p) => {
    if (p.iteration === 0) {
      first = p.iterationMs;
      later = 0;
      return first;
    }
    later += p.iterationMs;
    return later / p.iteration;
  };
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const start = performance.now();
  const o = input.options;
  const need = needs(o);
  checkInputs(input, need);
  const plan = planScales(o);
  const { signal, maxInputPixels } = input;
  throwIfAborted(signal);

  const headers = await readHeaders(input, need);
  checkScaleSizes(o, plan, headers);
  // Before any pixel is decoded: the last scale is the largest, and the wasm heap never shrinks.
  checkMemory(o, input.engine.channels, o.size, (side) => footprintAt(o, headers, side), input.engine.memoryBudget());

  const scales = plan.sides.length;
  const multi = scales > 1;
  const onFrame = input.onFrame;
  const frameEvery = frameInterval(plan.steps.reduce((a, b) => a + b, 0));
  // stylize calls onPreview synchronously; encoding is async, so previews are chained to arrive in
  // order and are all delivered before runPipeline settles. A failed preview must not fail the job.
  let previews: Promise<void> = Promise.resolve();
  let previous: RGBImage | undefined;
  let iterations = 0;
  let final: { image: RGBImage; losses: Losses; recolor: (img: RGBImage) => RGBImage } | undefined;

  try {
    for (const [index, side] of plan.sides.entries()) {
      throwIfAborted(signal);
      const { content, styles, outputSize } = await decodeScale(input, need, headers, side);
      let initImage: RGBImage | undefined;
      let init = o.init;
      if (previous) {
        initImage = await resizeImage(previous, outputSize.width, outputSize.height);
        init = 'image';
      } else if (o.init === 'image' && input.initImage) {
        throwIfAborted(signal);
        initImage = await decodeAs('init image', input.initImage, { ...outputSize, maxInputPixels });
      }
      throwIfAborted(signal);
      logger.debug(
        { mode: o.mode, scale: `${index + 1}/${scales}`, output: outputSize, styles: styles.map((s) => `${s.width}×${s.height}`), init },
        'pipeline inputs decoded',
      );

      const recolor =
        colorsOf(o) === 'keep' && o.mode === 'transfer' && content ? (img: RGBImage) => keepOriginalColors(img, content) : (img: RGBImage) => img;
      const deliver = input.onPreview;
      // Iterations restart at each scale; previews are numbered across the run so none overwrites another.
      const offset = iterations;
      if (onFrame && index === 0) {
        const { width, height } = outputSize;
        const start = initialImage(init, width, height, { content, styles, initImage, seed: o.seed });
        onFrame({ iteration: 0, scale: 1, image: recolor({ width, height, data: start }) });
      }
      // Frames ride on stylize's preview callback: it is called every gcd of both intervals.
      const saveEvery = onFrame ? gcd(o.saveEvery, frameEvery) : o.saveEvery;
      const onPreview = deliver || onFrame
        ? (iteration: number, image: RGBImage) => {
            if (onFrame && iteration % frameEvery === 0) onFrame({ iteration: offset + iteration, scale: index + 1, image: recolor(image) });
            if (!deliver || o.saveEvery <= 0 || iteration % o.saveEvery !== 0) return;
            const shown = recolor(image);
            previews = previews
              .then(async () => deliver(offset + iteration, await encodePng(shown)))
              .catch((e: unknown) => logger.warn({ err: (e as Error).message, iteration: offset + iteration }, 'preview failed'));
          }
        : undefined;
      const report = input.onProgress;
      const pace = paceMeter();
      const onProgress =
        report && multi
          ? (p: Progress) =>
              report({
                ...p,
                elapsedMs: performance.now() - start,
                etaMs: coarseToFineEtaMs(plan, index, p.iteration, pace(p)),
                scale: index + 1,
                scales,
              })
          : report;

      const result = await stylize(input.engine, {
        options: { ...o, init, steps: plan.steps[index], saveEvery },
        content,
        styles,
        initImage,
        outputSize: content ? undefined : outputSize,
        signal,
        onProgress,
        onPreview,
      });
      iterations += result.iterations;
      previous = result.image;
      final = { image: result.image, losses: result.losses, recolor };
      input.onScaleDone?.({ scale: index + 1, scales, image: result.image });
      if (onFrame && index < scales - 1) onFrame({ iteration: iterations, scale: index + 1, image: recolor(result.image) });
    }
  } finally {
    await previews;
  }
  if (!final) throw new EngineError('no scale to optimise');

  const shown = final.recolor(final.image);
  const png = await encodePng(shown);
  onFrame?.({ iteration: iterations, scale: scales, image: shown });
  return {
    png,
    width: shown.width,
    height: shown.height,
    losses: final.losses,
    iterations,
    runtimeMs: performance.now() - start,
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
