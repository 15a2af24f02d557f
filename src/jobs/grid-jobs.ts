// Grid and upscale jobs (issue 19): what they cost against the workspace's caps, their step plan,
// and the job a grid's button (U1–U4, V1–V4) makes. A grid renders four cheap candidates and is
// counted at gridCostSteps (full-size-equivalent steps); an upscale is a normal run from one
// candidate and is counted at its real steps. Pure functions over the store; refusals are one line.
import { GRID_CELLS, gridCostSteps, planGrid, planVary, upscaleOptions, type GridSpec } from '../engine/grid/index.ts';
import { totalIterations } from '../engine/multires.ts';
import type { OptionsInput, StyleOptions } from '../options.ts';
import { Refusal, resolveJobOptions } from './job-rules.ts';
import type { JobStore } from './job-store.ts';
import { retentionText } from './retention.ts';
import type { GridJob, GridPick, JobInputs, JobKind, JobOwner, JobRecord, JobSpec, Limits, StoredCandidate } from './types.ts';

/** A grid, or an upscale, with its options resolved and checked against maxSteps. */
export function admitGrid(
  kind: 'grid' | 'upscale',
  spec: JobSpec,
  adminDefaults: OptionsInput,
  limits: Limits,
): { options: StyleOptions; grid: GridJob } {
  if (kind === 'upscale') {
    const grid = checkGridJob(spec.grid, true);
    const base = resolveJobOptions({ ...(spec.options ?? {}), grid: false }, adminDefaults, limits);
    const options = upscaleOptions(base, grid.spec, grid.pick ?? 0);
    const steps = totalIterations(options);
    if (steps > limits.maxSteps) throw new Refusal(`this upscale is ${steps} steps, over this workspace's limit of ${limits.maxSteps} steps (maxSteps)`);
    if (!spec.inputs.candidates?.some((c) => c.run === grid.pick && Buffer.isBuffer(c.png))) throw new Refusal('an upscale needs the candidate it continues');
    return { options, grid };
  }
  const options = resolveJobOptions({ ...(spec.options ?? {}), grid: true }, adminDefaults, limits);
  if (options.mode !== 'transfer') throw new Refusal('a grid is for transfer mode');
  const grid: GridJob = { spec: spec.grid ? checkGridJob(spec.grid, false).spec : planGrid(options) };
  const cost = gridCostSteps(options);
  if (cost > limits.maxSteps) {
    throw new Refusal(
      `this grid costs ${cost} steps (4 candidates × ${options.gridSteps} steps at ${grid.spec.size} px, counted at ${options.size} px), over this workspace's limit of ${limits.maxSteps} steps (maxSteps); ask for fewer gridSteps or a smaller gridSize`,
    );
  }
  return { options, grid };
}

function checkGridJob(grid: unknown, needsPick: boolean): GridJob {
  const g = grid as Partial<GridJob> | undefined;
  const cells = g?.spec?.cells;
  if (!g?.spec || !Array.isArray(cells) || cells.length !== GRID_CELLS) throw new Refusal('a grid job needs its grid spec');
  if (needsPick && !(Number.isInteger(g.pick) && g.pick! >= 0 && g.pick! < GRID_CELLS)) throw new Refusal('an upscale needs the candidate it continues (1-4)');
  return needsPick ? { spec: g.spec, pick: g.pick } : { spec: g.spec };
}

/** The kind a submitted spec becomes: a stylize job asking for a grid (or given one by the admin default) is a grid job. */
export function gridKind(kind: JobKind, options: StyleOptions): JobKind {
  return kind === 'stylize' && options.grid && options.mode === 'transfer' ? 'grid' : kind;
}

/** A grid's iterations over all four candidates (progress counts them end to end). */
export function gridSteps(spec: GridSpec): number {
  return spec.cells.length * spec.steps;
}

/** The spec of the job a finished grid's button makes, or why there is none. */
export function gridPickSpec(
  store: JobStore,
  jobId: string,
  pick: GridPick,
  owner: JobOwner,
  meta: Record<string, unknown> | undefined,
  retentionMs: number,
): { spec: JobSpec } | { reason: string } {
  const parent = store.get(jobId);
  if (!parent || parent.record.kind !== 'grid' || !parent.record.grid) return { reason: `job ${jobId} is not a grid` };
  if (parent.record.state !== 'completed') return { reason: `grid ${jobId} has ${parent.record.state === 'queued' || parent.record.state === 'running' ? 'not finished yet' : parent.record.state}` };
  if (!Number.isInteger(pick.index) || pick.index < 0 || pick.index >= GRID_CELLS) return { reason: `there is no candidate ${pick.index + 1}: pick 1 to ${GRID_CELLS}` };
  const inputs = parent.inputsPurged ? undefined : store.inputs(jobId);
  const candidate = inputs?.candidates?.find((c) => c.run === pick.index);
  if (!inputs || !candidate) return { reason: `the images of grid ${jobId} were deleted (they are kept ${retentionText(retentionMs)} after a job ends): ask for a new grid` };
  const options = gridBaseOptions(parent.record);
  const base: JobInputs = { styles: inputs.styles, ...(inputs.content ? { content: inputs.content } : {}) };
  const spec = parent.record.grid.spec;
  if (pick.action === 'upscale') {
    return { spec: { owner, kind: 'upscale', inputs: { ...base, candidates: [candidate] }, options, grid: { spec, pick: pick.index }, parentJobId: jobId, meta } };
  }
  const cell = spec.cells[pick.index]!;
  const around = planVary(parent.record.options, cell);
  return { spec: { owner, kind: 'grid', inputs: base, options, grid: { spec: around }, parentJobId: jobId, meta } };
}

/** The grid's options as a request again (the presser's workspace resolves them under its own caps). */
function gridBaseOptions(record: JobRecord): OptionsInput {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record.options)) if (v !== undefined) out[k] = v;
  return out as OptionsInput;
}

/** A sheet's finished run, or a grid's finished candidate (kept after the grid completes, for its buttons). */
export function saveRun(store: JobStore, jobId: string, kind: JobKind | undefined, run: StoredCandidate): void {
  if (kind === 'grid') store.saveCandidate(jobId, run);
  else store.saveSheetRun(jobId, run.run, run.png, run.runJson);
}

/** What a sheet or a grid resumes after: its finished runs or candidates. */
export function finishedRuns(store: JobStore, record: Pick<JobRecord, 'id' | 'kind'>): StoredCandidate[] {
  return record.kind === 'grid' ? store.candidates(record.id) : store.sheetRuns(record.id);
}
