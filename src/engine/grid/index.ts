// Strength grids: four cheap candidates at four style strengths, then Upscale (U1–U4) or Vary (V1–V4).
export {
  candidateOptions,
  GRID_CELLS,
  GRID_MULTIPLIERS,
  gridCell,
  gridCostSteps,
  gridSide,
  planGrid,
  planVary,
  UPSCALE_MIN_RATIO,
  upscaleOptions,
  upscaleSides,
  VARY_SCALE,
  VARY_STRENGTH,
} from './plan.ts';
export type { GridCell, GridSpec } from './plan.ts';
export { cellLabel, gridTitle } from './labels.ts';
export { composeGrid, firstUnfinished, runGrid } from './run.ts';
export type { GridCandidate, GridInput, GridProgress, GridResult } from './run.ts';
export { runUpscale } from './upscale.ts';
export type { UpscaleInput } from './upscale.ts';
