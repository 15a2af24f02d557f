import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { gram } from '../../../src/engine/tfjs/gram.ts';
import { mulberry32 } from '../../../src/engine/prng.ts';
import { naiveGram } from '../../helpers/naive-vgg.ts';

function random(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

/** The definition with no matMul: G[i][j] = Σ_p F[p,i]·F[p,j] / (C·H·W), differentiated by tfjs's autodiff. */
function broadcastGram(f: tf.Tensor4D): tf.Tensor2D {
  const [, h, w, c] = f.shape;
  const flat = tf.reshape(f, [h * w, c]);
  const outer = tf.mul(tf.reshape(flat, [h * w, c, 1]), tf.reshape(flat, [h * w, 1, c]));
  return tf.div(tf.sum(outer, 0), c * h * w) as tf.Tensor2D;
}

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]);
}

describe('gram', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const [h, w, c] of [
    [4, 4, 3],
    [5, 7, 16],
    [16, 16, 64],
  ]) {
    it(`value and gradient match the definition at ${h}×${w}×${c}`, () => {
      const data = random(h * w * c, h * 31 + c);
      const expected = naiveGram({ h, w, c, data: Float64Array.from(data) });
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const f = tf.tensor4d(data, [1, h, w, c]);
        const g = gram(f);
        expect(g.shape).toEqual([c, c]);
        const got = g.dataSync();
        const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - expected[i]))) / scale).toBeLessThan(1e-5);

        // A non-symmetric upstream gradient, so that dGᵀ matters.
        const dy = tf.tensor2d(random(c * c, 99), [c, c]);
        const mine = tf.grad((t: tf.Tensor) => gram(t as tf.Tensor4D))(f, dy);
        const reference = tf.grad((t: tf.Tensor) => broadcastGram(t as tf.Tensor4D))(f, dy);
        expect(mine.shape).toEqual(f.shape);
        expect(maxAbs(tf.sub(mine, reference)) / maxAbs(reference)).toBeLessThan(1e-5);
      });
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
