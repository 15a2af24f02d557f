// A 5×7 pixel font (the HD44780 shapes, upper case only) for sheet labels on machines where librsvg
// finds no fonts: without one, SVG text renders as nothing and a sheet would lose all its numbers.

/** Each glyph: 7 rows of 5 bits (MSB = left pixel) as 14 hex digits. */
const GLYPHS: Record<string, string> = {
  '0': '0e11131519110e', '1': '040c040404040e', '2': '0e11010204081f', '3': '1f02040201110e',
  '4': '02060a121f0202', '5': '1f101e0101110e', '6': '0608101e11110e', '7': '1f010204080808',
  '8': '0e11110e11110e', '9': '0e11110f01020c',
  A: '0e1111111f1111', B: '1e11111e11111e', C: '0e11101010110e', D: '1c12111111121c',
  E: '1f10101e10101f', F: '1f10101e101010', G: '0e11101711110f', H: '1111111f111111',
  I: '0e04040404040e', J: '0702020202120c', K: '11121418141211', L: '1010101010101f',
  M: '111b1515111111', N: '11111915131111', O: '0e11111111110e', P: '1e11111e101010',
  Q: '0e11111115120d', R: '1e11111e141211', S: '0f10100e01011e', T: '1f040404040404',
  U: '1111111111110e', V: '11111111110a04', W: '1111111515150a', X: '11110a040a1111',
  Y: '1111110a040404', Z: '1f01020408101f',
  ' ': '00000000000000', '.': '00000000000c0c', ',': '000000000c0408', '-': '0000001f000000',
  '+': '0004041f040400', _: '0000000000001f', ':': '000c0c000c0c00', '(': '02040808080402',
  ')': '08040202020408', '/': '00010204081000', '=': '00001f001f0000', '%': '18190204081303',
  '?': '0e110102040004', '×': '00110a040a1100', '·': '0000000c0c0000', '…': '00000000000015',
  "'": '0c040800000000', '#': '0a0a1f0a1f0a0a',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Glyph plus one column of spacing. */
export const GLYPH_ADVANCE = 6;

function rowsOf(ch: string): number[] {
  const hex = GLYPHS[ch] ?? GLYPHS[ch.toUpperCase()] ?? GLYPHS['?'];
  const rows: number[] = [];
  for (let r = 0; r < GLYPH_HEIGHT; r++) rows.push(parseInt(hex.slice(r * 2, r * 2 + 2), 16));
  return rows;
}

export interface BitmapCanvas {
  width: number;
  height: number;
  /** RGBA, row-major. */
  data: Uint8Array;
}

/** Width in pixels of `text` at an integer scale. */
export function bitmapTextWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * GLYPH_ADVANCE - 1) * scale;
}

/** Draws `text` with its top-left corner at (x, y), opaque `rgb`, clipped to the canvas. */
export function drawBitmapText(canvas: BitmapCanvas, text: string, x: number, y: number, scale: number, rgb: readonly [number, number, number]): void {
  let left = Math.round(x);
  const top = Math.round(y);
  for (const ch of text) {
    rowsOf(ch).forEach((bits, r) => {
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (!(bits & (1 << (GLYPH_WIDTH - 1 - c)))) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const px = left + c * scale + dx;
            const py = top + r * scale + dy;
            if (px < 0 || py < 0 || px >= canvas.width || py >= canvas.height) continue;
            const i = (py * canvas.width + px) * 4;
            canvas.data[i] = rgb[0];
            canvas.data[i + 1] = rgb[1];
            canvas.data[i + 2] = rgb[2];
            canvas.data[i + 3] = 255;
          }
        }
      }
    });
    left += GLYPH_ADVANCE * scale;
  }
}
