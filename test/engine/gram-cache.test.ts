// The per-process cache of style Gram targets: keyed by everything the Grams depend on, bounded by
// bytes with the least recently used entry dropped first, and on ONNX Runtime giving exactly the
// objective an uncached engine gives.
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine, ObjectiveOptions } from '../../src/engine/engine.ts';
import { DEFAULT_GRAM_CACHE_MB, GramCache, gramCacheBytes, gramKey } from '../../src/engine/gram-cache.ts';
import { createOnnxEngine } from '../../src/engine/onnx/onnx-engine.ts';
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import { tfjsEngine } from '../../src/engine/tfjs/tfjs-engine.ts';
import { createVgg } from '../../src/engine/tfjs/vgg.ts';
import { randomImage, tinyVggWeights } from '../helpers/tiny-vgg.ts';

const grams = (bytes: number) => [new Float32Array(bytes / 4)];
const compute = (bytes: number) => async () => grams(bytes);

describe('GramCache', () => {
  it('computes on a miss only, and counts hits and misses', async () => {
    const cache = new GramCache(1000);
    let calls = 0;
    const counted = async () => {
      calls++;
      return grams(100);
    };
    const first = await cache.get('a', counted);
    expect(await cache.get('a', counted)).toBe(first);
    expect(calls).toBe(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, entries: 1, bytes: 100 });
  });

  it('drops the least recently used entries when the bytes would exceed the budget', async () => {
    const cache = new GramCache(300);
    await cache.get('a', compute(100));
    await cache.get('b', compute(100));
    await cache.get('c', compute(100));
    await cache.get('a', compute(100)); // a is now the most recent: b goes first
    await cache.get('d', compute(200));
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 300 });
    const before = cache.stats().misses;
    await cache.get('a', compute(100));
    await cache.get('d', compute(200));
    expect(cache.stats().misses).toBe(before);
    await cache.get('b', compute(100));
    expect(cache.stats().misses).toBe(before + 1);
  });

  it('keeps nothing larger than the budget, and nothing at all with a budget of 0', async () => {
    const cache = new GramCache(100);
    await cache.get('big', compute(200));
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    const off = new GramCache(0);
    await off.get('a', compute(4));
    await off.get('a', compute(4));
    expect(off.stats()).toEqual({ hits: 0, misses: 2, entries: 0, bytes: 0 });
  });

  it('takes its budget from STYLIZE_GRAM_CACHE_MB', () => {
    expect(gramCacheBytes({})).toBe(DEFAULT_GRAM_CACHE_MB * 1024 * 1024);
    expect(gramCacheBytes({ STYLIZE_GRAM_CACHE_MB: '' })).toBe(DEFAULT_GRAM_CACHE_MB * 1024 * 1024);
    expect(gramCacheBytes({ STYLIZE_GRAM_CACHE_MB: '0' })).toBe(0);
    expect(gramCacheBytes({ STYLIZE_GRAM_CACHE_MB: '1.5' })).toBe(1.5 * 1024 * 1024);
    expect(gramCacheBytes({ STYLIZE_GRAM_CACHE_MB: 'lots' })).toBe(DEFAULT_GRAM_CACHE_MB * 1024 * 1024);
  });
});

describe('gramKey', () => {
  it('changes with the pixels, the size, the layers and the pooling, and only with them', () => {
    const img = randomImage(8, 6, 1);
    const key = gramKey(img, ['relu1_1', 'relu2_1'], 'max');
    expect(gramKey({ ...img, data: img.data.slice() }, ['relu1_1', 'relu2_1'], 'max')).toBe(key);
    const changed = img.data.slice();
    changed[17] += 1e-6;
    expect(gramKey({ ...img, data: changed }, ['relu1_1', 'relu2_1'], 'max')).not.toBe(key);
    expect(gramKey({ width: 6, height: 8, data: img.data }, ['relu1_1', 'relu2_1'], 'max')).not.toBe(key);
    expect(gramKey(img, ['relu1_1'], 'max')).not.toBe(key);
    expect(gramKey(img, ['relu2_1', 'relu1_1'], 'max')).not.toBe(key);
    expect(gramKey(img, ['relu1_1', 'relu2_1'], 'avg')).not.toBe(key);
  });

  it('reads only the view of a subarray, not the whole buffer', () => {
    const big = randomImage(8, 8, 2);
    const view = { width: 4, height: 4, data: big.data.subarray(0, 48) };
    expect(gramKey(view, ['relu1_1'], 'max')).toBe(gramKey({ width: 4, height: 4, data: big.data.slice(0, 48) }, ['relu1_1'], 'max'));
  });
});

describe.each(['onnx-cpu', 'wasm'] as const)('the %s engine with a Gram cache', (kind) => {
  const weights = tinyVggWeights(3);
  const options: ObjectiveOptions = {
    mode: 'transfer',
    contentLayers: ['relu2_2'],
    styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'],
    contentWeight: 1,
    styleWeight: 1e3,
    tvWeight: 0,
    pooling: 'max',
  };
  const content = randomImage(24, 20, 4);
  const styleA = randomImage(20, 16, 5);
  const styleB = randomImage(16, 20, 6);
  const x = randomImage(24, 20, 7).data;
  const engines: Engine[] = [];
  afterAll(async () => {
    for (const e of engines) await e.dispose();
  });

  async function losses(engine: Engine, o: ObjectiveOptions, styles = [styleA]) {
    const objective = await engine.createObjective(o, content, styles, { width: 24, height: 20 });
    try {
      return (await objective.evaluate(x.slice(), 24, 20)).losses;
    } finally {
      objective.dispose();
    }
  }

  async function engine(gramCache: GramCache): Promise<Engine> {
    if (kind === 'onnx-cpu') return createOnnxEngine(weights, { provider: 'cpu', threads: 1, gramCache });
    await selectBackend('wasm');
    return tfjsEngine(createVgg(weights), 'wasm', gramCache);
  }

  it('skips the style pass of a style it has seen, with the same losses as without a cache', async () => {
    const cache = new GramCache(1024 * 1024);
    const cached = await engine(cache);
    const uncached = await engine(new GramCache(0));
    engines.push(cached, uncached);
    const reference = await losses(uncached, options);
    expect(await losses(cached, options)).toEqual(reference);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 1, entries: 1 });
    expect(await losses(cached, options)).toEqual(reference);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });

    // A blend reuses the cached style and computes only the new one; the blend weights are not part of the key.
    const blend = { ...options, styleBlend: [3, 1] };
    expect(await losses(cached, blend, [styleA, styleB])).toEqual(await losses(uncached, blend, [styleA, styleB]));
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, entries: 2 });

    // Other layers or pooling: other Grams.
    const avg = { ...options, pooling: 'avg' as const };
    expect(await losses(cached, avg)).toEqual(await losses(uncached, avg));
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 3, entries: 3 });
  });
});
