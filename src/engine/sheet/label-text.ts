// Text on a sheet as one overlay image. librsvg (sharp's SVG input) draws it with the system fonts;
// when it has none it draws nothing at all, so that is probed once and the built-in bitmap font
// takes over.
import sharp from 'sharp';
import type { OverlayOptions } from 'sharp';
import { logger } from '../../log.ts';
import { GLYPH_HEIGHT, bitmapTextWidth, drawBitmapText } from './bitmap-font.ts';

export interface TextItem {
  text: string;
  /** Horizontal centre. */
  x: number;
  /** Top of the line box; the line is `size` pixels high. */
  y: number;
  size: number;
  bold?: boolean;
}

export type TextRenderer = 'svg' | 'bitmap';

const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
const INK: readonly [number, number, number] = [17, 17, 17];

/** An upper bound of the width of a line in either renderer, for sizing cells before drawing. */
export function estimateTextWidth(text: string, size: number): number {
  return Math.ceil([...text].length * size * 0.62);
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

function svgOverlay(width: number, height: number, items: readonly TextItem[]): Buffer {
  const texts = items.map(
    (t) =>
      // Baseline at ~80% of the line box puts cap height and descenders inside it.
      `<text x="${t.x}" y="${(t.y + t.size * 0.8).toFixed(1)}" font-size="${t.size}"${t.bold ? ' font-weight="bold"' : ''}>${escapeXml(t.text)}</text>`,
  );
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<g font-family="${FONT_FAMILY}" text-anchor="middle" fill="rgb(${INK.join(',')})">${texts.join('')}</g></svg>`,
  );
}

/** Bitmap glyphs are 7 px high: scale 1 up to 13 px text, then whole multiples. */
function bitmapScale(size: number): number {
  return Math.max(1, Math.floor(size / 9));
}

function bitmapOverlay(width: number, height: number, items: readonly TextItem[]): Buffer {
  const canvas = { width, height, data: new Uint8Array(width * height * 4) };
  for (const t of items) {
    const scale = bitmapScale(t.size);
    const left = t.x - bitmapTextWidth(t.text, scale) / 2;
    const top = t.y + (t.size - GLYPH_HEIGHT * scale) / 2;
    drawBitmapText(canvas, t.text, left, top, scale, INK);
    // Faux bold: the same glyphs one pixel to the right.
    if (t.bold) drawBitmapText(canvas, t.text, left + 1, top, scale, INK);
  }
  return Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
}

/** Counts pixels darker than mid-grey in an RGBA raw buffer, over white. */
function inkedPixels(data: Buffer, channels: number): number {
  let n = 0;
  for (let i = 0; i < data.length; i += channels) {
    const alpha = channels === 4 ? data[i + 3] / 255 : 1;
    if (data[i] * alpha + 255 * (1 - alpha) < 128) n++;
  }
  return n;
}

/** Draws a short probe line through librsvg and checks that it left ink. */
export async function svgTextRenders(): Promise<boolean> {
  try {
    const { data, info } = await sharp(svgOverlay(80, 20, [{ text: 'Ag 0.5', x: 40, y: 2, size: 14 }]))
      .raw()
      .toBuffer({ resolveWithObject: true });
    return inkedPixels(data, info.channels) > 20;
  } catch {
    return false;
  }
}

let chosen: Promise<TextRenderer> | undefined;

/** 'svg' when librsvg can draw text here, else 'bitmap'; probed once per process. */
export function textRenderer(): Promise<TextRenderer> {
  chosen ??= svgTextRenders().then((ok) => {
    if (!ok) logger.warn('sheet labels: librsvg draws no text (no fonts installed?); using the built-in bitmap font');
    return ok ? 'svg' : 'bitmap';
  });
  return chosen;
}

/** The overlay for sharp's composite(): an SVG, or raw RGBA with its geometry. */
export async function textOverlay(
  width: number,
  height: number,
  items: readonly TextItem[],
  renderer?: TextRenderer,
): Promise<OverlayOptions> {
  const use = renderer ?? (await textRenderer());
  if (use === 'svg') return { input: svgOverlay(width, height, items), top: 0, left: 0 };
  return { input: bitmapOverlay(width, height, items), raw: { width, height, channels: 4 }, top: 0, left: 0 };
}
