import { crc32, deflateSync } from 'node:zlib';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng, fitLongSide, ImageError, imageSize, resizeImage } from '../../src/engine/image.ts';
import type { RGBImage } from '../../src/engine/types.ts';

const W = 24;
const H = 16;

/** A 24×16 test card: left half red, right half blue, bottom-left quarter green (flat areas survive lossy codecs). */
function card(): Uint8Array {
  const px = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      const rgb = x < W / 2 ? (y < H / 2 ? [220, 30, 30] : [30, 200, 40]) : [20, 40, 230];
      px.set(rgb, i);
    }
  }
  return px;
}

function raw8(px: Uint8Array, width: number, height: number, channels: 1 | 2 | 3 | 4 = 3) {
  return sharp(px, { raw: { width, height, channels } });
}

function meanAbsDiff(img: RGBImage, px: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < px.length; i++) s += Math.abs(img.data[i] - px[i] / 255);
  return s / px.length;
}

function exactly(img: RGBImage, px: Uint8Array): boolean {
  return img.data.length === px.length && px.every((v, i) => img.data[i] === Math.fround(v / 255));
}

function pixel(img: RGBImage, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return Array.from(img.data.subarray(i, i + 3));
}

const tmp = mkdtempSync(path.join(tmpdir(), 'stylize-image-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('decodeImage formats', () => {
  const encoders: Record<string, { encode: (s: Sharp) => Sharp; lossless: boolean; format: string }> = {
    png: { encode: (s) => s.png(), lossless: true, format: 'png' },
    jpeg: { encode: (s) => s.jpeg({ quality: 95 }), lossless: false, format: 'jpeg' },
    webp: { encode: (s) => s.webp({ lossless: true }), lossless: true, format: 'webp' },
    gif: { encode: (s) => s.gif({ dither: 0 }), lossless: true, format: 'gif' },
    avif: { encode: (s) => s.avif({ quality: 90 }), lossless: false, format: 'avif' },
    tiff: { encode: (s) => s.tiff({ compression: 'lzw' }), lossless: true, format: 'tiff' },
  };
  for (const [name, { encode, lossless, format }] of Object.entries(encoders)) {
    it(`reads ${name} as is and resized`, async () => {
      const px = card();
      const buf = await encode(raw8(px, W, H)).toBuffer();
      expect(await imageSize(buf)).toEqual({ width: W, height: H, format });

      const same = await decodeImage(buf, { longSide: W });
      expect([same.width, same.height]).toEqual([W, H]);
      expect(same.data).toBeInstanceOf(Float32Array);
      if (lossless) expect(exactly(same, px)).toBe(true);
      else expect(meanAbsDiff(same, px)).toBeLessThan(0.03);

      const small = await decodeImage(buf, { longSide: 12 });
      expect([small.width, small.height]).toEqual([12, 8]);
      // Flat quadrants stay their colour away from the edges.
      expect(pixel(small, 1, 1)[0]).toBeGreaterThan(0.7);
      expect(pixel(small, 10, 1)[2]).toBeGreaterThan(0.7);
      expect(pixel(small, 1, 6)[1]).toBeGreaterThan(0.65);
    });
  }

  it('reads a file path', async () => {
    const file = path.join(tmp, 'card.png');
    writeFileSync(file, await raw8(card(), W, H).png().toBuffer());
    const img = await decodeImage(file, { longSide: 48 });
    expect([img.width, img.height]).toEqual([48, 32]);
    expect(await imageSize(file)).toEqual({ width: W, height: H, format: 'png' });
  });

  it('takes the first frame of an animated GIF', async () => {
    const red = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const blue = await sharp({ create: { width: 6, height: 4, channels: 3, background: '#0000ff' } }).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const img = await decodeImage(gif, {});
    expect([img.width, img.height]).toEqual([6, 4]);
    expect(pixel(img, 3, 2)).toEqual([1, 0, 0]);
  });
});

describe('decodeImage conversions', () => {
  it('applies the EXIF orientation (6: rotate 90° clockwise)', async () => {
    // Landscape 16×8: left half red, right half blue. Rotated clockwise, the left becomes the top.
    const px = new Uint8Array(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) px.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await raw8(px, 16, 8).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);

    expect(await imageSize(jpeg)).toEqual({ width: 8, height: 16, format: 'jpeg' });
    const img = await decodeImage(jpeg, {});
    expect([img.width, img.height]).toEqual([8, 16]);
    expect(pixel(img, 4, 2)[0]).toBeGreaterThan(0.8);
    expect(pixel(img, 4, 13)[2]).toBeGreaterThan(0.8);
    // Resizing works on the displayed orientation too.
    const small = await decodeImage(jpeg, { longSide: 4 });
    expect([small.width, small.height]).toEqual([2, 4]);
  });

  it('flattens alpha on white', async () => {
    // transparent red, half-transparent blue, opaque dark colour, transparent black
    const rgba = new Uint8Array([255, 0, 0, 0, 0, 0, 255, 128, 10, 20, 30, 255, 0, 0, 0, 0]);
    const png = await raw8(rgba, 2, 2, 4).png().toBuffer();
    const img = await decodeImage(png, {});
    const a = 128 / 255;
    expect(pixel(img, 0, 0)).toEqual([1, 1, 1]);
    expect(pixel(img, 1, 0)[0]).toBeCloseTo(1 - a, 6);
    expect(pixel(img, 1, 0)[1]).toBeCloseTo(1 - a, 6);
    expect(pixel(img, 1, 0)[2]).toBeCloseTo(1, 6);
    expect(pixel(img, 0, 1)).toEqual([10, 20, 30].map((v) => Math.fround(v / 255)));
    expect(pixel(img, 1, 1)).toEqual([1, 1, 1]);
  });

  it('flattens grey+alpha on white', async () => {
    const ga = new Uint8Array([0, 0, 100, 255, 200, 128, 255, 255]);
    const png = await raw8(ga, 2, 2, 2).png().toBuffer();
    const img = await decodeImage(png, {});
    expect(pixel(img, 0, 0)).toEqual([1, 1, 1]);
    expect(pixel(img, 1, 0)).toEqual([100, 100, 100].map((v) => Math.fround(v / 255)));
    const a = 128 / 255;
    for (const v of pixel(img, 0, 1)) expect(v).toBeCloseTo((200 / 255) * a + 1 - a, 6);
  });

  it('uses an image already at the size as is, bit-exact', async () => {
    const px = new Uint8Array(32 * 32 * 3);
    let s = 12345;
    for (let i = 0; i < px.length; i++) px[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    const png = await raw8(px, 32, 32).png().toBuffer();
    const img = await decodeImage(png, { longSide: 32 });
    expect([img.width, img.height]).toEqual([32, 32]);
    const expected = Float32Array.from(px, (v) => v / 255);
    expect(img.data).toEqual(expected);
    // Same for an explicit width×height equal to the image's.
    expect((await decodeImage(png, { width: 32, height: 32 })).data).toEqual(expected);
  });

  it('resizes to the longer side for portrait images and to exact width×height', async () => {
    const png = await sharp({ create: { width: 20, height: 40, channels: 3, background: '#336699' } }).png().toBuffer();
    const portrait = await decodeImage(png, { longSide: 10 });
    expect([portrait.width, portrait.height]).toEqual([5, 10]);
    // A flat colour stays flat through lanczos3.
    pixel(portrait, 2, 5).forEach((v, c) => expect(v).toBeCloseTo([0x33, 0x66, 0x99][c] / 255, 6));
    const exact = await decodeImage(png, { width: 7, height: 3 });
    expect([exact.width, exact.height]).toEqual([7, 3]);
    await expect(decodeImage(png, { width: 7 })).rejects.toThrow(/width and height must be given together/);
  });

  it('keeps 16-bit PNG precision and flattens 16-bit alpha to full white', async () => {
    const rgb16 = Uint16Array.from([0, 1000, 40000, 65535, 12345, 257, 30000, 30001, 30002, 1, 2, 3]);
    const png = await sharp(rgb16, { raw: { width: 2, height: 2, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    const meta = await sharp(png).metadata();
    expect(meta.depth).toBe('ushort');
    const img = await decodeImage(png, {});
    expect(img.data).toEqual(Float32Array.from(rgb16, (v) => v / 65535));

    const rgba16 = Uint16Array.from([65535, 0, 0, 0, 1000, 2000, 3000, 65535]);
    const png4 = await sharp(rgba16, { raw: { width: 2, height: 1, channels: 4 } }).toColourspace('rgb16').png().toBuffer();
    const img4 = await decodeImage(png4, {});
    expect(pixel(img4, 0, 0)).toEqual([1, 1, 1]);
    expect(pixel(img4, 1, 0)).toEqual([1000, 2000, 3000].map((v) => Math.fround(v / 65535)));
  });

  it('turns a greyscale image into RGB', async () => {
    const grey = new Uint8Array([0, 100, 200, 255, 17, 99]);
    const png = await raw8(grey, 3, 2, 1).toColourspace('b-w').png().toBuffer();
    expect((await sharp(png).metadata()).channels).toBe(1);
    const img = await decodeImage(png, {});
    expect(img.data.length).toBe(3 * 2 * 3);
    expect(img.data).toEqual(Float32Array.from([...grey].flatMap((v) => [v, v, v]), (v) => v / 255));
  });
});

/** A PNG whose header claims width×height, with a few bytes of pixel data: cheap to make, a bomb to decode. */
function craftedPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0))]);
}

describe('decodeImage refusals', () => {
  it('refuses a decompression bomb by its header', async () => {
    const bomb = craftedPng(30000, 30000);
    expect(bomb.length).toBeLessThan(1000);
    await expect(decodeImage(bomb, { longSide: 64 })).rejects.toThrow(
      'image too large: 30000×30000 pixels, limit 50,000,000 pixels',
    );
    await expect(imageSize(bomb)).rejects.toBeInstanceOf(ImageError);
  });

  it('applies a configurable pixel limit', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#fff' } }).png().toBuffer();
    await expect(decodeImage(png, { longSide: 16, maxInputPixels: 1000 })).rejects.toThrow(
      'image too large: 40×30 pixels, limit 1,000 pixels',
    );
    await expect(imageSize(png, { maxInputPixels: 1199 })).rejects.toThrow(/image too large/);
    expect((await decodeImage(png, { longSide: 16, maxInputPixels: 1200 })).width).toBe(16);
  });

  it('refuses non-images with a clear message', async () => {
    await expect(decodeImage(Buffer.from('hello, this is not an image'), {})).rejects.toThrow(/^not an image \(/);
    await expect(imageSize(Buffer.from('%PDF-1.4 nope'))).rejects.toThrow(/^not an image \(/);
    await expect(decodeImage(Buffer.alloc(0), {})).rejects.toThrow('not an image (empty file)');
    await expect(decodeImage(path.join(tmp, 'missing.png'), {})).rejects.toThrow(/image file not found: .*missing\.png/);
    const notImage = path.join(tmp, 'notes.txt');
    writeFileSync(notImage, 'just text');
    await expect(decodeImage(notImage, {})).rejects.toBeInstanceOf(ImageError);
  });

  it('refuses truncated data and formats that are not photos', async () => {
    const jpeg = await raw8(card(), W, H).jpeg().toBuffer();
    await expect(decodeImage(jpeg.subarray(0, jpeg.length / 2), {})).rejects.toBeInstanceOf(ImageError);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    await expect(decodeImage(svg, {})).rejects.toThrow('unsupported image format SVG: use JPEG, PNG, WebP, GIF, AVIF or TIFF');
  });
});

describe('encodePng / resizeImage / fitLongSide', () => {
  it('encodes an RGBImage as an 8-bit PNG, clamping out-of-range values', async () => {
    const data = Float32Array.from([0, 0.5, 1, -0.3, 1.7, 0.25, Number.NaN, 0.2, 0.91]);
    const png = await encodePng({ width: 3, height: 1, data });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 3, 1, 3]);
    const back = await sharp(png).raw().toBuffer();
    expect([...back]).toEqual([0, 128, 255, 0, 255, 64, 0, 51, 232]);
    await expect(encodePng({ width: 2, height: 2, data: new Float32Array(5) })).rejects.toThrow(/expected 2×2×3/);
  });

  it('round-trips through decodeImage within quantisation', async () => {
    const data = new Float32Array(10 * 6 * 3).map((_, i) => (i * 37 % 101) / 100);
    const img = await decodeImage(await encodePng({ width: 10, height: 6, data }), {});
    for (let i = 0; i < data.length; i++) expect(Math.abs(img.data[i] - data[i])).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
  });

  it('resizes with lanczos3 like sharp does on 8-bit data', async () => {
    const px = card();
    const img: RGBImage = { width: W, height: H, data: Float32Array.from(px, (v) => v / 255) };
    const out = await resizeImage(img, 9, 5);
    expect([out.width, out.height, out.data.length]).toEqual([9, 5, 9 * 5 * 3]);
    const ref = await raw8(px, W, H).resize(9, 5, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer();
    for (let i = 0; i < ref.length; i++) expect(Math.abs(out.data[i] - ref[i] / 255)).toBeLessThanOrEqual(1 / 255);

    const flat: RGBImage = { width: 4, height: 4, data: new Float32Array(48).fill(0.3) };
    const up = await resizeImage(flat, 11, 7);
    for (const v of up.data) expect(v).toBeCloseTo(0.3, 4);

    const same = await resizeImage(img, W, H);
    expect(same.data).toEqual(img.data);
    expect(same.data).not.toBe(img.data);
  });

  it('fits the longer side', () => {
    expect(fitLongSide(640, 480, 32)).toEqual({ width: 32, height: 24 });
    expect(fitLongSide(480, 640, 32)).toEqual({ width: 24, height: 32 });
    expect(fitLongSide(1000, 1, 16)).toEqual({ width: 16, height: 1 });
    expect(fitLongSide(17, 32, 32)).toEqual({ width: 17, height: 32 });
  });
});
