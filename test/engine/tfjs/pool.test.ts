import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { avgPool2x2, maxPool2x2 } from '../../../src/engine/tfjs/pool.ts';
import { mulberry32 } from '../../../src/engine/prng.ts';

/** PyTorch's rule, written independently: each window's gradient goes to indexOf(max) in row-major order. */
function referenceGrad(x: Float32Array, dy: Float32Array, h: number, w: number, c: number, kind: 'max' | 'avg'): Float32Array {
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  const dx = new Float32Array(h * w * c);
  const at = (y: number, xx: number, k: number) => (y * w + xx) * c + k;
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      for (let k = 0; k < c; k++) {
        const cells = [at(2 * i, 2 * j, k), at(2 * i, 2 * j + 1, k), at(2 * i + 1, 2 * j, k), at(2 * i + 1, 2 * j + 1, k)];
        const g = dy[(i * wo + j) * c + k];
        if (kind === 'avg') {
          cells.forEach((p) => (dx[p] += g / 4));
        } else {
          const vals = cells.map((p) => x[p]);
          dx[cells[vals.indexOf(Math.max(...vals))]] += g;
        }
      }
    }
  }
  return dx;
}

describe('2×2 pooling with hand-written gradients', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  for (const [h, w, c] of [
    [8, 8, 4],
    [5, 7, 3],
    [2, 2, 1],
  ]) {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind} ${h}×${w}×${c}: value as tfjs, gradient as PyTorch (ties to the first maximum)`, () => {
        const next = mulberry32(h * 10 + c);
        // Three levels and many zeros: ties everywhere, as after ReLU in flat regions.
        const x = Float32Array.from({ length: h * w * c }, () => Math.max(0, Math.floor(next() * 4) - 1));
        const ho = Math.floor(h / 2);
        const wo = Math.floor(w / 2);
        const dy = Float32Array.from({ length: ho * wo * c }, () => next() * 2 - 1);
        const before = tf.memory().numTensors;
        tf.tidy(() => {
          const xt = tf.tensor4d(x, [1, h, w, c]);
          const pool = kind === 'max' ? maxPool2x2 : avgPool2x2;
          const expectedValue = kind === 'max' ? tf.maxPool(xt, 2, 2, 'valid') : tf.avgPool(xt, 2, 2, 'valid');
          expect(Array.from(pool(xt).dataSync())).toEqual(Array.from(expectedValue.dataSync()));
          const grad = tf.grad((t: tf.Tensor) => pool(t as tf.Tensor4D))(xt, tf.tensor4d(dy, [1, ho, wo, c]));
          expect(Array.from(grad.dataSync())).toEqual(Array.from(referenceGrad(x, dy, h, w, c, kind)));
        });
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});
