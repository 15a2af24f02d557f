// The words on a grid: each cell's label lines and the title over the four candidates.
import type { StyleOptions } from '../../options.ts';
import type { GridCell, GridSpec } from './plan.ts';

/** 1e6 rather than 1000000, 2.5e5 rather than 250000; 0.7 stays 0.7; at most 4 significant digits. */
export function shortNumber(n: number): string {
  const rounded = Number(n.toPrecision(4));
  const exponential = rounded.toExponential().replace('e+', 'e');
  const plain = String(rounded);
  return exponential.length < plain.length ? exponential : plain;
}

/**
 * "1 · strength 2.5e5" (bold), then how it relates to the base ("×1/4", "scale ×0.7"), then the style
 * scale when it is not 1 or the grid varies it, so a Vary's labels show both knobs.
 */
export function cellLabel(spec: GridSpec, cell: GridCell): string[] {
  const lines = [`${cell.index + 1} · strength ${shortNumber(cell.styleWeight)}`, cell.relation];
  if (spec.kind === 'vary' || cell.styleScale !== 1) lines.push(`style scale ${shortNumber(cell.styleScale)}`);
  return lines;
}

export function gridTitle(spec: GridSpec, o: StyleOptions): string {
  const what = spec.kind === 'vary' ? 'vary grid' : 'strength grid';
  return [what, `${spec.size} px`, `${spec.steps} steps`, o.preset, `content weight ${shortNumber(o.contentWeight)}`].join(' · ');
}
