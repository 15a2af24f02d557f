import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { UploadTooLargeError, fitForUpload } from '../../src/discord/upload-fit.ts';

/** Noise compresses badly, so its PNG is large for its size: a stand-in for a detailed result. */
async function noisePng(w: number, h: number): Promise<Buffer> {
  const data = Buffer.alloc(w * h * 3);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return sharp(data, { raw: { width: w, height: h, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

describe('fitForUpload', () => {
  test('a PNG under the cap goes out unchanged', async () => {
    const png = await noisePng(16, 16);
    const r = await fitForUpload(png, png.length);
    expect(r.file).toMatchObject({ name: 'stylized.png', contentType: 'image/png' });
    expect(r.file.data).toBe(png);
    expect(r.note).toBeUndefined();
  });

  test('over the cap: a smaller PNG first, then JPEG, always under the cap', async () => {
    const png = await noisePng(128, 96);
    const sizes: number[] = [];
    for (const limit of [Math.floor(png.length * 0.7), Math.floor(png.length * 0.2), 4000]) {
      const r = await fitForUpload(png, limit);
      expect(r.file.data.length).toBeLessThanOrEqual(limit);
      const meta = await sharp(r.file.data).metadata();
      expect(meta.format).toBe(r.file.contentType === 'image/png' ? 'png' : 'jpeg');
      expect(r.file.name.endsWith(meta.format === 'png' ? '.png' : '.jpg')).toBe(true);
      expect(meta.width! / meta.height!).toBeCloseTo(128 / 96, 1);
      expect(r.note).toMatch(/upload limit/);
      sizes.push(meta.width!);
    }
    // 70 % fits as a downscaled PNG; a fifth only as JPEG.
    expect((await fitForUpload(png, Math.floor(png.length * 0.7))).file.contentType).toBe('image/png');
    expect((await fitForUpload(png, 4000)).file.contentType).toBe('image/jpeg');
    expect(sizes[0]).toBeLessThan(128);
  });

  test('nothing fits: a clear error', async () => {
    await expect(fitForUpload(await noisePng(64, 64), 50)).rejects.toBeInstanceOf(UploadTooLargeError);
  });
});
