// A sheet's words and numbers: the label lines under each image, the title, the JSON report (cells
// in the order of the PNG) and the short text summary posted in chat.
import type { StyleOptions } from '../../options.ts';
import type { Losses } from '../types.ts';
import type { Rect, SheetLayout } from './compose.ts';
import type { RunCell, SheetKind, SheetMetric, SheetPlan } from './plan.ts';

export interface CellRun {
  losses: Losses;
  iterations: number;
  runtimeMs: number;
  width: number;
  height: number;
}

export interface SheetReportCell {
  index: number;
  row: number;
  column: number;
  type: 'input' | 'run' | 'blank';
  title?: string;
  /** Input cells: which input is shown. */
  role?: 'content' | 'style';
  input?: number;
  /** Run cells: the inputs used (indices into the sheet's contents and styles). */
  content?: number;
  style?: number;
  mode?: StyleOptions['mode'];
  init?: StyleOptions['init'];
  contentLayers?: string[];
  styleLayers?: string[];
  /** The number shown under the image, and which loss it is. */
  metric?: SheetMetric;
  loss?: number;
  /** Final losses (unweighted content/style/tv, weighted total). */
  losses?: Losses;
  iterations?: number;
  runtimeMs?: number;
  /** Output size of the run, before any enlargement on the sheet. */
  width?: number;
  height?: number;
  /** Where the image is on the sheet PNG. */
  rect?: Rect;
}

export interface SheetReport {
  kind: SheetKind;
  /** The sheet's base options; each run cell lists what it changed. */
  options: StyleOptions;
  layout: Omit<SheetLayout, 'rects'>;
  /** Row-major, as in the PNG. */
  cells: SheetReportCell[];
  runtimeMs: number;
}

/** Four significant digits; exponent form outside [1e-3, 1e5). */
export function formatLoss(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1e5 || abs < 1e-3) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function metricValue(metric: SheetMetric, l: Losses): number {
  return l[metric];
}

/** Title, the loss the study is about, the run time. */
export function cellLines(cell: RunCell, run: CellRun): string[] {
  return [cell.title, `${cell.metric} ${formatLoss(metricValue(cell.metric, run.losses))}`, formatSeconds(run.runtimeMs)];
}

/** 1e6 rather than 1000000; 0.5 stays 0.5. */
function shortNumber(n: number): string {
  const exponential = n.toExponential().replace('e+', 'e');
  const plain = String(n);
  return exponential.length < plain.length ? exponential : plain;
}

function weightsText(kind: SheetKind, o: StyleOptions): string {
  const parts: string[] = [];
  if (kind !== 'texture') parts.push(`cw ${shortNumber(o.contentWeight)}`);
  if (kind !== 'reconstruct') parts.push(`sw ${shortNumber(o.styleWeight)}`);
  if (o.tvWeight > 0) parts.push(`tv ${shortNumber(o.tvWeight)}`);
  return parts.join(' ');
}

/** One line over the sheet: what was run and with which settings. */
export function sheetTitle(plan: SheetPlan, o: StyleOptions): string {
  const parts = [`${plan.kind} sheet`, `${o.preset} preset`, o.optimizer, `${o.steps} steps`, `${o.size} px`, weightsText(plan.kind, o)];
  if (o.optimizer === 'adam') parts.splice(3, 0, `lr ${shortNumber(o.lr)}`);
  if (o.pooling !== 'max') parts.push(`${o.pooling} pooling`);
  if (plan.kind === 'reconstruct' || plan.kind === 'texture') parts.push('from noise');
  if (plan.kind === 'grid') parts.push(`init ${o.init}`);
  if (plan.kind === 'init' || plan.kind === 'grid') parts.push(`content ${o.contentLayers.join(',')}`, `style ${o.styleLayers.join(',')}`);
  if (o.seed !== 0) parts.push(`seed ${o.seed}`);
  return parts.join(' · ');
}

function layersOf(cell: RunCell): Pick<SheetReportCell, 'contentLayers' | 'styleLayers'> {
  const o = cell.options;
  if (o.mode === 'reconstruct') return { contentLayers: o.contentLayers };
  if (o.mode === 'texture') return { styleLayers: o.styleLayers };
  return { contentLayers: o.contentLayers, styleLayers: o.styleLayers };
}

export function buildReport(
  plan: SheetPlan,
  options: StyleOptions,
  layout: SheetLayout,
  results: ReadonlyMap<number, { run: CellRun }>,
  runtimeMs: number,
): SheetReport {
  const { rects, ...geometry } = layout;
  const cells = plan.cells.map((cell, index): SheetReportCell => {
    const at = { index, row: Math.floor(index / plan.columns), column: index % plan.columns, rect: rects[index] };
    if (cell.type === 'blank') return { ...at, type: 'blank' };
    if (cell.type === 'input') return { ...at, type: 'input', title: cell.title, role: cell.role, input: cell.input };
    const run = results.get(index)?.run;
    return {
      ...at,
      type: 'run',
      title: cell.title,
      content: cell.content,
      style: cell.style,
      mode: cell.options.mode,
      init: cell.options.init,
      ...layersOf(cell),
      metric: cell.metric,
      loss: run ? metricValue(cell.metric, run.losses) : undefined,
      losses: run?.losses,
      iterations: run?.iterations,
      runtimeMs: run?.runtimeMs,
      width: run?.width,
      height: run?.height,
    };
  });
  return { kind: plan.kind, options, layout: geometry, cells, runtimeMs };
}

/** Chat-sized summary: a headline, then one line per run (at most `maxLines`). */
export function sheetSummary(report: SheetReport, maxLines = 12): string {
  const runs = report.cells.filter((c) => c.type === 'run');
  const o = report.options;
  const head = `${report.kind} sheet: ${runs.length} run${runs.length === 1 ? '' : 's'} in ${formatSeconds(report.runtimeMs)} (${o.preset} preset, ${o.optimizer}, ${o.steps} steps, ${o.size} px)`;
  // Which inputs a line is about, when the sheet has several and the title does not say.
  const several = report.kind !== 'grid' && runs.some((c) => (c.content ?? 0) > 0 || (c.style ?? 0) > 0);
  const inputsOf = (c: SheetReportCell) =>
    [c.content === undefined ? '' : `content ${c.content + 1}`, c.style === undefined ? '' : `style ${c.style + 1}`].filter(Boolean).join(', ');
  const lines = runs.slice(0, maxLines).map((c) => {
    const loss = c.loss === undefined ? '–' : formatLoss(c.loss);
    return `${c.title}${several ? ` [${inputsOf(c)}]` : ''}: ${c.metric} ${loss} (${formatSeconds(c.runtimeMs ?? 0)})`;
  });
  if (runs.length > maxLines) lines.push(`… and ${runs.length - maxLines} more`);
  return [head, ...lines].join('\n');
}
