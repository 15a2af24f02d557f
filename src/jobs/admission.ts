// What a submitted JobSpec becomes once checked: its kind, owner and images, and its options
// resolved against the workspace's defaults and limits. Throws Refusal or OptionsError with a
// message for the user. Then the caps that depend on what is queued, and the spec of a re-run.
import type { Mode, StyleOptions } from '../options.ts';
import { admitGrid, gridKind } from './grid-jobs.ts';
import { checkInputs, checkInputsForOptions, checkOwner, Refusal, rerunInputs, rerunOptions, resolveJobOptions } from './job-rules.ts';
import type { JobStore } from './job-store.ts';
import { effectiveLimits } from './limits.ts';
import { retentionText } from './retention.ts';
import { withNamedStyles } from './named-styles.ts';
import { checkSheetSpec, resolveSheetOptions, sheetContents } from './sheet-rules.ts';
import type { GridJob, JobInputs, JobKind, JobOwner, JobSpec, Limits, SettingsStore, SheetSpec } from './types.ts';
import type { WorkspaceStyles } from './workspace-styles.ts';

export interface AdmittedJob {
  kind: JobKind;
  owner: JobOwner;
  /** A sheet's content images are stored as contents 0…n-1 whichever way they came. */
  inputs: JobInputs;
  options: StyleOptions;
  sheet?: SheetSpec;
  grid?: GridJob;
  /** The workspace's limits (its settings under the global ceilings). */
  limits: Limits;
}

/** `styles`: the workspace libraries a job's style names are looked up in (their images join its inputs). */
export function admit(submitted: JobSpec, settings: SettingsStore, ceilings: Limits, styles?: WorkspaceStyles): AdmittedJob {
  const spec = styles ? withNamedStyles(submitted, styles) : submitted;
  checkOwner(spec.owner);
  const inputs = checkInputs(spec.inputs);
  const kind: JobKind = spec.kind ?? (spec.sheet !== undefined ? 'sheet' : 'stylize');
  if (!['stylize', 'sheet', 'grid', 'upscale'].includes(kind)) throw new Refusal(`unknown job kind "${String(kind)}"`);
  const owner: JobOwner = { platform: spec.owner.platform, workspaceId: spec.owner.workspaceId, channelId: spec.owner.channelId, userId: spec.owner.userId };
  if (spec.owner.threadId !== undefined) owner.threadId = spec.owner.threadId;

  const ws = settings.get(owner.platform, owner.workspaceId);
  const limits = effectiveLimits(ceilings, ws.limits);
  if (kind === 'sheet') {
    const sheet = checkSheetSpec(spec.sheet);
    const contents = sheetContents(inputs);
    const options = resolveSheetOptions(spec.options ?? {}, ws.defaults, limits, sheet, { contents: contents.length, styles: inputs.styles.length }).options;
    return { kind, owner, inputs: { contents, styles: inputs.styles }, options, sheet, limits };
  }
  if (spec.sheet !== undefined) throw new Refusal('sheet settings are only for sheet jobs');
  if (inputs.contents) throw new Refusal('a stylize job takes one content image; several are for sheets');
  const options = kind === 'stylize' ? resolveJobOptions(spec.options ?? {}, ws.defaults, limits) : undefined;
  const asGrid = options ? gridKind(kind, options) : kind;
  if (asGrid === 'grid' || asGrid === 'upscale') {
    const { options: gridOptions, grid } = admitGrid(asGrid, spec, ws.defaults, limits);
    if (asGrid === 'grid') {
      checkInputsForOptions(gridOptions, inputs);
      return { kind: asGrid, owner, inputs, options: gridOptions, grid, limits };
    }
    // An upscale's initial image is its candidate, stored with it.
    checkInputsForOptions({ ...gridOptions, init: 'content' }, inputs);
    const candidates = (spec.inputs.candidates ?? []).filter((c) => c.run === grid.pick && Buffer.isBuffer(c.png)).slice(0, 1);
    return { kind: asGrid, owner, inputs: { ...inputs, candidates }, options: gridOptions, grid, limits };
  }
  checkInputsForOptions(options!, inputs);
  return { kind, owner, inputs, options: options!, limits };
}

/** The caps that depend on what is queued: a user's jobs (queued or running) and the waiting queue's length. */
export function checkCaps(limits: Limits, userJobs: number, waiting: number): void {
  if (userJobs >= limits.maxUserJobs) {
    throw new Refusal(
      `you already have ${userJobs} job${userJobs === 1 ? '' : 's'} queued or running (limit ${limits.maxUserJobs}, maxUserJobs): wait for one to finish or cancel one`,
    );
  }
  if (waiting >= limits.maxQueue) throw new Refusal(`the queue is full (${waiting} jobs waiting, limit ${limits.maxQueue}, maxQueue): try again later`);
}

/** The spec that re-runs a finished stylize job in another mode on its images, or why it cannot. */
export function rerunSpec(
  store: JobStore,
  jobId: string,
  mode: Mode,
  owner: JobOwner,
  meta: Record<string, unknown> | undefined,
  retentionMs: number,
): { spec: JobSpec } | { reason: string } {
  const parent = store.get(jobId);
  if (!parent) return { reason: `there is no job ${jobId}` };
  if (parent.record.kind === 'grid') return { reason: `job ${jobId} is a grid: use its U and V buttons` };
  if (parent.record.kind === 'sheet') return { reason: `job ${jobId} is a sheet, and sheets are not re-run from reactions: ask for a new sheet instead` };
  if (parent.record.state === 'queued' || parent.record.state === 'running') {
    return { reason: `job ${jobId} is still ${parent.record.state}: re-run it once it has finished` };
  }
  const inputs = parent.inputsPurged ? undefined : store.inputs(jobId);
  if (!inputs) return { reason: `the images of job ${jobId} were deleted (they are kept ${retentionText(retentionMs)} after a job ends): send them again` };
  return {
    spec: { owner, inputs: rerunInputs(inputs, mode), options: rerunOptions(parent.record.options, mode), kind: parent.record.kind === 'upscale' ? 'stylize' : parent.record.kind, parentJobId: jobId, meta },
  };
}
