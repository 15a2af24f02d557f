// The same job on both engines: the gatys preset with full-size (random) VGG-19 weights, 10 Adam
// steps; every iteration's losses agree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/engine/engine.ts';
import { stylize } from '../../../src/engine/stylize.ts';
import type { Losses } from '../../../src/engine/types.ts';
import { resolveOptions, type OptionsInput } from '../../../src/options.ts';
import { testEngine } from '../../helpers/engines.ts';
import { randomVggWeights } from '../../../scripts/lib/random-weights.ts';
import { randomImage } from '../../helpers/tiny-vgg.ts';

describe('onnx-cpu against wasm on the same job', () => {
  const weights = randomVggWeights(7);
  let onnx: Engine;
  let wasm: Engine;
  beforeAll(async () => {
    [onnx, wasm] = await Promise.all([testEngine('onnx-cpu', weights), testEngine('wasm', weights)]);
  });
  afterAll(async () => {
    await onnx?.dispose();
    await wasm?.dispose();
  });

  const jobs: [string, OptionsInput][] = [
    ['gatys transfer', { preset: 'gatys', optimizer: 'adam', lr: 0.02, steps: 10, tvWeight: 1e-3 }],
    ['seed texture from noise, avg pooling', { preset: 'seed', mode: 'texture', optimizer: 'adam', lr: 0.02, steps: 10, pooling: 'avg' }],
  ];
  for (const [name, input] of jobs) {
    it(`${name}: per-iteration losses of 10 Adam steps agree to 1e-4`, async () => {
      const options = resolveOptions(input);
      const content = randomImage(40, 34, 1);
      const style = randomImage(36, 36, 2);
      const run = async (engine: Engine) => {
        const log: Losses[] = [];
        await stylize(engine, { options, content, styles: [style], onProgress: (p) => log.push(p.losses) });
        return log;
      };
      const a = await run(onnx);
      const b = await run(wasm);
      expect(a).toHaveLength(11);
      expect(b).toHaveLength(11);
      expect(a[10].total).toBeLessThan(a[0].total);
      a.forEach((l, k) => {
        for (const key of ['content', 'style', 'tv', 'total'] as const) {
          const e = b[k][key];
          if (e === 0) expect(l[key]).toBe(0);
          else expect(Math.abs(l[key] - e) / Math.abs(e), `iteration ${k} ${key}: ${l[key]} vs ${e}`).toBeLessThan(1e-4);
        }
      });
    });
  }
});
