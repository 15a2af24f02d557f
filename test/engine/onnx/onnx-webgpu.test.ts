// The loss graph on onnx-webgpu against onnx-cpu: losses and gradients in all three modes, both
// poolings, an odd size, and a short stylize run. Where no GPU is present, Mesa's software Vulkan
// driver (lavapipe, which .ci/run installs) runs it; where no Vulkan driver can be had at all these
// tests skip and say why, except under .ci/run with a driver installed (STYLIZE_TEST_REQUIRE_WEBGPU=1),
// where onnx-webgpu not starting fails.
//
// Few layer choices on purpose: each one is two WebGPU sessions, and their first evaluation compiles
// shaders (seconds on lavapipe). The channel counts are multiples of 4, as all of VGG-19's are:
// on lavapipe, ORT 1.30's WebGPU provider returned wrong features for channel counts such as 6 or 10.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, ObjectiveOptions } from '../../../src/engine/engine.ts';
import { createOnnxEngine } from '../../../src/engine/onnx/onnx-engine.ts';
import { probeBackend } from '../../../src/engine/start-engine.ts';
import { stylize } from '../../../src/engine/stylize.ts';
import type { Losses } from '../../../src/engine/types.ts';
import { resolveOptions } from '../../../src/options.ts';
import { randomImage, tinyVggWeights } from '../../helpers/tiny-vgg.ts';
import { maxRelErr, relErr } from '../../helpers/relative-error.ts';

const CHANNELS = [4, 4, 8, 8, 8, 8, 8, 8, 12, 12, 12, 12, 16, 16, 16, 16];
const TOLERANCE = 1e-4;

/** Why onnx-webgpu cannot start here, or undefined when it can. */
async function unavailable(): Promise<string | undefined> {
  try {
    await probeBackend('onnx-webgpu', 1, true);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const why = await unavailable();

function expectLossesClose(a: Losses, b: Losses, what: string): void {
  for (const key of ['content', 'style', 'tv', 'total'] as const) {
    if (b[key] === 0) expect(a[key], `${what} ${key}`).toBe(0);
    else expect(relErr(a[key], b[key]), `${what} ${key}: ${a[key]} vs ${b[key]}`).toBeLessThan(TOLERANCE);
  }
}

if (why && process.env.STYLIZE_TEST_REQUIRE_WEBGPU === '1') {
  // .ci/run sets it once a Vulkan driver is installed: there a skip would hide a broken provider.
  describe('onnx-webgpu against onnx-cpu', () => {
    it('starts, a Vulkan driver being installed', () => {
      throw new Error(`onnx-webgpu cannot start although a Vulkan driver is installed: ${why}`);
    });
  });
} else if (why) {
  const reason = `onnx-webgpu cannot start here (${why}); .ci/run installs Mesa's software Vulkan driver`;
  // Printed as well: the default reporter does not show skipped tests' names.
  console.warn(`test/engine/onnx/onnx-webgpu.test.ts skipped: ${reason}`);
  describe('onnx-webgpu against onnx-cpu', () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  describe('onnx-webgpu against onnx-cpu', () => {
    const weights = tinyVggWeights(5, CHANNELS);
    let cpu: Engine;
    let gpu: Engine;
    beforeAll(async () => {
      cpu = await createOnnxEngine(weights, { provider: 'cpu', threads: 1 });
      gpu = await createOnnxEngine(weights, { provider: 'webgpu', threads: 1 });
    });
    afterAll(async () => {
      await cpu?.dispose();
      await gpu?.dispose();
    });

    // The gatys preset's layers: the stylize run below reuses these sessions.
    const gatys = resolveOptions({ preset: 'gatys', optimizer: 'adam', lr: 0.02, steps: 3, tvWeight: 0.5, size: 37 });
    const cases: { name: string; o: ObjectiveOptions; w: number; h: number }[] = [
      { name: 'transfer, max pooling, gatys layers, two blended styles, odd 37×29', o: { ...gatys, styleBlend: [1, 2] }, w: 37, h: 29 },
      {
        name: 'texture, avg pooling, conv and pool layers, 32×24',
        o: { mode: 'texture', contentLayers: ['relu4_2'], styleLayers: ['conv1_1', 'pool1', 'relu3_1', 'pool4'], contentWeight: 1, styleWeight: 1e3, tvWeight: 0.1, pooling: 'avg' },
        w: 32,
        h: 24,
      },
      {
        name: 'reconstruct, max pooling, from the ReLU feeding pool2 and from pool3, odd 33×45',
        o: { mode: 'reconstruct', contentLayers: ['relu2_2', 'pool3'], styleLayers: ['relu1_1'], contentWeight: 3, styleWeight: 1, tvWeight: 0, pooling: 'max' },
        w: 33,
        h: 45,
      },
    ];

    for (const { name, o, w, h } of cases) {
      it(`losses and gradient within ${TOLERANCE} relative: ${name}`, async () => {
        const content = randomImage(w, h, 2);
        const styles = [randomImage(w + 2, h, 3), randomImage(w, h + 3, 4)];
        const image = randomImage(w, h, 1);
        const results = [];
        for (const engine of [gpu, cpu]) {
          const objective = await engine.createObjective(o, content, styles);
          results.push(await objective.evaluate(image.data, w, h));
          objective.dispose();
        }
        const [a, b] = results;
        expectLossesClose(a.losses, b.losses, name);
        if (o.mode === 'texture') expect(a.losses.content).toBe(0);
        if (o.mode === 'reconstruct') expect(a.losses.style).toBe(0);
        expect(a.grad).toHaveLength(w * h * 3);
        expect(b.grad.some((v) => v !== 0)).toBe(true);
        expect(maxRelErr(a.grad, b.grad)).toBeLessThan(TOLERANCE);
      });
    }

    it('a 3-step stylize run gives the same losses at every iteration', async () => {
      const content = randomImage(37, 29, 6);
      const style = randomImage(31, 35, 7);
      const run = async (engine: Engine) => {
        const log: Losses[] = [];
        await stylize(engine, { options: gatys, content, styles: [style], onProgress: (p) => log.push(p.losses) });
        return log;
      };
      const a = await run(gpu);
      const b = await run(cpu);
      expect(a).toHaveLength(4);
      expect(b).toHaveLength(4);
      a.forEach((l, k) => expectLossesClose(l, b[k], `iteration ${k}`));
    });
  });
}
