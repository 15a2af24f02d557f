// Stand-in VGG-19 weights for tests: the real layout and sizes (so the real loader accepts them),
// deterministic per seed, and fast enough (~20 M floats) that every test file can make its own.
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VggWeights } from '../../src/engine/types.ts';
import { tempPathFor, writeSafetensors } from '../../src/engine/weights/safetensors.ts';
import type { FloatDtype, WritableTensor } from '../../src/engine/weights/safetensors.ts';
import { VGG19_CHANNELS, VGG19_CONV_INDICES } from '../../src/engine/weights/vgg-weights.ts';

/** xorshift32 filling `out` with uniform values in [-bound, bound); returns the next state. */
function fillUniform(out: Float32Array, state: number, bound: number): number {
  let s = state | 0 || 0x9e3779b9;
  const scale = (2 * bound) / 4294967296;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) * scale - bound;
  }
  return s;
}

/** Mixes the seed so that nearby seeds give unrelated streams. */
function seedState(seed: number): number {
  let h = Math.imul((seed | 0) ^ 0x85ebca6b, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x27d4eb2f);
  h ^= h >>> 15;
  return h || 1;
}

/**
 * He-scaled uniform VGG-19 weights (U(±√(6/fan_in)), fan_in = 9·cin; biases U(±0.05)), deterministic
 * per seed. Activations keep roughly unit scale through all 16 convs, like the trained network's.
 */
export function randomVggWeights(seed: number): VggWeights {
  let state = seedState(seed);
  return VGG19_CHANNELS.map(([cin, cout]) => {
    const weight = new Float32Array(cout * cin * 9);
    const bias = new Float32Array(cout);
    state = fillUniform(weight, state, Math.sqrt(6 / (cin * 9)));
    state = fillUniform(bias, state, 0.05);
    return { cin, cout, weight, bias };
  });
}

/**
 * Weights from a closed formula, for golden values another implementation can reproduce exactly.
 * For conv l (0-based, fan_in = 9·cin) and the flat index i of an element of weight [cout, cin, 3, 3]:
 *   u = ((i + 1) · 40503 + (l + 1) · 7919) mod 4194301,  w = (2u / 4194301 − 1) · √(6 / fan_in)
 * and bias element j: b = ((j + 1) · 40503 + (l + 1) · 7919) mod 4194301 / 4194301 · 0.1 − 0.05,
 * computed in float64 and rounded once to float32. In numpy:
 *   u = ((np.arange(n, dtype=np.int64) + 1) * 40503 + (l + 1) * 7919) % 4194301
 *   w = ((2 * u / 4194301 - 1) * np.sqrt(6 / fan_in)).astype(np.float32)
 */
export function formulaVggWeights(): VggWeights {
  const M = 4194301;
  const fill = (out: Float32Array, l: number, f: (u: number) => number): Float32Array => {
    for (let i = 0; i < out.length; i++) out[i] = f(((i + 1) * 40503 + (l + 1) * 7919) % M);
    return out;
  };
  return VGG19_CHANNELS.map(([cin, cout], l) => {
    const bound = Math.sqrt(6 / (cin * 9));
    return {
      cin,
      cout,
      weight: fill(new Float32Array(cout * cin * 9), l, (u) => ((2 * u) / M - 1) * bound),
      bias: fill(new Float32Array(cout), l, (u) => (u / M) * 0.1 - 0.05),
    };
  });
}

/** The 32 tensors of `weights` under torchvision names (weight, bias per conv, in network order). */
export function vggTensors(weights: VggWeights, opts: { dtype?: FloatDtype; prefix?: string } = {}): [string, WritableTensor][] {
  const prefix = opts.prefix ?? '';
  return weights.flatMap((c, k): [string, WritableTensor][] => [
    [`${prefix}features.${VGG19_CONV_INDICES[k]}.weight`, { shape: [c.cout, c.cin, 3, 3], data: c.weight, dtype: opts.dtype }],
    [`${prefix}features.${VGG19_CONV_INDICES[k]}.bias`, { shape: [c.cout], data: c.bias, dtype: opts.dtype }],
  ]);
}

export interface RandomWeightsFileOptions {
  /** Storage dtype (default F32); F16/BF16 round the values. */
  dtype?: FloatDtype;
  /** Put before every key, e.g. 'model.'. */
  prefix?: string;
  /**
   * Non-VGG tensors to add, e.g. { 'head.fc.weight': { shape: [1000, 512] } } (filled with seeded
   * random values unless `data` is given). All tensors are written sorted by name, as the
   * reference writer does, so 'head.*' lands after 'features.*'.
   */
  extraTensors?: Record<string, { shape: number[]; data?: Float32Array; dtype?: FloatDtype }>;
}

const CACHE_VERSION = 1;
const CACHE_DIR = join(tmpdir(), 'stylize-test-weights');

function cacheKey(seed: number, opts: RandomWeightsFileOptions): string | undefined {
  if (opts.extraTensors && Object.values(opts.extraTensors).some((t) => t.data)) return undefined;
  const extras = Object.entries(opts.extraTensors ?? {}).map(([n, t]) => `${n}:${t.shape.join('x')}:${t.dtype ?? 'F32'}`);
  const raw = [CACHE_VERSION, seed, opts.dtype ?? 'F32', opts.prefix ?? '', ...extras].join('|');
  return Buffer.from(raw).toString('base64url');
}

/**
 * Writes `randomVggWeights(seed)` as a safetensors file in the real torchvision layout and returns
 * `path`. Files are cached per seed/options in os.tmpdir(), so later calls are a file copy.
 */
export async function writeRandomWeightsFile(path: string, seed: number, opts: RandomWeightsFileOptions = {}): Promise<string> {
  const key = cacheKey(seed, opts);
  const cached = key ? join(CACHE_DIR, `${key}.safetensors`) : undefined;
  if (cached) {
    try {
      if ((await stat(cached)).size > 0) {
        await copyFile(cached, path);
        return path;
      }
    } catch {
      // Not cached yet.
    }
  }
  const tensors = vggTensors(randomVggWeights(seed), opts);
  let state = seedState(seed ^ 0x5bd1e995);
  for (const [name, t] of Object.entries(opts.extraTensors ?? {})) {
    let data = t.data;
    if (!data) {
      data = new Float32Array(t.shape.reduce((a, b) => a * b, 1));
      state = fillUniform(data, state, 0.01);
    }
    tensors.push([name, { shape: t.shape, data, dtype: t.dtype }]);
  }
  tensors.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await writeSafetensors(path, tensors);
  if (cached) {
    // Shared by parallel test processes: copy to a unique name, then rename atomically.
    try {
      await mkdir(CACHE_DIR, { recursive: true });
      const tmp = tempPathFor(cached);
      await copyFile(path, tmp);
      await rename(tmp, cached).catch(() => rm(tmp, { force: true }));
    } catch {
      // A cache is an optimisation only.
    }
  }
  return path;
}
