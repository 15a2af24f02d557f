// The golden test's VGG-19 weights, defined by a formula (/work/shared/golden/README.md) so that no
// weight file has to be shipped: an integer hash of (element index, salt) scaled to He-like ranges.
// Not the same formula as scripts/lib/random-weights.ts's formulaVggWeights.
import type { VggWeights } from '../../src/engine/types.ts';

/** cin → cout of VGG-19's 16 convs. */
export const VGG19_CHANNEL_PAIRS: readonly (readonly [number, number])[] = [
  [3, 64], [64, 64],
  [64, 128], [128, 128],
  [128, 256], [256, 256], [256, 256], [256, 256],
  [256, 512], [512, 512], [512, 512], [512, 512],
  [512, 512], [512, 512], [512, 512], [512, 512],
];

/** The README's hash, every step mod 2^32. */
export function goldenHash(i: number, salt: number): number {
  let h = (Math.imul(i, 0x9e3779b9) + Math.imul(salt, 0x632be5ab)) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h;
}

function u(i: number, salt: number): number {
  return goldenHash(i, salt) / 4294967296 - 0.5;
}

export function goldenVggWeights(): VggWeights {
  return VGG19_CHANNEL_PAIRS.map(([cin, cout], layer) => {
    const weight = new Float32Array(cout * cin * 9);
    const bias = new Float32Array(cout);
    const scale = Math.sqrt(2 / (cin * 9));
    const sqrt12 = Math.sqrt(12);
    for (let i = 0; i < weight.length; i++) weight[i] = u(i, 2 * layer + 1) * scale * sqrt12;
    for (let i = 0; i < cout; i++) bias[i] = u(i, 2 * layer + 2) * 0.02;
    return { cin, cout, weight, bias };
  });
}
