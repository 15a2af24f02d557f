// Lays cell images out as a labelled contact sheet with sharp: equal cells in a grid, each image
// centred in its cell with its label lines underneath, a title line on top. Small images are
// enlarged by a whole factor with nearest-neighbour sampling so their pixels stay honest.
import sharp from 'sharp';
import type { OverlayOptions } from 'sharp';
import { EngineError } from '../types.ts';
import { estimateTextWidth, textOverlay, type TextItem, type TextRenderer } from './label-text.ts';

export interface ComposeCell {
  /** The cell's image (any format sharp reads); undefined leaves the cell empty. */
  png?: Buffer;
  /** Drawn under the image; the first line in bold. */
  lines: readonly string[];
}

export interface ComposeOptions {
  columns: number;
  title?: string;
  /** Force a text renderer (tests); default: SVG text when this machine has fonts. */
  renderer?: TextRenderer;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * width = columns·cellWidth + (columns + 1)·gap; height = titleHeight + rows·cellHeight + (rows + 1)·gap
 * (titleHeight = lines·titleLineHeight + gap, or 0 without a title);
 * cellHeight = imageBoxHeight·scale + labelHeight. Cell (r, c) starts at
 * (gap + c·(cellWidth + gap), titleHeight + gap + r·(cellHeight + gap)).
 */
export interface SheetLayout {
  columns: number;
  rows: number;
  width: number;
  height: number;
  cellWidth: number;
  cellHeight: number;
  gap: number;
  titleHeight: number;
  labelHeight: number;
  /** Whole-number enlargement applied to every image. */
  scale: number;
  /** Where each cell's image was drawn, in cell order; undefined for an empty cell. */
  rects: (Rect | undefined)[];
}

export interface ComposedSheet {
  png: Buffer;
  layout: SheetLayout;
}

export const SHEET_STYLE = {
  gap: 8,
  /** Wide enough for "content 1.234e-3" at the label size. */
  minCellWidth: 112,
  /** Images smaller than this are enlarged (by a whole factor) towards it. */
  minImageSide: 96,
  labelSize: 12,
  lineHeight: 15,
  titleSize: 14,
  /** Per title line; the title wraps at its " · " separators to fit the sheet's width. */
  titleLineHeight: 18,
  maxLabelChars: 28,
} as const;

/** Greedy wrap at " · " (one part longer than a line is truncated). */
function wrapTitle(title: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of title.split(' · ')) {
    const joined = line ? `${line} · ${part}` : part;
    if (line && [...joined].length > maxChars) {
      lines.push(line);
      line = part;
    } else {
      line = joined;
    }
  }
  if (line) lines.push(line);
  return lines.map((l) => truncate(l, maxChars));
}

function truncate(text: string, maxChars: number): string {
  const chars = [...text];
  return chars.length <= maxChars ? text : chars.slice(0, Math.max(1, maxChars - 1)).join('') + '…';
}

export async function composeSheet(cells: readonly ComposeCell[], o: ComposeOptions): Promise<ComposedSheet> {
  const S = SHEET_STYLE;
  if (!Number.isInteger(o.columns) || o.columns < 1) throw new EngineError(`a sheet needs at least one column, got ${o.columns}`);
  if (cells.length === 0) throw new EngineError('a sheet needs at least one cell');
  const columns = Math.min(o.columns, cells.length);
  const rows = Math.ceil(cells.length / columns);

  const sizes = await Promise.all(
    cells.map(async (c) => {
      if (!c.png) return undefined;
      const m = await sharp(c.png).metadata();
      return { width: m.width, height: m.height };
    }),
  );
  const boxWidth = Math.max(1, ...sizes.map((s) => s?.width ?? 0));
  const boxHeight = Math.max(1, ...sizes.map((s) => s?.height ?? 0));
  const scale = Math.max(1, Math.floor(S.minImageSide / Math.max(boxWidth, boxHeight)));

  const lines = cells.map((c) => c.lines.map((l) => truncate(l, S.maxLabelChars)));
  const longest = Math.max(0, ...lines.flat().map((l) => estimateTextWidth(l, S.labelSize)));
  const cellWidth = Math.max(boxWidth * scale, longest + 8, S.minCellWidth);
  const maxLines = Math.max(0, ...lines.map((l) => l.length));
  const labelHeight = maxLines === 0 ? 0 : maxLines * S.lineHeight + 4;
  const cellHeight = boxHeight * scale + labelHeight;
  const width = columns * cellWidth + (columns + 1) * S.gap;
  const titleLines = o.title ? wrapTitle(o.title, Math.floor((width - 2 * S.gap) / (S.titleSize * 0.62))) : [];
  const titleHeight = titleLines.length === 0 ? 0 : titleLines.length * S.titleLineHeight + S.gap;
  const height = titleHeight + rows * cellHeight + (rows + 1) * S.gap;

  const overlays: OverlayOptions[] = [];
  const text: TextItem[] = [];
  const rects: (Rect | undefined)[] = [];
  for (const [i, cell] of cells.entries()) {
    const left = S.gap + (i % columns) * (cellWidth + S.gap);
    const top = titleHeight + S.gap + Math.floor(i / columns) * (cellHeight + S.gap);
    const size = sizes[i];
    if (cell.png && size) {
      const w = size.width * scale;
      const h = size.height * scale;
      const rect = { x: left + Math.floor((cellWidth - w) / 2), y: top + Math.floor((boxHeight * scale - h) / 2), width: w, height: h };
      const input = scale === 1 ? cell.png : await sharp(cell.png).resize(w, h, { kernel: 'nearest' }).png().toBuffer();
      overlays.push({ input, left: rect.x, top: rect.y });
      rects.push(rect);
    } else {
      rects.push(undefined);
    }
    lines[i].forEach((line, k) => {
      const lineTop = top + boxHeight * scale + 2 + k * S.lineHeight;
      text.push({ text: line, x: left + cellWidth / 2, y: lineTop + (S.lineHeight - S.labelSize) / 2, size: S.labelSize, bold: k === 0 });
    });
  }
  titleLines.forEach((line, k) => {
    const lineTop = S.gap + k * S.titleLineHeight;
    text.push({ text: line, x: width / 2, y: lineTop + (S.titleLineHeight - S.titleSize) / 2, size: S.titleSize, bold: true });
  });
  if (text.length > 0) overlays.push(await textOverlay(width, height, text, o.renderer));

  const png = await sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(overlays)
    .png()
    .toBuffer();
  return { png, layout: { columns, rows, width, height, cellWidth, cellHeight, gap: S.gap, titleHeight, labelHeight, scale, rects } };
}
