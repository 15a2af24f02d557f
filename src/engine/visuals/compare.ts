// Before/after: the inputs a run used and its result side by side, each scaled to the result's
// height. A transfer shows content | style(s) | result; a texture only its style(s), a
// reconstruction only its content.
import sharp from 'sharp';
import type { Mode } from '../../options.ts';
import { DEFAULT_MAX_INPUT_PIXELS } from '../image.ts';

/** White space between the pictures. */
export const COMPARE_GAP = 4;

export function comparisonInputs<T>(mode: Mode, content: T | undefined, styles: readonly T[]): T[] {
  if (mode === 'texture') return [...styles];
  if (mode === 'reconstruct') return content === undefined ? [] : [content];
  return [...(content === undefined ? [] : [content]), ...styles];
}

export async function composeComparison(result: Buffer, inputs: readonly (Buffer | string)[]): Promise<Buffer> {
  const { width: rw = 0, height: rh = 0 } = await sharp(result).metadata();
  const tiles: { data: Buffer; width: number }[] = [];
  for (const input of inputs) {
    // rotate(): as displayed (EXIF orientation), as the engine decoded it.
    const { data, info } = await sharp(input, { limitInputPixels: DEFAULT_MAX_INPUT_PIXELS })
      .rotate()
      .resize({ height: rh })
      .removeAlpha()
      .png()
      .toBuffer({ resolveWithObject: true });
    tiles.push({ data, width: info.width });
  }
  tiles.push({ data: result, width: rw });
  const width = tiles.reduce((n, t) => n + t.width, 0) + COMPARE_GAP * (tiles.length - 1);
  let left = 0;
  const layers = tiles.map((t) => {
    const layer = { input: t.data, left, top: 0 };
    left += t.width + COMPARE_GAP;
    return layer;
  });
  const sheet = await sharp({ create: { width, height: rh, channels: 3, background: '#ffffff' } }).composite(layers).png().toBuffer();
  // Compositing adds an alpha channel; the picture is opaque.
  return sharp(sheet).removeAlpha().png().toBuffer();
}
