// VGG-19's `features` as a feature extractor with frozen weights. The weights are uploaded once and
// kept across runs; `features` evaluates only as deep as the deepest requested layer.
import * as tf from '@tensorflow/tfjs-core';
import { VGG_BLOCKS, VGG_LAYER_NAMES } from '../../options.ts';
import { createFrozenConv, frozenConv2d, frozenConv2dRelu, reluFromOutput, type FrozenConv } from './conv-grad.ts';
import { heldForBackward } from './custom-grad.ts';
import { avgPool2x2, maxPool2x2 } from './pool.ts';
import { EngineError, type VggWeights } from '../types.ts';
import type { Pooling } from '../../options.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;
export const VGG_CONV_COUNT = VGG_BLOCKS.reduce((a, b) => a + b, 0);

export interface Vgg {
  /** Output channels of each conv, in order. */
  readonly channels: readonly number[];
  /**
   * x: [1, H, W, 3] RGB in [0, 1]. Returns the requested layers (canonical names: conv{b}_{k} before
   * ReLU, relu{b}_{k}, pool{b}). Intermediates are created in the caller's scope: call it inside
   * tf.tidy (or a gradient function, which is one).
   */
  features(x: tf.Tensor4D, layers: readonly string[], pooling: Pooling): Record<string, tf.Tensor4D>;
  dispose(): void;
}

/** Checks the 16-conv chain (cin of each conv = cout of the previous, 3 into the first). */
export function validateVggWeights(weights: VggWeights): void {
  if (weights.length !== VGG_CONV_COUNT) {
    throw new EngineError(`VGG-19 weights need ${VGG_CONV_COUNT} convs, got ${weights.length}`);
  }
  let cin = 3;
  weights.forEach((w, i) => {
    if (w.cin !== cin) throw new EngineError(`VGG conv ${i + 1}: expected ${cin} input channels, got ${w.cin}`);
    if (!Number.isInteger(w.cout) || w.cout < 1) throw new EngineError(`VGG conv ${i + 1}: bad output channel count ${w.cout}`);
    if (w.weight.length !== w.cout * w.cin * 9) {
      throw new EngineError(`VGG conv ${i + 1}: weight has ${w.weight.length} values, expected ${w.cout}×${w.cin}×3×3`);
    }
    if (w.bias.length !== w.cout) throw new EngineError(`VGG conv ${i + 1}: bias has ${w.bias.length} values, expected ${w.cout}`);
    cin = w.cout;
  });
}

interface Step {
  kind: 'conv' | 'pool';
  /** Index into the convs for 'conv'. */
  conv: number;
  /** conv{b}_{k} + relu{b}_{k}, or pool{b}. */
  names: string[];
}

// Network order: each conv step produces conv{b}_{k} and relu{b}_{k}; pool steps close a block.
const STEPS: Step[] = (() => {
  const steps: Step[] = [];
  let conv = 0;
  VGG_BLOCKS.forEach((convs, b) => {
    for (let k = 1; k <= convs; k++) steps.push({ kind: 'conv', conv: conv++, names: [`conv${b + 1}_${k}`, `relu${b + 1}_${k}`] });
    steps.push({ kind: 'pool', conv: -1, names: [`pool${b + 1}`] });
  });
  return steps;
})();

export function createVgg(weights: VggWeights): Vgg {
  validateVggWeights(weights);
  const convs: FrozenConv[] = weights.map(createFrozenConv);
  const mean = tf.tensor1d([...IMAGENET_MEAN]);
  const std = tf.tensor1d([...IMAGENET_STD]);
  let disposed = false;

  return {
    channels: weights.map((w) => w.cout),
    features(x, layers, pooling) {
      if (disposed) throw new EngineError('the VGG model was disposed');
      if (x.shape[0] !== 1 || x.shape[3] !== 3) throw new EngineError(`VGG input must be [1, H, W, 3], got [${x.shape.join(', ')}]`);
      const wanted = new Set(layers);
      for (const name of wanted) {
        if (!VGG_LAYER_NAMES.includes(name)) throw new EngineError(`unknown VGG layer "${name}"`);
      }
      const out: Record<string, tf.Tensor4D> = {};
      const outputs = new Set<tf.Tensor>();
      if (wanted.size === 0) return out;
      let remaining = wanted.size;
      const centred = tf.sub(x, mean);
      let h = tf.div(centred, std) as tf.Tensor4D;
      centred.dispose();
      // Each intermediate is freed once the next layer has consumed it, unless an op holds it for
      // the backward pass (custom-grad.ts; tfjs's own save keeps copies), so a forward-only call
      // (the targets) holds about two layers at a time.
      const advance = (next: tf.Tensor4D) => {
        if (!outputs.has(h) && !heldForBackward(h)) h.dispose();
        h = next;
      };
      const keepAs = (name: string, t: tf.Tensor4D) => {
        out[name] = t;
        outputs.add(t);
        remaining--;
      };
      for (const step of STEPS) {
        if (step.kind === 'pool') {
          if (h.shape[1] < 2 || h.shape[2] < 2) {
            throw new EngineError(`a ${x.shape[2]}×${x.shape[1]} image is too small for ${step.names[0]}: it would have no pixels left`);
          }
          advance(pooling === 'max' ? maxPool2x2(h) : avgPool2x2(h));
          if (wanted.has(step.names[0])) keepAs(step.names[0], h);
        } else {
          const [convName, reluName] = step.names;
          if (wanted.has(convName)) {
            const pre = frozenConv2d(h, convs[step.conv]);
            keepAs(convName, pre);
            advance(pre);
            if (remaining === 0) break;
            advance(reluFromOutput(pre));
          } else {
            advance(frozenConv2dRelu(h, convs[step.conv]));
          }
          if (wanted.has(reluName)) keepAs(reluName, h);
        }
        if (remaining === 0) break;
      }
      if (!outputs.has(h) && !heldForBackward(h)) h.dispose();
      return out;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      convs.forEach((c) => c.dispose());
      mean.dispose();
      std.dispose();
    },
  };
}
