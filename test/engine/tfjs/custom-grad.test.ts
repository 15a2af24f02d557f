import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../../src/engine/tfjs/tfjs-backend.ts';
import { heldForBackward, recordWithoutCopies } from '../../../src/engine/tfjs/custom-grad.ts';
import { gram } from '../../../src/engine/tfjs/gram.ts';
import { createVgg, type Vgg } from '../../../src/engine/tfjs/vgg.ts';
import { randomImage, tinyVggWeights } from '../../helpers/tiny-vgg.ts';

describe('recordWithoutCopies', () => {
  let vgg: Vgg;
  beforeAll(async () => {
    await selectBackend('wasm');
    vgg = createVgg(tinyVggWeights(3));
  });
  afterAll(() => vgg?.dispose());

  const img = randomImage(32, 32, 8);
  // Every kind of op: fused conv+ReLU, pre-ReLU conv + ReLU, max and avg pooling, Gram.
  const loss = (pooling: 'max' | 'avg') => (x: tf.Tensor) => {
    const f = vgg.features(x as tf.Tensor4D, ['conv2_1', 'relu3_1', 'pool4'], pooling);
    return tf.addN([tf.sum(gram(f.conv2_1)), tf.mean(gram(f.relu3_1)), tf.sum(f.pool4)]) as tf.Scalar;
  };

  for (const pooling of ['max', 'avg'] as const) {
    it(`gives the same gradient as tfjs's save, with fewer bytes held and no leak (${pooling})`, async () => {
      const x = tf.tensor4d(img.data, [1, 32, 32, 3]);
      const before = tf.memory().numTensors;
      const peak = async (f: () => tf.Tensor) => {
        let out: tf.Tensor | undefined;
        const info = await tf.profile(() => {
          out = f();
          return 0;
        });
        return { grad: out!, peak: info.peakBytes };
      };
      const plain = await peak(() => tf.grad(loss(pooling))(x));
      const arena = await peak(() => recordWithoutCopies(() => tf.grad(loss(pooling))(x)));
      expect(Array.from(arena.grad.dataSync())).toEqual(Array.from(plain.grad.dataSync()));
      // Max pooling and the Gram save tensors a conv already saved: tfjs copies each save.
      if (pooling === 'max') expect(arena.peak).toBeLessThan(plain.peak);
      plain.grad.dispose();
      arena.grad.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
    });
  }

  it('frees what it held when the computation throws, and cannot nest', () => {
    const x = tf.tensor4d(img.data, [1, 32, 32, 3]);
    const before = tf.memory().numTensors;
    let held: tf.Tensor | undefined;
    expect(() =>
      recordWithoutCopies(() =>
        tf.grad((t: tf.Tensor) => {
          const f = vgg.features(t as tf.Tensor4D, ['relu1_1'], 'max');
          held = f.relu1_1;
          expect(heldForBackward(held)).toBe(true);
          throw new Error('boom');
        })(x),
      ),
    ).toThrow('boom');
    expect(held?.isDisposed).toBe(true);
    expect(heldForBackward(held!)).toBe(false);
    expect(() => recordWithoutCopies(() => recordWithoutCopies(() => 0))).toThrow(/cannot be nested/);
    x.dispose();
    // What tfjs's own save copied for the normalisation (Sub, RealDiv: 4 copies) leaks on a throw in tfjs
    // itself; nothing of the arena's does.
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 4 - 1);
  });

  it('never holds (or frees) a tensor that existed before it', () => {
    const f = tf.tensor4d(randomImage(4, 4, 1).data, [1, 4, 4, 3]);
    const g = recordWithoutCopies(() => tf.grad((t: tf.Tensor) => tf.sum(gram(t as tf.Tensor4D)))(f));
    expect(f.isDisposed).toBe(false);
    expect(g.shape).toEqual(f.shape);
    tf.dispose([f, g]);
  });
});
