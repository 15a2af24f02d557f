import { describe, expect, it } from 'vitest';
import { keepOriginalColors } from '../../src/engine/colors.ts';
import type { RGBImage } from '../../src/engine/types.ts';

// torch's image.rgb2yuv, which neural-style's original_colors uses.
const RGB2YUV = [
  [0.299, 0.587, 0.114],
  [-0.14713, -0.28886, 0.436],
  [0.615, -0.51499, -0.10001],
];

function mul(m: number[][], v: number[]): number[] {
  return m.map((row) => row[0] * v[0] + row[1] * v[1] + row[2] * v[2]);
}

/** 3×3 inverse by cofactors: an independent route back to RGB, not the code's yuv2rgb constants. */
function inverse(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

function image(pixels: number[][], width: number): RGBImage {
  return { width, height: pixels.length / width, data: Float32Array.from(pixels.flat()) };
}

function pixelAt(img: RGBImage, p: number): number[] {
  return Array.from(img.data.subarray(p * 3, p * 3 + 3));
}

describe('keepOriginalColors', () => {
  it("combines the output's luminance with the content's chroma", () => {
    const output = image([[0.5, 0.5, 0.5], [0.3, 0.3, 0.3], [0.7, 0.7, 0.7], [0.45, 0.55, 0.5]], 2);
    const content = image([[0.6, 0.4, 0.3], [0.2, 0.5, 0.4], [0.5, 0.45, 0.6], [0.35, 0.45, 0.55]], 2);
    const result = keepOriginalColors(output, content);
    expect([result.width, result.height, result.data.length]).toEqual([2, 2, 12]);
    const yuv2rgb = inverse(RGB2YUV);
    for (let p = 0; p < 4; p++) {
      const got = pixelAt(result, p);
      const [y] = mul(RGB2YUV, pixelAt(output, p));
      const [, u, v] = mul(RGB2YUV, pixelAt(content, p));
      const [gy, gu, gv] = mul(RGB2YUV, got);
      // torch's yuv2rgb constants are rounded to 5 decimals, hence 1e-4 rather than float precision.
      expect(gy).toBeCloseTo(y, 4);
      expect(gu).toBeCloseTo(u, 4);
      expect(gv).toBeCloseTo(v, 4);
      mul(yuv2rgb, [y, u, v]).forEach((want, c) => expect(got[c]).toBeCloseTo(want, 4));
    }
    // A gray output takes the content's hue: the first pixel is reddish like the content's.
    const [r, g, b] = pixelAt(result, 0);
    expect(r).toBeGreaterThan(g);
    expect(g).toBeGreaterThan(b);
  });

  it('leaves an image whose output equals the content unchanged', () => {
    const content = image([[0.9, 0.1, 0.2], [0.1, 0.8, 0.3], [0.2, 0.3, 0.9]], 3);
    const result = keepOriginalColors(content, content);
    result.data.forEach((v, i) => expect(v).toBeCloseTo(content.data[i], 4));
  });

  it('clamps to [0,1]', () => {
    // Extreme luminance with saturated chroma pushes channels past 1 (white + red) and below 0 (black + red).
    const output = image([[1, 1, 1], [0, 0, 0]], 2);
    const content = image([[1, 0, 0], [1, 0, 0]], 2);
    const result = keepOriginalColors(output, content);
    const [, u, v] = mul(RGB2YUV, [1, 0, 0]);
    const bright = mul(inverse(RGB2YUV), [1, u, v]);
    const dark = mul(inverse(RGB2YUV), [0, u, v]);
    expect(bright[0]).toBeGreaterThan(1);
    expect(dark[1]).toBeLessThan(0);
    expect(dark[2]).toBeLessThan(0);
    expect(pixelAt(result, 0)[0]).toBe(1);
    expect(pixelAt(result, 0)[1]).toBeCloseTo(bright[1], 4);
    expect(pixelAt(result, 0)[2]).toBeCloseTo(bright[2], 4);
    expect(pixelAt(result, 1)[0]).toBeCloseTo(dark[0], 4);
    expect(pixelAt(result, 1).slice(1)).toEqual([0, 0]);
  });

  it('refuses images of different sizes', () => {
    const a = image([[0, 0, 0], [0, 0, 0]], 2);
    const b = image([[0, 0, 0], [0, 0, 0]], 1);
    expect(() => keepOriginalColors(a, b)).toThrow('original colours need images of the same size: output 2×1, content 1×2');
  });
});
