// The ONNX loss graph against the float64 JS reference (features, loss terms, gradients by central
// differences) and against the tfjs engine on wasm (whole gradients, including flat images whose
// max-pool windows tie).
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VGG_LAYER_NAMES } from '../../../src/options.ts';
import type { Engine, ObjectiveOptions } from '../../../src/engine/engine.ts';
import { normaliseBlend } from '../../../src/engine/objective-plan.ts';
import { buildLossModel, buildTargetModel, IO } from '../../../src/engine/onnx/vgg-graph.ts';
import type { RGBImage } from '../../../src/engine/types.ts';
import { testEngine } from '../../helpers/engines.ts';
import { naiveFeatures, naiveLosses } from '../../helpers/naive-vgg.ts';
import { randomImage, tinyVggWeights } from '../../helpers/tiny-vgg.ts';
import { maxRelErr, relErr } from '../../helpers/relative-error.ts';

const weights = tinyVggWeights(11);

/** NCHW → HWC, to compare with the reference's layout. */
function toHwc(data: Float32Array, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + k] = data[(k * h + y) * w + x];
  return out;
}

/** An image of few distinct values in 2×2 blocks and stripes: most max-pool windows tie. */
function flatImage(width: number, height: number): RGBImage {
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (((x >> 2) + (y >> 3) + c) % 3) * 0.5;
    }
  }
  return { width, height, data };
}

describe('ONNX graphs against the float64 reference', () => {
  for (const pooling of ['max', 'avg'] as const) {
    it(`every VGG layer's features match (${pooling} pooling, 72×56 then 32×32)`, async () => {
      for (const img of [randomImage(72, 56, 5), randomImage(32, 32, 6)]) {
        const layers = img.width === 32 ? [...VGG_LAYER_NAMES] : VGG_LAYER_NAMES.filter((l) => !/^(conv5|relu5|pool5|pool4)/.test(l));
        const session = await ort.InferenceSession.create(buildTargetModel(weights, { contentLayers: layers, styleLayers: [], pooling }));
        try {
          const out = await session.run({ [IO.image]: new ort.Tensor('float32', img.data, [1, img.height, img.width, 3]) });
          const expected = naiveFeatures(weights, img, layers, pooling);
          for (const name of layers) {
            const e = expected[name];
            const got = out[IO.features(name)];
            expect(got.dims, name).toEqual([1, e.c, e.h, e.w]);
            expect(maxRelErr(toHwc(got.data as Float32Array, e.c, e.h, e.w), e.data), name).toBeLessThan(1e-5);
          }
        } finally {
          await session.release();
        }
      }
    });
  }

  it('builds one model for every size (symbolic H and W) and refuses nothing it should accept', () => {
    const bytes = buildLossModel(weights, { contentLayers: ['relu4_2'], styleLayers: ['relu1_1', 'pool3'], pooling: 'max' });
    expect(bytes.length).toBeGreaterThan(1000);
  });
});

const cases: { name: string; o: ObjectiveOptions; w: number; h: number }[] = [
  {
    name: 'gatys transfer, two blended styles, TV on, 72×56',
    w: 72,
    h: 56,
    o: {
      mode: 'transfer',
      contentLayers: ['relu4_2'],
      styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
      contentWeight: 2,
      styleWeight: 300,
      tvWeight: 0.5,
      pooling: 'max',
      styleBlend: [1, 3],
    },
  },
  {
    name: 'conv and pool layers, avg pooling, texture, odd 19×17',
    w: 19,
    h: 17,
    o: { mode: 'texture', contentLayers: ['conv_4'], styleLayers: ['conv_1', 'conv_2', 'pool2', 'conv_5'], contentWeight: 1, styleWeight: 1000, tvWeight: 0.1, pooling: 'avg' },
  },
  {
    name: 'reconstruct from a conv and a relu layer, TV off, odd 23×21',
    w: 23,
    h: 21,
    o: { mode: 'reconstruct', contentLayers: ['conv2_2', 'relu3_1'], styleLayers: ['relu1_1'], contentWeight: 3, styleWeight: 1e6, tvWeight: 0, pooling: 'max' },
  },
  {
    name: 'pool layers as content and style, max pooling, transfer, 33×35',
    w: 33,
    h: 35,
    o: { mode: 'transfer', contentLayers: ['pool2'], styleLayers: ['pool1', 'relu3_4'], contentWeight: 1, styleWeight: 50, tvWeight: 0, pooling: 'max' },
  },
];

describe('the ONNX objective against the float64 reference', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await testEngine('onnx-cpu', weights);
  });
  afterAll(async () => engine?.dispose());

  for (const { name, o, w, h } of cases) {
    it(`loss terms and gradient: ${name}`, async () => {
      const image = randomImage(w, h, 1);
      const content = randomImage(w, h, 2);
      const styles = [randomImage(w + 3, h, 3), randomImage(w, h + 5, 4)];
      const objective = await engine.createObjective(o, content, styles);
      const spec = {
        ...o,
        contentLayers: [...objective.contentLayers],
        styleLayers: [...objective.styleLayers],
        blend: o.mode === 'reconstruct' ? [] : normaliseBlend(styles.length, o.styleBlend),
      };
      const expected = naiveLosses(weights, spec, image, content, styles);
      const { losses, grad } = await objective.evaluate(image.data, w, h);
      for (const key of ['content', 'style', 'tv', 'total'] as const) {
        if (expected[key] === 0) expect(losses[key], key).toBe(0);
        else expect(relErr(losses[key], expected[key]), `${key}: ${losses[key]} vs ${expected[key]}`).toBeLessThan(1e-4);
      }
      if (o.mode === 'texture') expect(losses.content).toBe(0);
      if (o.mode === 'reconstruct') expect(losses.style).toBe(0);
      expect(grad).toHaveLength(w * h * 3);

      const gradScale = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      expect(gradScale).toBeGreaterThan(0);
      // Small steps (the reference is float64) so that no max-pool window or ReLU flips between them.
      const eps = 1e-5;
      const n = w * h * 3;
      for (const i of [0, 37, Math.floor(n / 3), Math.floor(n / 2) + 1, n - 4, n - 1]) {
        const plus = { ...image, data: image.data.slice() };
        const minus = { ...image, data: image.data.slice() };
        plus.data[i] += eps;
        minus.data[i] -= eps;
        const step = plus.data[i] - minus.data[i];
        const fd = (naiveLosses(weights, spec, plus, content, styles).total - naiveLosses(weights, spec, minus, content, styles).total) / step;
        expect(Math.abs(grad[i] - fd) / gradScale, `d/dx[${i}]: ${grad[i]} vs ${fd}`).toBeLessThan(2e-3);
      }
      objective.dispose();
    });
  }
});

describe('the ONNX objective against the tfjs engine (wasm)', () => {
  let onnx: Engine;
  let wasm: Engine;
  beforeAll(async () => {
    [onnx, wasm] = await Promise.all([testEngine('onnx-cpu', weights), testEngine('wasm', weights)]);
  });
  afterAll(async () => {
    await onnx?.dispose();
    await wasm?.dispose();
  });

  const flat = (name: string, o: ObjectiveOptions) => ({ name, o });
  for (const { name, o } of [
    flat('max pooling, flat image with tied maxima, all five gatys style layers', {
      mode: 'transfer',
      contentLayers: ['relu4_2'],
      styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
      contentWeight: 1,
      styleWeight: 1e3,
      tvWeight: 1,
      pooling: 'max',
    }),
    // A loss at the ReLU feeding a pool keeps that ReLU's full-resolution mask; the others fold it into the pool's gradient.
    flat('max pooling, flat image, losses at the ReLUs feeding pool1 and pool2 and at pool2', {
      mode: 'transfer',
      contentLayers: ['relu2_2'],
      styleLayers: ['relu1_2', 'pool2', 'relu3_4', 'relu4_1'],
      contentWeight: 1,
      styleWeight: 1e3,
      tvWeight: 0,
      pooling: 'max',
    }),
    flat('avg pooling, flat image, pool layers', { mode: 'texture', contentLayers: ['relu1_1'], styleLayers: ['pool1', 'pool3', 'conv4_1'], contentWeight: 1, styleWeight: 1e3, tvWeight: 0, pooling: 'avg' }),
  ]) {
    it(`the whole gradient agrees: ${name}`, async () => {
      // Odd sizes, so every pool drops a row and a column too.
      const image = flatImage(37, 35);
      const content = randomImage(37, 35, 2);
      const style = flatImage(33, 39);
      const [a, b] = await Promise.all([onnx.createObjective(o, content, [style]), wasm.createObjective(o, content, [style])]);
      const ea = await a.evaluate(image.data, 37, 35);
      const eb = await b.evaluate(image.data, 37, 35);
      for (const key of ['content', 'style', 'tv', 'total'] as const) {
        expect(relErr(ea.losses[key], eb.losses[key]), key).toBeLessThan(1e-4);
      }
      expect(maxRelErr(ea.grad, eb.grad)).toBeLessThan(1e-4);
      a.dispose();
      b.dispose();
    });
  }
});
