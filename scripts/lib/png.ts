// Input images for tests and benchmarks: the engine needs real pixel variation (a constant image has
// a zero Gram and no gradient to speak of), and the same seed must give the same bytes on every run.
import sharp from 'sharp';

/** A small PNG with a seeded colour pattern (xorshift noise over a per-channel and per-column ramp). */
export async function makePng(width: number, height: number, seed: number): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  let s = seed * 2654435761 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = Math.floor((i % 3) * 60 + ((s >>> 0) % 80) + ((i / 3) % width) * 2) & 0xff;
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
