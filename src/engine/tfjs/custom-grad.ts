// One-input ops with hand-written gradients, and a way to record them without tfjs's copies.
//
// tfjs's customGrad `save` stores a copy of each saved tensor (an Identity kernel: a full memcpy on
// wasm), and a gradFunc's temporaries live until the whole gradient computation ends. For VGG that
// meant ~6.6× the activations' size held at the peak. Inside `recordWithoutCopies`, the ops here
// keep the very tensors they need (tf.keep) and the arena frees them once the gradients are out;
// each gradFunc runs in its own tidy. Outside it (a plain tf.grad), they fall back to tfjs's save.
import * as tf from '@tensorflow/tfjs-core';

let arena: Set<tf.Tensor> | undefined;
/** Tensors with a smaller id existed before the arena: their owner keeps them alive, not the arena. */
let arenaFirstId = 0;

/**
 * Runs f, which computes gradients through the ops of this module, with their backward tensors held
 * without copies; frees them when f returns or throws. f is synchronous (tfjs gradients are).
 */
export function recordWithoutCopies<T>(f: () => T): T {
  if (arena) throw new Error('recordWithoutCopies cannot be nested');
  const held = new Set<tf.Tensor>();
  const mark = tf.scalar(0);
  arenaFirstId = mark.id;
  mark.dispose();
  arena = held;
  try {
    return f();
  } finally {
    arena = undefined;
    held.forEach((t) => t.dispose());
  }
}

/** True for a tensor an op of this module holds for the backward pass (it must not be disposed). */
export function heldForBackward(t: tf.Tensor): boolean {
  return arena?.has(t) ?? false;
}

export type SaveForBackward = (tensors: tf.Tensor[]) => void;

export function unaryCustomGrad<X extends tf.Tensor, Y extends tf.Tensor>(
  f: (x: X, save: SaveForBackward) => { value: Y; gradFunc: (dy: Y, saved: tf.Tensor[]) => tf.Tensor },
): (x: X) => Y {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    let held: tf.Tensor[] | undefined;
    const tfjsSave = args[1] as tf.GradSaveFunc;
    const save: SaveForBackward = (tensors) => {
      if (arena && tf.engine().state.gradientDepth > 0) {
        held = tensors;
        for (const t of tensors) if (t.id >= arenaFirstId) arena.add(tf.keep(t));
      } else {
        tfjsSave(tensors);
      }
    };
    const { value, gradFunc } = f(args[0] as X, save);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.tidy(() => gradFunc(dy as Y, held ?? saved))] };
  });
  return (x: X) => op(x) as Y;
}
