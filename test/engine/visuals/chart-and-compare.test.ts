// The loss chart (size, ink in the plot area, labels with and without system fonts) and the
// before/after composite (size and where each picture sits).
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { COMPARE_GAP, comparisonInputs, composeComparison } from '../../../src/engine/visuals/compare.ts';
import { CHART_HEIGHT, CHART_MARGIN, CHART_WIDTH, renderChart, renderRunChart } from '../../../src/engine/visuals/loss-chart.ts';
import { LossTrace, scaleStarts } from '../../../src/engine/visuals/loss-trace.ts';
import { makePng } from '../../../scripts/lib/png.ts';

interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Pixels in a region that are not (near) white, and how many of them are saturated colour. */
async function ink(png: Buffer, r: Region): Promise<{ dark: number; coloured: number }> {
  const { data, info } = await sharp(png).extract(r).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let dark = 0;
  let coloured = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const [red, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.max(red, g, b) < 128) dark++;
    if (Math.max(red, g, b) - Math.min(red, g, b) > 80) coloured++;
  }
  return { dark, coloured };
}

function trace(): LossTrace {
  const t = new LossTrace();
  // Two scales of 20 iterations: style falling over five decades, content rising, tv small.
  for (const scale of [1, 2]) {
    for (let i = 0; i <= 20; i++) {
      const style = 10 ** (2 - (scale - 1) * 2 - i / 10);
      t.add({ iteration: i, scale, losses: { content: 1 + i, style, tv: 0.001 * (1 + i), total: 1 + i + 1e6 * style } });
    }
  }
  return t;
}

const PLOT: Region = {
  left: CHART_MARGIN.left + 2,
  top: CHART_MARGIN.top + 2,
  width: CHART_WIDTH - CHART_MARGIN.left - CHART_MARGIN.right - 4,
  height: CHART_HEIGHT - CHART_MARGIN.top - CHART_MARGIN.bottom - 4,
};
const TITLE: Region = { left: 100, top: 4, width: CHART_WIDTH - 200, height: 24 };
const Y_LABELS: Region = { left: 4, top: CHART_MARGIN.top, width: CHART_MARGIN.left - 12, height: PLOT.height };

describe('LossTrace', () => {
  it('puts later scales after the earlier ones on one iteration axis', () => {
    const t = trace();
    expect(t.points.map((p) => p.iter).slice(19, 23)).toEqual([19, 20, 20, 21]);
    expect(t.points.at(-1)!.iter).toBe(40);
    expect(scaleStarts(t.points)).toEqual([{ iter: 20, scale: 2 }]);
  });
});

describe('loss chart', () => {
  // undefined: whatever this machine has (system fonts, else the bitmap font); 'bitmap': as without fonts.
  for (const renderer of [undefined, 'bitmap'] as const) {
    it(`${renderer ?? 'default'} labels: expected size, curves in the plot area, labels drawn`, async () => {
      const png = await renderRunChart(trace().points, 'transfer · 40×30', renderer);
      const meta = await sharp(png).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', CHART_WIDTH, CHART_HEIGHT]);
      const plot = await ink(png, PLOT);
      // Four coloured curves over most of the width.
      expect(plot.coloured).toBeGreaterThan(PLOT.width * 2);
      expect((await ink(png, TITLE)).dark).toBeGreaterThan(30);
      expect((await ink(png, Y_LABELS)).dark).toBeGreaterThan(30);
    });
  }

  it('with the fonts absent the bitmap labels still ink the same places (a blank chart has none)', async () => {
    const blank = await renderChart({ title: '', series: [], renderer: 'bitmap' });
    expect((await ink(blank, TITLE)).dark).toBe(0);
    const png = await renderChart({ title: 'TITLE', series: [{ name: 'a', points: [[0, 1], [1, 10]] }], renderer: 'bitmap' });
    expect((await ink(png, TITLE)).dark).toBeGreaterThan(20);
  });

  it('leaves out values a log axis cannot show instead of failing', async () => {
    const png = await renderChart({ title: 'zeros', series: [{ name: 'content', points: [[0, 0], [1, 0]] }, { name: 'style', points: [[0, 1], [1, 0.1]] }] });
    expect((await ink(png, PLOT)).coloured).toBeGreaterThan(50);
  });
});

describe('before/after composite', () => {
  it('content | style | result, each at the result height', async () => {
    const content = await makePng(48, 36, 1);
    const style = await makePng(40, 20, 2);
    const result = await makePng(32, 24, 3);
    const png = await composeComparison(result, comparisonInputs('transfer', content, [style]));
    const meta = await sharp(png).metadata();
    // 48×36 → 32×24, 40×20 → 48×24, the result 32×24.
    expect([meta.width, meta.height]).toEqual([32 + 48 + 32 + 2 * COMPARE_GAP, 24]);
    // The result sits at the right, unchanged.
    const right = await sharp(png).extract({ left: 32 + 48 + 2 * COMPARE_GAP, top: 0, width: 32, height: 24 }).raw().toBuffer();
    expect(right.equals(await sharp(result).raw().toBuffer())).toBe(true);
  });

  it('texture shows only the style, reconstruction only the content', async () => {
    expect(comparisonInputs('texture', 'c', ['s1', 's2'])).toEqual(['s1', 's2']);
    expect(comparisonInputs('reconstruct', 'c', ['s'])).toEqual(['c']);
    const png = await composeComparison(await makePng(32, 24, 3), comparisonInputs('reconstruct', await makePng(48, 36, 1), []));
    expect((await sharp(png).metadata()).width).toBe(32 + 32 + COMPARE_GAP);
  });
});
