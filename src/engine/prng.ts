// Seeded randomness for the noise init: same seed, same image, on every platform (Math.random
// cannot be seeded). mulberry32: a 32-bit state, full period 2^32, plenty for one image.

/** Uniform [0, 1) generator from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An HWC RGB noise image, uniform in [0, 1]. */
export function noiseImage(width: number, height: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = next();
  return data;
}
