// Features, loss terms and the gradient of the total loss against a float64 JS reference.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VGG_LAYER_NAMES } from '../../../src/options.ts';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { contentLoss } from '../../../src/engine/tfjs/content-loss.ts';
import { createObjective, type ObjectiveOptions } from '../../../src/engine/tfjs/objective.ts';
import { normaliseBlend, styleLoss } from '../../../src/engine/tfjs/style-loss.ts';
import { tvLoss } from '../../../src/engine/tfjs/tv-loss.ts';
import type { RGBImage } from '../../../src/engine/types.ts';
import { createVgg, type Vgg } from '../../../src/engine/tfjs/vgg.ts';
import { mse, naiveFeatures, naiveGram, naiveLosses, naiveTv } from '../../helpers/naive-vgg.ts';
import { randomImage, tinyVggWeights } from '../../helpers/tiny-vgg.ts';
import { maxRelErr, relErr } from '../../helpers/relative-error.ts';

const weights = tinyVggWeights(11);
const image = randomImage(16, 16, 1);
const content = randomImage(16, 16, 2);
const styles = [randomImage(16, 16, 3), randomImage(24, 16, 4)];

function toTensor(img: RGBImage): tf.Tensor4D {
  return tf.tensor4d(img.data, [1, img.height, img.width, 3]);
}

describe('losses against a float64 reference', () => {
  let vgg: Vgg;
  beforeAll(async () => {
    await selectBackend('wasm');
    vgg = createVgg(weights);
  });
  afterAll(() => vgg?.dispose());

  for (const pooling of ['max', 'avg'] as const) {
    it(`every VGG layer matches (${pooling} pooling)`, () => {
      // 32 px: pool5 still has one pixel.
      const big = randomImage(32, 32, 5);
      const expected = naiveFeatures(weights, big, [...VGG_LAYER_NAMES], pooling);
      tf.tidy(() => {
        const got = vgg.features(toTensor(big), VGG_LAYER_NAMES, pooling);
        expect(Object.keys(got).sort()).toEqual([...VGG_LAYER_NAMES].sort());
        for (const name of VGG_LAYER_NAMES) {
          const e = expected[name];
          expect(got[name].shape, name).toEqual([1, e.h, e.w, e.c]);
          expect(maxRelErr(got[name].dataSync(), e.data), name).toBeLessThan(1e-5);
        }
      });
    });
  }

  it('refuses an image too small for the deepest layer', () => {
    tf.tidy(() => {
      expect(() => vgg.features(toTensor(image), ['pool5'], 'max')).toThrow(/16×16 image is too small for pool5/);
    });
  });

  it('evaluates only up to the deepest requested layer and frees the layers it does not return', async () => {
    const x = toTensor(image);
    const convsRun = async (layers: string[]) => {
      const before = tf.memory().numTensors;
      const info = await tf.profile(() => {
        const out = vgg.features(x, layers, 'max');
        expect(tf.memory().numTensors - before).toBe(Object.keys(out).length);
        Object.values(out).forEach((t) => t.dispose());
        return 0;
      });
      return info.kernels.filter((k) => k.name === 'FusedConv2D').length;
    };
    expect(await convsRun(['relu1_1'])).toBe(1);
    expect(await convsRun(['conv2_1', 'relu1_2'])).toBe(3);
    expect(await convsRun(['relu3_1', 'relu5_1', 'pool2'])).toBe(13);
    x.dispose();
  });

  it('content, style and TV units match the definitions', () => {
    const fa = naiveFeatures(weights, image, ['relu2_1'], 'max').relu2_1;
    const fb = naiveFeatures(weights, content, ['relu2_1'], 'max').relu2_1;
    tf.tidy(() => {
      const a = vgg.features(toTensor(image), ['relu2_1'], 'max').relu2_1;
      const b = vgg.features(toTensor(content), ['relu2_1'], 'max').relu2_1;
      expect(relErr(contentLoss(a, b).dataSync()[0], mse(fa.data, fb.data))).toBeLessThan(1e-5);
      const gb = tf.tensor2d(Float32Array.from(naiveGram(fb)), [fb.c, fb.c]);
      expect(relErr(styleLoss(a, gb).dataSync()[0], mse(naiveGram(fa), naiveGram(fb)))).toBeLessThan(1e-4);
      const nonSquare = randomImage(7, 5, 9);
      expect(relErr(tvLoss(toTensor(nonSquare)).dataSync()[0], naiveTv(nonSquare))).toBeLessThan(1e-5);
    });
  });

  const cases: { name: string; o: ObjectiveOptions }[] = [
    {
      name: 'gatys transfer, two blended styles',
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
      name: 'conv layers, avg pooling, texture',
      o: { mode: 'texture', contentLayers: ['conv_4'], styleLayers: ['conv_1', 'conv_2', 'pool2', 'conv_5'], contentWeight: 1, styleWeight: 1000, tvWeight: 0.1, pooling: 'avg' },
    },
    {
      name: 'reconstruct from two content layers',
      o: { mode: 'reconstruct', contentLayers: ['conv2_2', 'relu3_1'], styleLayers: ['relu1_1'], contentWeight: 3, styleWeight: 1e6, tvWeight: 0, pooling: 'max' },
    },
  ];

  for (const { name, o } of cases) {
    it(`loss terms and gradient: ${name}`, async () => {
      const objective = createObjective(vgg, o, content, styles);
      try {
        const spec = {
          ...o,
          contentLayers: [...objective.contentLayers],
          styleLayers: [...objective.styleLayers],
          blend: o.mode === 'reconstruct' ? [] : normaliseBlend(styles.length, o.styleBlend),
        };
        const expected = naiveLosses(weights, spec, image, content, styles);
        const { losses, grad } = await objective.evaluate(image.data, image.width, image.height);
        for (const key of ['content', 'style', 'tv', 'total'] as const) {
          if (expected[key] === 0) expect(losses[key], key).toBe(0);
          else expect(relErr(losses[key], expected[key]), `${key}: ${losses[key]} vs ${expected[key]}`).toBeLessThan(1e-4);
        }
        if (o.mode === 'texture') expect(losses.content).toBe(0);
        if (o.mode === 'reconstruct') expect(losses.style).toBe(0);

        // Central differences of the float64 reference at a few coordinates.
        const gradScale = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
        expect(gradScale).toBeGreaterThan(0);
        const eps = 1e-3;
        for (const i of [0, 37, 100, 255, 384, 511, 700, 767]) {
          const plus = { ...image, data: image.data.slice() };
          const minus = { ...image, data: image.data.slice() };
          plus.data[i] += eps;
          minus.data[i] -= eps;
          const fd = (naiveLosses(weights, spec, plus, content, styles).total - naiveLosses(weights, spec, minus, content, styles).total) / (2 * eps);
          expect(Math.abs(grad[i] - fd) / gradScale, `d/dx[${i}]: ${grad[i]} vs ${fd}`).toBeLessThan(2e-3);
        }
      } finally {
        objective.dispose();
      }
    });
  }
});
