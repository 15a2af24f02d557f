// VGG's 2×2, stride-2 pooling with hand-written gradients. On wasm, MaxPoolGrad is a slow generic
// loop (~260 ms for a 256×256×64 input, 50× its forward), and on ties it routes the gradient to the
// last maximal element where PyTorch routes it to the first (ties are common in flat or clamped
// image regions). Both gradients here are one pass over host copies of the tensors, which costs
// a few milliseconds of copying and gives PyTorch's semantics. Odd sizes drop the last row/column
// (floor), as PyTorch does, and get no gradient there.
import * as tf from '@tensorflow/tfjs-core';
import { unaryCustomGrad } from './custom-grad.ts';

function maxPoolGrad(dy: tf.Tensor4D, x: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  const [, ho, wo] = y.shape;
  const xv = x.dataSync() as Float32Array;
  const yv = y.dataSync() as Float32Array;
  const g = dy.dataSync() as Float32Array;
  const dx = new Float32Array(h * w * c);
  const row = w * c;
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      const o = (i * wo + j) * c;
      const p00 = 2 * i * row + 2 * j * c;
      const p01 = p00 + c;
      const p10 = p00 + row;
      const p11 = p10 + c;
      for (let k = 0; k < c; k++) {
        // The first maximal element in row-major window order, as PyTorch.
        const m = yv[o + k];
        const p = xv[p00 + k] === m ? p00 : xv[p01 + k] === m ? p01 : xv[p10 + k] === m ? p10 : p11;
        dx[p + k] = g[o + k];
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

function avgPoolGrad(dy: tf.Tensor4D, inputShape: [number, number, number, number]): tf.Tensor4D {
  const [, h, w, c] = inputShape;
  const [, ho, wo] = dy.shape;
  const g = dy.dataSync() as Float32Array;
  const dx = new Float32Array(h * w * c);
  const row = w * c;
  for (let i = 0; i < ho; i++) {
    for (let j = 0; j < wo; j++) {
      const o = (i * wo + j) * c;
      const p00 = 2 * i * row + 2 * j * c;
      for (let k = 0; k < c; k++) {
        const v = g[o + k] / 4;
        dx[p00 + k] = v;
        dx[p00 + c + k] = v;
        dx[p00 + row + k] = v;
        dx[p00 + row + c + k] = v;
      }
    }
  }
  return tf.tensor4d(dx, inputShape);
}

export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return unaryCustomGrad((input: tf.Tensor4D, save) => {
    const y = tf.maxPool(input, 2, 2, 'valid');
    save([input, y]);
    return { value: y, gradFunc: (dy: tf.Tensor4D, [xs, ys]) => maxPoolGrad(dy, xs as tf.Tensor4D, ys as tf.Tensor4D) };
  })(x);
}

export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const shape = x.shape;
  return unaryCustomGrad((input: tf.Tensor4D) => ({
    value: tf.avgPool(input, 2, 2, 'valid'),
    gradFunc: (dy: tf.Tensor4D) => avgPoolGrad(dy, shape),
  }))(x);
}
