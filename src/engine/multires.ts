// Coarse-to-fine planning: the sizes a run optimises at (explicit scales, --multires N, or the admin's
// "above N px" default), the iterations at each, and the whole run's remaining time. Plain numbers
// only: the pipeline does the decoding and upsampling.
import { optionSpec, type StyleOptions } from '../options.ts';
import { EngineError } from './types.ts';

/** The automatic plan (multiresAbove) halves the size while the coarsest scale stays at least this. */
export const AUTO_COARSEST_SIDE = 128;
/** No scale below the smallest --size: tinier images say little about the style. */
export const MIN_SCALE_SIDE = optionSpec('size').min ?? 16;

export type ScaleOptions = Pick<StyleOptions, 'size' | 'steps' | 'scales' | 'multires' | 'scaleSteps' | 'multiresAbove'>;

export interface ScalePlan {
  /** Long side of each scale, coarsest first; the last is options.size. */
  sides: number[];
  /** Iterations at each scale. */
  steps: number[];
}

/** The long side halved `halvings` times, rounded as the image's short side is. */
function halved(size: number, halvings: number): number {
  return Math.round(size / 2 ** halvings);
}

function explicitSides(o: ScaleOptions, scales: number[]): number[] {
  const last = scales[scales.length - 1];
  if (last !== o.size) throw new EngineError(`scales: the last scale (${last}) must be the output size (${o.size})`);
  const tiny = scales.find((s) => s < MIN_SCALE_SIDE);
  if (tiny !== undefined) throw new EngineError(`scales: ${tiny} px is too small, every scale must be at least ${MIN_SCALE_SIDE} px`);
  return [...scales];
}

function multiresSides(o: ScaleOptions, count: number): number[] {
  const sides = Array.from({ length: count }, (_, k) => halved(o.size, count - 1 - k));
  if (sides[0] < MIN_SCALE_SIDE) {
    const most = Math.floor(Math.log2(o.size / MIN_SCALE_SIDE)) + 1;
    throw new EngineError(
      `multires: ${count} scales ending at size ${o.size} would start at ${sides[0]} px, but every scale must be at least ${MIN_SCALE_SIDE} px (at most ${most} at this size)`,
    );
  }
  return sides;
}

/** multiresAbove: halvings down to the last size of at least AUTO_COARSEST_SIDE px (one scale if none). */
function automaticSides(size: number): number[] {
  const sides = [size];
  for (let k = 1; halved(size, k) >= AUTO_COARSEST_SIDE; k++) sides.unshift(halved(size, k));
  return sides;
}

/**
 * Long sides to optimise at, coarsest first: options.scales, else options.multires sizes each twice
 * the previous, else (size above options.multiresAbove > 0) halvings down to ≥ 128 px, else [size].
 * Throws EngineError (message starting with the option's name) for a plan that cannot run.
 */
export function scaleSides(o: ScaleOptions): number[] {
  if (o.scales && o.scales.length > 0) return explicitSides(o, o.scales);
  if (o.multires !== undefined) return multiresSides(o, o.multires);
  if (o.multiresAbove > 0 && o.size > o.multiresAbove) return automaticSides(o.size);
  return [o.size];
}

/** Iterations per scale: options.scaleSteps (one per scale) or options.steps at every scale. */
export function stepsPerScale(o: ScaleOptions, sides: readonly number[]): number[] {
  if (!o.scaleSteps) return sides.map(() => o.steps);
  if (o.scaleSteps.length !== sides.length) {
    const counts = `${o.scaleSteps.length} per-scale count${o.scaleSteps.length === 1 ? '' : 's'}`;
    throw new EngineError(`steps: ${counts} for ${sides.length} scale${sides.length === 1 ? '' : 's'} (${sides.join(', ')} px)`);
  }
  return [...o.scaleSteps];
}

export function planScales(o: ScaleOptions): ScalePlan {
  const sides = scaleSides(o);
  return { sides, steps: stepsPerScale(o, sides) };
}

/**
 * Iterations the whole run does: options.steps for a single scale or with scaleSteps (their sum), else
 * steps × the number of scales. What a step limit should compare (throws like planScales).
 */
export function totalIterations(o: ScaleOptions): number {
  return planScales(o).steps.reduce((a, b) => a + b, 0);
}

/**
 * Milliseconds left in a coarse-to-fine run at `iteration` of scale `index` (0-based): this scale's
 * remaining iterations at its measured pace, and every later scale's at that pace times its pixel
 * ratio (an evaluation costs about its pixel count).
 */
export function coarseToFineEtaMs(plan: ScalePlan, index: number, iteration: number, msPerIteration: number): number {
  let eta = Math.max(0, plan.steps[index] - iteration) * msPerIteration;
  for (let j = index + 1; j < plan.sides.length; j++) {
    eta += plan.steps[j] * msPerIteration * (plan.sides[j] / plan.sides[index]) ** 2;
  }
  return eta;
}
