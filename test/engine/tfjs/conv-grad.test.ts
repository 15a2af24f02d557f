import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { createFrozenConv, frozenConv2d, frozenConv2dRelu } from '../../../src/engine/tfjs/conv-grad.ts';
import { mulberry32 } from '../../../src/engine/prng.ts';
import type { ConvWeights } from '../../../src/engine/types.ts';

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
}

function randomConv(cin: number, cout: number, seed: number): ConvWeights {
  return { cin, cout, weight: randomArray(cout * cin * 9, seed, 0.3), bias: randomArray(cout, seed + 1, 0.1) };
}

/** The reference: tfjs's own conv2d (autodiff via Conv2DBackpropInput) on the torch kernel transposed by tfjs. */
function referenceConv(x: tf.Tensor4D, w: ConvWeights): tf.Tensor4D {
  const torch = tf.tensor4d(w.weight, [w.cout, w.cin, 3, 3]);
  const filter = tf.transpose(torch, [2, 3, 1, 0]) as tf.Tensor4D;
  return tf.add(tf.conv2d(x, filter, 1, 'same'), tf.tensor1d(w.bias));
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('frozen conv with a forward-conv input gradient', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  const shapes = [
    { h: 7, w: 9, cin: 3, cout: 8 },
    { h: 8, w: 8, cin: 16, cout: 5 },
    { h: 1, w: 4, cin: 4, cout: 4 },
  ];

  for (const { h, w, cin, cout } of shapes) {
    it(`matches conv2d value and tf.grad for ${h}×${w}, ${cin}→${cout}`, () => {
      const weights = randomConv(cin, cout, h * 100 + cin);
      const conv = createFrozenConv(weights);
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const x = tf.tensor4d(randomArray(h * w * cin, 7), [1, h, w, cin]);
        const dy = tf.tensor4d(randomArray(h * w * cout, 8), [1, h, w, cout]);

        const ref = referenceConv(x, weights);
        expect(maxAbsDiff(frozenConv2d(x, conv), ref)).toBeLessThan(1e-5);
        expect(maxAbsDiff(frozenConv2dRelu(x, conv), tf.relu(ref))).toBeLessThan(1e-5);

        const gRef = tf.grad((t: tf.Tensor) => referenceConv(t as tf.Tensor4D, weights))(x, dy);
        const g = tf.grad((t: tf.Tensor) => frozenConv2d(t as tf.Tensor4D, conv))(x, dy);
        expect(tf.max(tf.abs(gRef)).dataSync()[0]).toBeGreaterThan(0.1);
        expect(maxAbsDiff(g, gRef)).toBeLessThan(1e-5);

        const gReluRef = tf.grad((t: tf.Tensor) => tf.relu(referenceConv(t as tf.Tensor4D, weights)))(x, dy);
        const gRelu = tf.grad((t: tf.Tensor) => frozenConv2dRelu(t as tf.Tensor4D, conv))(x, dy);
        expect(maxAbsDiff(gRelu, gReluRef)).toBeLessThan(1e-5);
      });
      expect(tf.memory().numTensors).toBe(before);
      conv.dispose();
    });
  }

  it('owns three tensors per conv and dispose frees them', () => {
    const before = tf.memory().numTensors;
    const conv = createFrozenConv(randomConv(3, 4, 1));
    expect(tf.memory().numTensors).toBe(before + 3);
    conv.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
