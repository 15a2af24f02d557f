// Stand-in VGG-19 weights for tests and benchmarks: the real layout and sizes (so the real loader
// accepts them), deterministic per seed, and fast enough (~20 M floats) that every test file can make its own.
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
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
 *   u = ((i + 1) · 2592223 + (l + 1) · 7919) mod 4194301,  w = (2u / 4194301 − 1) · √(6 / fan_in)
 * and bias element j: b = ((j + 1) · 2592223 + (l + 1) · 7919) mod 4194301 / 4194301 · 0.1 − 0.05,
 * computed in float64 and rounded once to float32. In numpy:
 *   u = ((np.arange(n, dtype=np.int64) + 1) * 2592223 + (l + 1) * 7919) % 4194301
 *   w = ((2 * u / 4194301 - 1) * np.sqrt(6 / fan_in)).astype(np.float32)
 */
export function formulaVggWeights(): VggWeights {
  const M = 4194301;
  return VGG19_CHANNELS.map(([cin, cout], l) => {
    const bound = Math.sqrt(6 / (cin * 9));
    const weight = new Float32Array(cout * cin * 9);
    const bias = new Float32Array(cout);
    // u(i) = u(i − 1) + 2592223 mod M: the formula's values without a float modulo per element.
    let u = ((l + 1) * 7919) % M;
    for (let i = 0; i < weight.length; i++) {
      u += 2592223;
      if (u >= M) u -= M;
      weight[i] = ((2 * u) / M - 1) * bound;
    }
    u = ((l + 1) * 7919) % M;
    for (let j = 0; j < bias.length; j++) {
      u += 2592223;
      if (u >= M) u -= M;
      bias[j] = (u / M) * 0.1 - 0.05;
    }
    return { cin, cout, weight, bias };
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

/** Bump when the generator or the file layout changes: cached files are keyed by seed and options only. */
const CACHE_VERSION = 1;
export const RANDOM_WEIGHTS_CACHE_DIR = join(tmpdir(), 'stylize-test-weights');
/** Most recently used files kept; each is 40–80 MB. */
const CACHE_KEEP = 8;

function cacheKey(seed: number, opts: RandomWeightsFileOptions): string | undefined {
  if (opts.extraTensors && Object.values(opts.extraTensors).some((t) => t.data)) return undefined;
  const extras = Object.entries(opts.extraTensors ?? {}).map(([n, t]) => `${n}:${t.shape.join('x')}:${t.dtype ?? 'F32'}`);
  const raw = [CACHE_VERSION, seed, opts.dtype ?? 'F32', opts.prefix ?? '', ...extras].join('|');
  return createHash('sha256').update(raw).digest('hex').slice(0, 24);
}

async function copyFromCache(cached: string, path: string): Promise<boolean> {
  try {
    await copyFile(cached, path);
    // Marks it recently used for pruning.
    const now = new Date();
    await utimes(cached, now, now).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

async function addToCache(path: string, cached: string): Promise<void> {
  // Shared by parallel test processes: copy to a unique name, then rename atomically.
  await mkdir(RANDOM_WEIGHTS_CACHE_DIR, { recursive: true });
  const tmp = tempPathFor(cached);
  await copyFile(path, tmp);
  await rename(tmp, cached).catch(() => rm(tmp, { force: true }));
  const entries = await Promise.all(
    (await readdir(RANDOM_WEIGHTS_CACHE_DIR))
      .filter((f) => f.endsWith('.safetensors'))
      .map(async (f) => {
        const p = join(RANDOM_WEIGHTS_CACHE_DIR, f);
        return { p, mtime: (await stat(p).catch(() => undefined))?.mtimeMs ?? 0 };
      }),
  );
  entries.sort((a, b) => b.mtime - a.mtime);
  await Promise.all(entries.slice(CACHE_KEEP).map((e) => rm(e.p, { force: true })));
}

/**
 * Writes `randomVggWeights(seed)` as a safetensors file in the real torchvision layout and returns
 * `path`. Files are cached per seed/options in os.tmpdir(), so later calls are a file copy.
 */
export async function writeRandomWeightsFile(path: string, seed: number, opts: RandomWeightsFileOptions = {}): Promise<string> {
  const key = cacheKey(seed, opts);
  const cached = key ? join(RANDOM_WEIGHTS_CACHE_DIR, `${key}.safetensors`) : undefined;
  if (cached && (await copyFromCache(cached, path))) return path;
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
  // A cache is an optimisation only.
  if (cached) await addToCache(path, cached).catch(() => undefined);
  return path;
}

/**
 * Index of the first element where `a` and `b` differ bitwise, or -1 when identical (and -2 when the
 * lengths differ). Use instead of toEqual on big Float32Arrays, which vitest compares very slowly.
 */
export function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (x.equals(y)) return -1;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
