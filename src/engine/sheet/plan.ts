// What a sheet is made of: which runs, with which options and inputs, in which cell. Pure data, so
// the CLI and the chat side can check a request (and count its cost) before anything runs.
import { canonicalLayer } from '../../options.ts';
import type { StyleOptions } from '../../options.ts';
import { EngineError } from '../types.ts';

export const SHEET_KINDS = ['reconstruct', 'texture', 'init', 'grid'] as const;
export type SheetKind = (typeof SHEET_KINDS)[number];

/** The writeup's layer studies: the first five convs, tutorial naming. */
export const DEFAULT_SWEEP_LAYERS: readonly string[] = ['conv_1', 'conv_2', 'conv_3', 'conv_4', 'conv_5'];
/** The texture combination the writeup settled on. */
export const DEFAULT_TEXTURE_COMBO: readonly string[] = ['conv_1', 'conv_2'];
/** Optimisation runs in one sheet; a 7×7 grid is already 49 full transfers. */
export const MAX_SHEET_RUNS = 64;

export class SheetError extends EngineError {
  override name = 'SheetError';
}

/** Which number a run cell shows under its image. */
export type SheetMetric = 'content' | 'style' | 'total';

export interface InputCell {
  type: 'input';
  role: 'content' | 'style';
  /** Index into the sheet's contents or styles. */
  input: number;
  title: string;
}

export interface RunCell {
  type: 'run';
  /** Complete options of this run: mode, layers and init already set for the cell. */
  options: StyleOptions;
  content?: number;
  style?: number;
  title: string;
  metric: SheetMetric;
}

export interface BlankCell {
  type: 'blank';
}

export type SheetCell = InputCell | RunCell | BlankCell;

export interface SheetPlan {
  kind: SheetKind;
  columns: number;
  rows: number;
  /** Row-major: cell i sits at row ⌊i / columns⌋, column i mod columns. */
  cells: SheetCell[];
}

export interface SheetParams {
  /** Display names of the content images (their count is what matters). */
  contents: readonly string[];
  styles: readonly string[];
  /** The sheet's base options; each run cell overrides what its study varies. */
  options: StyleOptions;
  /** reconstruct and texture: the layers swept, one run each (default conv_1…conv_5). */
  layers?: readonly string[];
  /** texture: the extra run with these style layers together (default conv_1,conv_2). */
  combo?: readonly string[];
}

/** "conv_3 = conv2_1" when the name given is not the canonical one. */
function layerTitle(given: string, canonical: string): string {
  return given === canonical ? given : `${given} = ${canonical}`;
}

function canonicalList(what: string, names: readonly string[]): string[] {
  if (names.length === 0) throw new SheetError(`${what}: needs at least one layer`);
  try {
    return names.map(canonicalLayer);
  } catch (e) {
    throw new SheetError(`${what}: ${(e as Error).message}`);
  }
}

function need(kind: SheetKind, p: SheetParams, contents: boolean, styles: boolean): void {
  const missing = [contents && p.contents.length === 0 ? 'a content image' : '', styles && p.styles.length === 0 ? 'a style image' : '']
    .filter(Boolean)
    .join(' and ');
  if (missing) throw new SheetError(`a ${kind} sheet needs ${missing}`);
}

/** Options every run cell shares: one style per run, no previews. */
function runOptions(base: StyleOptions, patch: Partial<StyleOptions>): StyleOptions {
  return { ...base, styleBlend: undefined, saveEvery: 0, ...patch };
}

function input(role: 'content' | 'style', index: number, names: readonly string[]): InputCell {
  return { type: 'input', role, input: index, title: names[index] || `${role} ${index + 1}` };
}

function planReconstruct(p: SheetParams): SheetPlan {
  need('reconstruct', p, true, false);
  const given = p.layers ?? DEFAULT_SWEEP_LAYERS;
  const layers = canonicalList('layers', given);
  const cells: SheetCell[] = [];
  p.contents.forEach((_, c) => {
    cells.push(input('content', c, p.contents));
    layers.forEach((layer, i) => {
      // From white noise, as in the writeup: from the content image the optimum is the start.
      const options = runOptions(p.options, { mode: 'reconstruct', contentLayers: [layer], init: 'noise' });
      cells.push({ type: 'run', options, content: c, title: layerTitle(given[i], layer), metric: 'content' });
    });
  });
  return { kind: 'reconstruct', columns: 1 + layers.length, rows: p.contents.length, cells };
}

function planTexture(p: SheetParams): SheetPlan {
  need('texture', p, false, true);
  const given = p.layers ?? DEFAULT_SWEEP_LAYERS;
  const layers = canonicalList('layers', given);
  const comboGiven = p.combo ?? DEFAULT_TEXTURE_COMBO;
  const combo = canonicalList('combo', comboGiven);
  const runs = [
    ...layers.map((l, i) => ({ layers: [l], title: layerTitle(given[i], l) })),
    { layers: combo, title: comboGiven.join('+') },
  ];
  const cells: SheetCell[] = [];
  p.styles.forEach((_, s) => {
    cells.push(input('style', s, p.styles));
    for (const r of runs) {
      const options = runOptions(p.options, { mode: 'texture', styleLayers: r.layers, init: 'noise' });
      cells.push({ type: 'run', options, style: s, title: r.title, metric: 'style' });
    }
  });
  return { kind: 'texture', columns: 1 + runs.length, rows: p.styles.length, cells };
}

function planInit(p: SheetParams): SheetPlan {
  need('init', p, true, true);
  const cells: SheetCell[] = [];
  p.contents.forEach((_, c) => {
    p.styles.forEach((_, s) => {
      cells.push(input('content', c, p.contents), input('style', s, p.styles));
      for (const init of ['noise', 'content'] as const) {
        const options = runOptions(p.options, { mode: 'transfer', init });
        cells.push({ type: 'run', options, content: c, style: s, title: `from ${init}`, metric: 'total' });
      }
    });
  });
  return { kind: 'init', columns: 4, rows: p.contents.length * p.styles.length, cells };
}

function planGrid(p: SheetParams): SheetPlan {
  need('grid', p, true, true);
  const cells: SheetCell[] = [{ type: 'blank' }, ...p.styles.map((_, s) => input('style', s, p.styles))];
  p.contents.forEach((_, c) => {
    cells.push(input('content', c, p.contents));
    p.styles.forEach((_, s) => {
      const options = runOptions(p.options, { mode: 'transfer' });
      cells.push({ type: 'run', options, content: c, style: s, title: `c${c + 1} × s${s + 1}`, metric: 'total' });
    });
  });
  return { kind: 'grid', columns: 1 + p.styles.length, rows: 1 + p.contents.length, cells };
}

/** The cells of a sheet, row-major, with each run's complete options. Throws SheetError on a bad request. */
export function planSheet(kind: SheetKind, params: SheetParams): SheetPlan {
  if (params.layers && kind !== 'reconstruct' && kind !== 'texture') throw new SheetError(`layers are only swept by reconstruct and texture sheets, not ${kind}`);
  if (params.combo && kind !== 'texture') throw new SheetError(`a layer combination is only used by texture sheets, not ${kind}`);
  let plan: SheetPlan;
  switch (kind) {
    case 'reconstruct':
      plan = planReconstruct(params);
      break;
    case 'texture':
      plan = planTexture(params);
      break;
    case 'init':
      plan = planInit(params);
      break;
    case 'grid':
      plan = planGrid(params);
      break;
    default:
      throw new SheetError(`unknown sheet "${String(kind)}": use ${SHEET_KINDS.join(', ')}`);
  }
  const runs = countRuns(plan);
  if (runs > MAX_SHEET_RUNS) throw new SheetError(`this ${kind} sheet would need ${runs} runs; the limit is ${MAX_SHEET_RUNS}`);
  return plan;
}

export function countRuns(plan: SheetPlan): number {
  return plan.cells.filter((c) => c.type === 'run').length;
}

export function isSheetKind(s: string): s is SheetKind {
  return (SHEET_KINDS as readonly string[]).includes(s);
}
