// Experiment sheets: the writeup's layer studies and content × style grids as labelled contact sheets.
export { composeSheet, SHEET_STYLE } from './compose.ts';
export type { ComposeCell, ComposeOptions, ComposedSheet, Rect, SheetLayout } from './compose.ts';
export { runSheetJob } from './job.ts';
export type { SheetJobInput, SheetJobResult } from './job.ts';
export { svgTextRenders, textRenderer } from './label-text.ts';
export type { TextRenderer } from './label-text.ts';
export {
  countRuns,
  DEFAULT_SWEEP_LAYERS,
  DEFAULT_TEXTURE_COMBO,
  isSheetKind,
  MAX_SHEET_RUNS,
  planSheet,
  SHEET_KINDS,
  SheetError,
} from './plan.ts';
export type { BlankCell, InputCell, RunCell, SheetCell, SheetKind, SheetMetric, SheetParams, SheetPlan } from './plan.ts';
export { renderSheet } from './render.ts';
export type { CellProgress, RenderedSheet, RenderSheetInput, SheetImage } from './render.ts';
export { sheetSummary } from './report.ts';
export type { CellRun, SheetReport, SheetReportCell } from './report.ts';
export { sheetProgress } from './progress.ts';
