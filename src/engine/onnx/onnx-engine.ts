// The objective on ONNX Runtime: per layer choice, a target session and a loss session built from
// the graphs in vgg-graph.ts, created once per process and reused by every job with that choice
// (creation takes about a second). The image, targets and weights go in; losses and the gradient
// come out of one run.
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { logger } from '../../log.ts';
import type { Engine, EngineObjective } from '../engine.ts';
import { GramCache, gramKey } from '../gram-cache.ts';
import { machineMemoryBudget } from '../memory-estimate.ts';
import { planObjective } from '../objective-plan.ts';
import type { RGBImage, VggWeights } from '../types.ts';
import { buildLossModel, buildTargetModel, IO, type LayerChoice } from './vgg-graph.ts';

type Ort = typeof import('onnxruntime-node');

export type OnnxProvider = 'cpu' | 'webgpu' | 'cuda';

export interface OnnxEngineOptions {
  provider: OnnxProvider;
  /** Intra-op threads: the cores given to this engine process (ORT's pool spins on every one). */
  threads: number;
  /** Style Grams kept across jobs; default: a cache of STYLIZE_GRAM_CACHE_MB. */
  gramCache?: GramCache;
}

let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, loaded on first use so tfjs-only processes never map its 45 MB library. */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node');
  return ortModule;
}

export function sessionOptions(o: OnnxEngineOptions): InferenceSession.SessionOptions {
  return {
    executionProviders: [o.provider],
    intraOpNumThreads: o.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // 3 = errors only: ORT warns about every initializer it constant-folds away otherwise.
    logSeverityLevel: 3,
  };
}

interface Sessions {
  /** Content features and style Grams of an image: one session for both keeps one copy of the weights. */
  targets: InferenceSession;
  loss: InferenceSession;
}

function choiceKey(c: LayerChoice): string {
  return `${c.pooling}|${c.contentLayers.join(',')}|${c.styleLayers.join(',')}`;
}

function toTensor(ort: Ort, image: RGBImage): OrtTensor {
  return new ort.Tensor('float32', image.data, [1, image.height, image.width, 3]);
}

/** Σ wᵢ·Gᵢ of the style images' Grams, in float64 before rounding once. */
function blendGrams(grams: Float32Array[], weights: readonly number[]): Float32Array {
  if (grams.length === 1 && weights[0] === 1) return grams[0];
  const out = new Float32Array(grams[0].length);
  for (let k = 0; k < out.length; k++) {
    let v = 0;
    for (let i = 0; i < grams.length; i++) v += weights[i] * grams[i][k];
    out[k] = v;
  }
  return out;
}

export async function createOnnxEngine(weights: VggWeights, opts: OnnxEngineOptions): Promise<Engine> {
  const ort = await loadOrt();
  const cache = new Map<string, Promise<Sessions>>();
  const grams = opts.gramCache ?? new GramCache();
  const backend = `onnx-${opts.provider}`;
  let disposed = false;

  const create = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, sessionOptions(opts));

  const sessionsFor = (choice: LayerChoice): Promise<Sessions> => {
    const key = choiceKey(choice);
    let sessions = cache.get(key);
    if (!sessions) {
      sessions = (async () => {
        const started = performance.now();
        // One after the other: each creation prepacks the weights, and peaks would add up.
        const targets = await create(buildTargetModel(weights, choice));
        const loss = await create(buildLossModel(weights, choice));
        logger.debug({ backend, layers: key, ms: Math.round(performance.now() - started) }, 'onnx sessions created');
        return { targets, loss };
      })();
      // A failed creation is not cached: the next job tries again.
      sessions.catch(() => cache.delete(key));
      cache.set(key, sessions);
    }
    return sessions;
  };

  return {
    backend,
    channels: weights.map((w) => w.cout),
    // No fixed heap as on wasm: the process may grow to the machine's (or cgroup's) memory. Device
    // memory of the GPU providers is not reported.
    memoryBudget: () => (opts.provider === 'cpu' ? machineMemoryBudget() : null),
    async createObjective(o, content, styles, outputSize): Promise<EngineObjective> {
      if (disposed) throw new Error('the ONNX engine was disposed');
      const plan = planObjective(o, content, styles, outputSize);
      const choice: LayerChoice = { contentLayers: plan.contentLayers, styleLayers: plan.styleLayers, pooling: o.pooling };
      const sessions = await sessionsFor(choice);
      const targets: Record<string, OrtTensor> = {};
      if (plan.useContent && content) {
        const out = await sessions.targets.run({ [IO.image]: toTensor(ort, content) }, plan.contentLayers.map(IO.features));
        for (const layer of plan.contentLayers) targets[IO.contentTarget(layer)] = out[IO.features(layer)];
      }
      if (plan.useStyle) {
        const perImage: Float32Array[][] = [];
        for (const s of styles) {
          perImage.push(
            await grams.get(gramKey(s, plan.styleLayers, o.pooling), async () => {
              const out = await sessions.targets.run({ [IO.image]: toTensor(ort, s) }, plan.styleLayers.map(IO.gram));
              return plan.styleLayers.map((l) => out[IO.gram(l)].data as Float32Array);
            }),
          );
        }
        plan.styleLayers.forEach((layer, j) => {
          const c = Math.round(Math.sqrt(perImage[0][j].length));
          targets[IO.styleTarget(layer)] = new ort.Tensor('float32', blendGrams(perImage.map((g) => g[j]), plan.blend), [c, c]);
        });
      }
      const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
      const fixed = {
        ...targets,
        [IO.contentWeight]: scalar(o.contentWeight),
        [IO.styleWeight]: scalar(o.styleWeight),
        [IO.tvWeight]: scalar(o.tvWeight),
      };
      return {
        contentLayers: plan.contentLayers,
        styleLayers: plan.styleLayers,
        async evaluate(x, width, height) {
          const image = new ort.Tensor('float32', x, [1, height, width, 3]);
          const out = await sessions.loss.run({ ...fixed, [IO.image]: image });
          const value = (name: string) => (out[name].data as Float32Array)[0];
          return {
            losses: { content: value(IO.content), style: value(IO.style), tv: value(IO.tv), total: value(IO.total) },
            grad: out[IO.grad].data as Float32Array,
          };
        },
        dispose() {
          // Targets are plain buffers owned by the GC; the sessions stay cached for the next job.
        },
      };
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const all = await Promise.allSettled([...cache.values()]);
      cache.clear();
      grams.clear();
      for (const s of all) {
        if (s.status !== 'fulfilled') continue;
        await Promise.all([s.value.targets.release(), s.value.loss.release()]);
      }
    },
  };
}
