// A VGG-19-shaped network with few channels, for exactness tests against the float64 reference.
import { mulberry32 } from '../../src/engine/prng.ts';
import type { RGBImage, VggWeights } from '../../src/engine/types.ts';

export const TINY_CHANNELS = [4, 4, 6, 6, 8, 8, 8, 8, 10, 10, 10, 10, 12, 12, 12, 12];

/** He-scaled uniform weights with TINY_CHANNELS (or the given) output channels. */
export function tinyVggWeights(seed: number, channels: readonly number[] = TINY_CHANNELS): VggWeights {
  const next = mulberry32(seed);
  let cin = 3;
  return channels.map((cout) => {
    const bound = Math.sqrt(6 / (cin * 9));
    const w = {
      cin,
      cout,
      weight: Float32Array.from({ length: cout * cin * 9 }, () => (next() * 2 - 1) * bound),
      bias: Float32Array.from({ length: cout }, () => (next() * 2 - 1) * 0.1),
    };
    cin = cout;
    return w;
  });
}

export function randomImage(width: number, height: number, seed: number): RGBImage {
  const next = mulberry32(seed);
  return { width, height, data: Float32Array.from({ length: width * height * 3 }, () => next()) };
}
