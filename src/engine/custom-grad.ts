// A typed wrapper of tf.customGrad for one-input ops (tf.customGrad's own typing takes variadic
// Tensor | GradSaveFunc arguments).
import * as tf from '@tensorflow/tfjs-core';

export function unaryCustomGrad<X extends tf.Tensor, Y extends tf.Tensor>(
  f: (x: X, save: tf.GradSaveFunc) => { value: Y; gradFunc: (dy: Y, saved: tf.Tensor[]) => tf.Tensor },
): (x: X) => Y {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const { value, gradFunc } = f(args[0] as X, args[1] as tf.GradSaveFunc);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [gradFunc(dy as Y, saved)] };
  });
  return (x: X) => op(x) as Y;
}
