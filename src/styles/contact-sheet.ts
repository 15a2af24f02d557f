// One picture of a style library: every style as a thumbnail with its name underneath, laid out by
// the sheet composer (src/engine/sheet), whose labels fall back to a bitmap font on machines
// without fonts, so the names show wherever the bot runs.
import sharp from 'sharp';
import { composeSheet, type ComposedSheet, type TextRenderer } from '../engine/sheet/index.ts';

/** Long side of a thumbnail: big enough to recognise a painting, small enough for 25 of them. */
export const THUMBNAIL_SIDE = 128;
const COLUMNS = 5;

export interface ContactSheetStyle {
  name: string;
  /** Shown under the name: "built-in", "saved". */
  note?: string;
  image: Buffer;
}

/** Undefined for an empty library. */
export async function styleContactSheet(styles: readonly ContactSheetStyle[], title: string, renderer?: TextRenderer): Promise<ComposedSheet | undefined> {
  if (styles.length === 0) return undefined;
  const cells = await Promise.all(
    styles.map(async (s) => ({
      png: await sharp(s.image).resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside' }).png().toBuffer(),
      lines: s.note ? [s.name, s.note] : [s.name],
    })),
  );
  return composeSheet(cells, { columns: Math.min(COLUMNS, cells.length), title, ...(renderer ? { renderer } : {}) });
}
