// What a strength grid runs, in plain numbers: the four candidates (style weight and style scale of
// each), the options each candidate and an upscale run with, a Vary around a candidate, and what a
// grid costs in full-size steps. No pixels here: run.ts renders, upscale.ts continues a candidate.
import { MAX_GRID_SIZE, optionSpec, type StyleOptions } from '../../options.ts';
import { EngineError } from '../types.ts';

/**
 * Strength multipliers of a fresh grid, cell order (row-major 2×2): 4× apart, the chosen strength
 * itself second. One weaker and two stronger because at a grid's few steps from the content image
 * the style shows less than it will at full size, so the stronger side is the more informative.
 */
export const GRID_MULTIPLIERS = [1 / 4, 1, 4, 16] as const;
/** A Vary changes one knob per cell: strength ×½ and ×2 (scale kept), then style scale ×0.7 and ×1.4 (strength kept). */
export const VARY_STRENGTH = [1 / 2, 2] as const;
export const VARY_SCALE = [0.7, 1.4] as const;
export const GRID_CELLS = 4;
/** The upscale keeps halving its output size for coarse-to-fine scales while they stay this many times the grid size. */
export const UPSCALE_MIN_RATIO = 1.5;

export interface GridCell {
  /** 0-based, row-major; buttons are U{index+1} / V{index+1}. */
  index: number;
  styleWeight: number;
  styleScale: number;
  /** Relative to the grid's base (what the label shows beside the absolute value), e.g. "×1/4", "×0.7 scale". */
  relation: string;
}

/** What a grid job stores and what its buttons act on: the base it was made around and its four cells. */
export interface GridSpec {
  kind: 'strength' | 'vary';
  /** Candidate long side (options.gridSize, at most options.size). */
  size: number;
  steps: number;
  cells: GridCell[];
}

const STYLE_SCALE = optionSpec('styleScale');
const STYLE_WEIGHT = optionSpec('styleWeight');

function clamp(v: number, min: number | undefined, max: number | undefined): number {
  return Math.min(max ?? Infinity, Math.max(min ?? -Infinity, v));
}

/** Style scales ×0.7/×1.4 are rounded to 3 significant digits so labels and repeated Varies stay short (0.49, not 0.48999999999999994). */
function round3(v: number): number {
  return Number(v.toPrecision(3));
}

function multiplierText(m: number): string {
  return m >= 1 ? `×${m}` : `×1/${Math.round(1 / m)}`;
}

/** Long side of the candidates: options.gridSize, never above the output size (nor MAX_GRID_SIZE). */
export function gridSide(o: Pick<StyleOptions, 'gridSize' | 'size'>): number {
  return Math.min(o.gridSize, o.size, MAX_GRID_SIZE);
}

function checkTransfer(o: Pick<StyleOptions, 'mode'>): void {
  if (o.mode !== 'transfer') throw new EngineError(`grid: only transfer mode has a style strength to vary (got ${o.mode} mode)`);
}

/** A fresh grid around options.styleWeight (options.styleScale for every cell). */
export function planGrid(o: StyleOptions): GridSpec {
  checkTransfer(o);
  const cells = GRID_MULTIPLIERS.map((m, index) => ({
    index,
    // Powers of two: exact in floating point, so ×1 is the chosen strength itself.
    styleWeight: clamp(o.styleWeight * m, STYLE_WEIGHT.min, STYLE_WEIGHT.max),
    styleScale: o.styleScale,
    relation: multiplierText(m),
  }));
  return { kind: 'strength', size: gridSide(o), steps: o.gridSteps, cells };
}

/**
 * V{index+1}: a new grid around `around` (a cell of an earlier grid): strength ×½, strength ×2, style
 * scale ×0.7, style scale ×1.4, each with the other knob as it was. Scales are clamped to the option's range.
 */
export function planVary(o: StyleOptions, around: Pick<GridCell, 'styleWeight' | 'styleScale'>): GridSpec {
  checkTransfer(o);
  const strength = VARY_STRENGTH.map((m) => ({
    styleWeight: clamp(around.styleWeight * m, STYLE_WEIGHT.min, STYLE_WEIGHT.max),
    styleScale: around.styleScale,
    relation: `strength ${m < 1 ? '×½' : `×${m}`}`,
  }));
  const scale = VARY_SCALE.map((m) => ({
    styleWeight: around.styleWeight,
    styleScale: round3(clamp(around.styleScale * m, STYLE_SCALE.min, STYLE_SCALE.max)),
    relation: `scale ×${m}`,
  }));
  const cells = [...strength, ...scale].map((c, index) => ({ index, ...c }));
  return { kind: 'vary', size: gridSide(o), steps: o.gridSteps, cells };
}

export function gridCell(spec: GridSpec, index: number): GridCell {
  const cell = spec.cells[index];
  if (!cell) throw new EngineError(`grid: there is no candidate ${index + 1} (1 to ${spec.cells.length})`);
  return cell;
}

/**
 * Options of one candidate run: the grid's size and steps, the cell's strength and style scale, a
 * single scale (no coarse-to-fine at this size) and no previews.
 */
export function candidateOptions(o: StyleOptions, spec: GridSpec, index: number): StyleOptions {
  const cell = gridCell(spec, index);
  return {
    ...o,
    size: spec.size,
    steps: spec.steps,
    scales: undefined,
    multires: undefined,
    scaleSteps: undefined,
    multiresAbove: 0,
    styleWeight: cell.styleWeight,
    styleScale: cell.styleScale,
    grid: false,
    saveEvery: 0,
  };
}

/**
 * What a grid costs in full-size-equivalent steps, for step caps: four candidates × gridSteps, each
 * evaluation costing about its pixel count relative to one at options.size, i.e.
 * ceil(4 · gridSteps · (gridSide / size)²). The default grid (192 px, 100 steps) for a 512 px
 * request costs 57 steps; for a request at the grid's own size it costs 400.
 */
export function gridCostSteps(o: Pick<StyleOptions, 'gridSize' | 'gridSteps' | 'size'>): number {
  const ratio = gridSide(o) / o.size;
  return Math.ceil(GRID_CELLS * o.gridSteps * ratio * ratio - 1e-9);
}

/**
 * Long sides of an upscale from `from` px to options.size: the output size halved while the half
 * stays at least UPSCALE_MIN_RATIO × `from`, coarsest first. 192 → 512: [512]; 192 → 1024: [512, 1024].
 */
export function upscaleSides(from: number, size: number): number[] {
  const sides = [size];
  for (let side = Math.round(size / 2); side >= UPSCALE_MIN_RATIO * from; side = Math.round(side / 2)) sides.unshift(side);
  return sides;
}

/**
 * Options of U{index+1}: the cell's strength and style scale at the requested size, starting from the
 * candidate's image (init image; the pipeline upsamples it with lanczos3 to the first scale), with
 * options.steps at the output size and half as many (at least 1) at each coarser scale in between.
 * The step count to compare with caps is totalIterations() of the result (src/engine/multires.ts).
 */
export function upscaleOptions(o: StyleOptions, spec: GridSpec, index: number): StyleOptions {
  const cell = gridCell(spec, index);
  const sides = upscaleSides(spec.size, o.size);
  const coarse = Math.max(1, Math.round(o.steps / 2));
  const scaleSteps = sides.map((_, i) => (i === sides.length - 1 ? o.steps : coarse));
  const multi = sides.length > 1;
  return {
    ...o,
    styleWeight: cell.styleWeight,
    styleScale: cell.styleScale,
    init: 'image',
    grid: false,
    scales: multi ? sides : undefined,
    scaleSteps: multi ? scaleSteps : undefined,
    multires: undefined,
    multiresAbove: 0,
    steps: scaleSteps.reduce((a, b) => a + b, 0),
  };
}
