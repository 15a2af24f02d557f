// Loss curves as a PNG: the axes, grid and curves are an SVG that sharp (librsvg) renders; the text
// goes on top through the sheet labels' overlay, so it shows with the system fonts and, where there
// are none, in the built-in bitmap font. The y axis is logarithmic (losses span many decades);
// values ≤ 0 have no place on it and are left out.
import sharp from 'sharp';
import { estimateTextWidth, textOverlay, type TextItem, type TextRenderer } from '../sheet/label-text.ts';
import { scaleStarts, type LossPoint } from './loss-trace.ts';

export interface ChartSeries {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface ChartMarker {
  x: number;
  label: string;
}

export interface ChartInput {
  title: string;
  series: readonly ChartSeries[];
  /** Vertical dashed lines (scale boundaries). */
  markers?: readonly ChartMarker[];
  width?: number;
  height?: number;
  renderer?: TextRenderer;
}

export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 480;
/** The plot area's margins: title and legend above (top grows by LEGEND_ROW per extra legend row), tick labels left and below. */
export const CHART_MARGIN = { left: 72, right: 24, top: 64, bottom: 48 } as const;
const LEGEND_ROW = 20;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#111111', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];

function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

function decadeLabel(k: number): string {
  return `1e${k}`;
}

export async function renderChart(input: ChartInput): Promise<Buffer> {
  const W = input.width ?? CHART_WIDTH;
  const H = input.height ?? CHART_HEIGHT;
  const m = CHART_MARGIN;
  const x0 = m.left;
  const x1 = W - m.right;

  // Legend: rows above the plot, each entry a short line of its colour and the name.
  const entries = input.series.map((s, i) => ({ s, color: PALETTE[i % PALETTE.length], w: 26 + estimateTextWidth(s.name, 12) }));
  const rows: (typeof entries)[] = [[]];
  for (const e of entries) {
    const row = rows.at(-1)!;
    if (row.length > 0 && row.reduce((n, x) => n + x.w + 12, 0) + e.w > x1 - x0) rows.push([e]);
    else row.push(e);
  }
  const y0 = m.top + (rows.length - 1) * LEGEND_ROW;
  const y1 = H - m.bottom;

  const all = input.series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]).filter((v) => v > 0 && Number.isFinite(v));
  const xMin = xs.length ? Math.min(...xs) : 0;
  let xMax = xs.length ? Math.max(...xs) : 1;
  if (xMax <= xMin) xMax = xMin + 1;
  let lo = ys.length ? Math.floor(Math.log10(Math.min(...ys))) : 0;
  let hi = ys.length ? Math.ceil(Math.log10(Math.max(...ys))) : 1;
  if (hi <= lo) hi = lo + 1;
  // Many decades: label every other one so the labels do not collide.
  const decadeStep = Math.ceil((hi - lo) / 12);
  lo = Math.floor(lo / decadeStep) * decadeStep;
  hi = Math.ceil(hi / decadeStep) * decadeStep;

  const px = (x: number) => x0 + ((x - xMin) / (xMax - xMin)) * (x1 - x0);
  const py = (y: number) => y1 - ((Math.log10(y) - lo) / (hi - lo)) * (y1 - y0);
  const svg: string[] = [];
  const text: TextItem[] = [{ text: input.title, x: W / 2, y: 8, size: 16, bold: true }];

  for (let k = lo; k <= hi; k += decadeStep) {
    const y = py(10 ** k).toFixed(1);
    svg.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#dddddd" stroke-width="1"/>`);
    text.push({ text: decadeLabel(k), x: x0 - 30, y: Number(y) - 7, size: 12 });
  }
  // Iterations are whole numbers: no ticks between them.
  const step = Math.max(1, niceStep(xMax - xMin, 8));
  for (let x = Math.ceil(xMin / step) * step; x <= xMax + 1e-9; x += step) {
    const sx = px(x).toFixed(1);
    svg.push(`<line x1="${sx}" y1="${y0}" x2="${sx}" y2="${y1}" stroke="#eeeeee" stroke-width="1"/>`);
    svg.push(`<line x1="${sx}" y1="${y1}" x2="${sx}" y2="${y1 + 5}" stroke="#444444" stroke-width="1"/>`);
    text.push({ text: String(Math.round(x * 1000) / 1000), x: Number(sx), y: y1 + 8, size: 12 });
  }
  text.push({ text: 'iteration', x: (x0 + x1) / 2, y: H - 20, size: 12 });
  text.push({ text: 'loss', x: x0 - 30, y: y0 - 20, size: 12 });

  for (const mk of input.markers ?? []) {
    const sx = px(mk.x).toFixed(1);
    svg.push(`<line x1="${sx}" y1="${y0}" x2="${sx}" y2="${y1}" stroke="#777777" stroke-width="1.5" stroke-dasharray="6,4"/>`);
    text.push({ text: mk.label, x: Number(sx) + 4 + estimateTextWidth(mk.label, 11) / 2, y: y0 + 4, size: 11 });
  }

  for (const [r, row] of rows.entries()) {
    let lx = Math.max(x0, (W - row.reduce((n, e) => n + e.w + 12, 0)) / 2);
    const ly = 34 + r * LEGEND_ROW;
    for (const e of row) {
      svg.push(`<line x1="${lx}" y1="${ly + 6}" x2="${lx + 20}" y2="${ly + 6}" stroke="${e.color}" stroke-width="3"/>`);
      text.push({ text: e.s.name, x: lx + 24 + (e.w - 26) / 2, y: ly, size: 12 });
      lx += e.w + 12;
    }
  }

  for (const [i, s] of input.series.entries()) {
    const color = PALETTE[i % PALETTE.length];
    // A value that cannot be drawn on a log axis breaks the line rather than dropping to the floor.
    const runs: string[][] = [[]];
    for (const [x, y] of s.points) {
      if (y > 0 && Number.isFinite(y)) runs.at(-1)!.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
      else if (runs.at(-1)!.length) runs.push([]);
    }
    for (const r of runs) {
      if (r.length === 1) svg.push(`<circle cx="${r[0].split(',')[0]}" cy="${r[0].split(',')[1]}" r="2.5" fill="${color}"/>`);
      else if (r.length > 1) svg.push(`<polyline points="${r.join(' ')}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"/>`);
    }
  }
  svg.push(`<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#444444" stroke-width="1"/>`);

  const base = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="#ffffff"/>` +
      svg.join('') +
      '</svg>',
  );
  const overlay = await textOverlay(W, H, text, input.renderer);
  return sharp(base).composite([overlay]).flatten({ background: '#ffffff' }).removeAlpha().png().toBuffer();
}

const RUN_SERIES: readonly { key: 'content' | 'style' | 'tv' | 'total'; name: string }[] = [
  { key: 'content', name: 'content' },
  { key: 'style', name: 'style' },
  { key: 'tv', name: 'tv' },
  { key: 'total', name: 'total (weighted)' },
];

/** One run's chart: content, style, TV and total loss, with the start of each coarse-to-fine scale marked. */
export function runChartInput(points: readonly LossPoint[], title: string, renderer?: TextRenderer): ChartInput {
  return {
    title,
    series: RUN_SERIES.map(({ key, name }) => ({ name, points: points.map((p) => [p.iter, p[key]] as const) })),
    markers: scaleStarts(points).map((s) => ({ x: s.iter, label: `scale ${s.scale}` })),
    ...(renderer ? { renderer } : {}),
  };
}

export function renderRunChart(points: readonly LossPoint[], title: string, renderer?: TextRenderer): Promise<Buffer> {
  return renderChart(runChartInput(points, title, renderer));
}
