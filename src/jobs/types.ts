// The contract between the job layer and the chat adapters. Adapters only see this: no tensors,
// no child processes, no queue. One JobService (JobCoordinator) serves both queue backends: this
// machine's engine processes or the shared queue on Redis (src/jobs/queue/).
import type { GridSpec } from '../engine/grid/plan.ts';
import type { SheetKind } from '../engine/sheet/plan.ts';
import type { SheetReport } from '../engine/sheet/report.ts';
import type { Losses } from '../engine/types.ts';
import type { Mode, OptionsInput, StyleOptions } from '../options.ts';

export type Platform = 'discord' | 'slack' | 'cli';
export type JobKind = 'stylize' | 'sheet' | 'grid' | 'upscale';
export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

/** Who asked, and where answers go. workspaceId = Discord guild id / Slack team id ('dm' in DMs). */
export interface JobOwner {
  platform: Platform;
  workspaceId: string;
  channelId: string;
  threadId?: string;
  userId: string;
}

export interface JobInputs {
  content?: Buffer;
  styles: Buffer[];
  /** Several content images: sheet jobs only (a grid or init sheet has a row per content). */
  contents?: Buffer[];
  /** Grid candidates stored with the job: an upscale job's starting candidate (index = its cell). */
  candidates?: StoredCandidate[];
}

/** A grid candidate as stored: its cell (0-based), PNG and numbers (GridCandidate without png, as JSON). */
export interface StoredCandidate {
  run: number;
  png: Buffer;
  runJson: string;
}

/** What a sheet job renders (see src/engine/sheet): the study, and the layers it sweeps. */
export interface SheetSpec {
  kind: SheetKind;
  /** reconstruct/texture: the layers swept, one run each (default conv_1…conv_5). */
  layers?: string[];
  /** texture: the layers of the last, combined run (default conv_1,conv_2). */
  combo?: string[];
}

/**
 * Grid jobs: the four candidates rendered (pick unset). Upscale jobs: the grid they continue and the
 * candidate picked (0-based); their options are then already the upscale's (upscaleOptions).
 */
export interface GridJob {
  spec: GridSpec;
  pick?: number;
}

/** A button under a finished grid: U1–U4 (upscale) or V1–V4 (vary), index 0-based. */
export interface GridPick {
  action: 'upscale' | 'vary';
  index: number;
}

export interface JobSpec {
  owner: JobOwner;
  inputs: JobInputs;
  /** The user's options, before admin defaults and limits. */
  options: OptionsInput;
  kind?: JobKind;
  /** Sheet jobs: which sheet (kind defaults to 'sheet' when this is given). */
  sheet?: SheetSpec;
  /** Grid and upscale jobs made from a grid's buttons (a new grid from /stylize plans its own). */
  grid?: GridJob;
  /** Set when this job re-runs another mode on a finished job's inputs. */
  parentJobId?: string;
  /** Adapter-owned data persisted with the job (message ids, interaction token, …). */
  meta?: Record<string, unknown>;
}

export interface JobRecord {
  id: string;
  kind: JobKind;
  state: JobState;
  owner: JobOwner;
  /** Options after admin defaults, limits and the preset were applied. */
  options: StyleOptions;
  /** Sheet jobs: which sheet; options are then the base options of every run. */
  sheet?: SheetSpec;
  grid?: GridJob;
  parentJobId?: string;
  meta: Record<string, unknown>;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: string;
}

export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started' }
  /** candidate: grid jobs, the candidate (0-based) being rendered, of `of`. */
  | { type: 'progress'; iteration: number; steps: number; losses: Losses; elapsedMs: number; etaMs: number; candidate?: { index: number; of: number } }
  | { type: 'preview'; iteration: number; png: Buffer }
  /** Sheet jobs carry the engine's report (the numbers of every cell and the layout of the PNG). */
  /** compare: stylize jobs' inputs | result, each at the result's height. */
  | {
      type: 'completed';
      png: Buffer;
      runtimeMs: number;
      summary: string;
      report?: SheetReport;
      compare?: Buffer;
      /**
       * Announced again after a restart because its posting was never confirmed: the bot may have
       * died after the chat API took the result but before it heard back, so adapters look for it
       * in the thread before posting it again.
       */
      afterRestart?: boolean;
    }
  /** afterRestart: as for `completed`, the failure message's posting was never confirmed. */
  | { type: 'failed'; reason: string; afterRestart?: boolean }
  | { type: 'cancelled'; by: string }
  /**
   * Recovered after a restart. from: where it goes on — a checkpoint taken at a graceful stop or
   * the latest preview (iteration over the whole job); runsDone: a sheet's runs already finished.
   */
  | { type: 'resumed'; from?: { iteration: number; source: 'checkpoint' | 'preview' }; runsDone?: number };

export type JobListener = (event: JobEvent, job: JobRecord) => void;

/** A file made from a finished job (its time-lapse, its loss chart), ready to upload. */
export interface JobFile {
  name: string;
  data: Buffer;
  contentType: string;
}

export type JobFileResult = { ok: true; file: JobFile } | { ok: false; reason: string };

export interface TimelapseRequest {
  /** Default gif: every chat client animates it. */
  format?: 'gif' | 'webp';
  /** Shrink (fewer frames, then fewer pixels) to fit an upload limit. */
  maxBytes?: number;
}

export type SubmitResult = { ok: true; job: JobRecord; position: number } | { ok: false; reason: string };
export type CancelResult = { ok: true } | { ok: false; reason: string };

/** Who acts on a job: owners and workspace admins may cancel. */
export interface Actor {
  userId: string;
  isAdmin: boolean;
}

/** Per-workspace limits an admin may lower (never above the global ceilings from env). */
export interface Limits {
  maxUserJobs: number;
  maxQueue: number;
  maxSteps: number;
  maxSize: number;
  jobTimeoutSec: number;
  /** Saved styles in the workspace's style library. */
  maxStyles: number;
}

/** Who may save styles to a workspace's library. */
export type StyleSavers = 'everyone' | 'admins';

/** The workspace's style-library settings (admins set them beside the defaults and limits). */
export interface LibrarySettings {
  /** Default everyone. */
  styleSavers?: StyleSavers;
  /** Built-in styles this workspace does not offer. */
  hiddenStyles?: string[];
}

export interface WorkspaceSettings {
  defaults: OptionsInput;
  limits: Partial<Limits>;
  library: LibrarySettings;
}

export interface SettingsStore {
  get(platform: Platform, workspaceId: string): WorkspaceSettings;
  /** key is an option key (admin: true in OPTION_SPECS) or a Limits key; throws OptionsError on a bad value. */
  set(platform: Platform, workspaceId: string, key: string, value: unknown): void;
  /** Without key: every setting of the workspace. */
  reset(platform: Platform, workspaceId: string, key?: string): void;
}

/** One style of a workspace's library: a built-in painting or a style someone saved there. */
export interface LibraryEntry {
  name: string;
  source: 'builtin' | 'saved';
  /** Saved styles: who saved it, and when (ms). */
  savedBy?: string;
  savedAt?: number;
}

export type StyleSaveResult = { ok: true; entry: LibraryEntry; replaced: boolean } | { ok: false; reason: string };
export type StyleRemoveResult = { ok: true } | { ok: false; reason: string };

/**
 * A workspace's style library: the built-ins (minus those an admin hid) and the styles saved there
 * (a saved style may take a built-in's name and then replaces it). Jobs naming styles get them from here.
 */
export interface StyleLibraryService {
  entries(platform: Platform, workspaceId: string): LibraryEntry[];
  /** The image is checked (type, bytes, pixels) and re-encoded (at most 1024 px) before anything is stored. */
  save(platform: Platform, workspaceId: string, name: string, image: Buffer, by: Actor): Promise<StyleSaveResult>;
  /** The person who saved it, or an admin. */
  remove(platform: Platform, workspaceId: string, name: string, by: Actor): StyleRemoveResult;
  /** One PNG of every style with its name; undefined when the library is empty. */
  contactSheet(platform: Platform, workspaceId: string): Promise<Buffer | undefined>;
}

export type StoredResultView = { ok: true; job: JobRecord; png: Buffer; runtimeMs: number; summary: string } | { ok: false; reason: string };

/** A user's past jobs, and the results still kept (for /stylize-history and /stylize-show). */
export interface JobHistoryService {
  /** The user's latest jobs in the workspace, newest first. */
  recent(platform: Platform, workspaceId: string, userId: string, limit?: number): JobRecord[];
  /**
   * A completed job's result while it is kept, or why not: the owner's, or any of the workspace's
   * for an admin (DMs share one 'dm' workspace: there only the owner's).
   */
  result(platform: Platform, workspaceId: string, jobId: string, by: Actor): StoredResultView;
}

export interface JobService {
  submit(spec: JobSpec): SubmitResult;
  cancel(jobId: string, by: Actor): CancelResult;
  /** Queue a job from a finished grid's button: U (upscale that candidate) or V (a grid around it). */
  fromGrid(jobId: string, pick: GridPick, owner: JobOwner, meta?: Record<string, unknown>): SubmitResult;
  /** Queue another mode on a finished job's inputs (reactions on a result). */
  rerun(jobId: string, mode: Mode, owner: JobOwner, meta?: Record<string, unknown>): SubmitResult;
  get(jobId: string): JobRecord | undefined;
  /** The animated time-lapse of a finished stylize job; refused (with the reason) once its frames have expired. */
  timelapse(jobId: string, request?: TimelapseRequest): Promise<JobFileResult>;
  /** The loss chart (PNG) of a finished stylize job. */
  lossChart(jobId: string): Promise<JobFileResult>;
  /** Queued and running jobs of a user, oldest first. */
  listActive(platform: Platform, workspaceId: string, userId?: string): JobRecord[];
  queueLength(): number;
  /** Merge adapter data into the job's persisted meta. */
  updateMeta(jobId: string, patch: Record<string, unknown>): void;
  /**
   * The adapter posted a completed job's result or a failed job's failure (or can never post it):
   * it is no longer offered again. Until then a restarted service emits `completed` (`failed`)
   * again at start.
   */
  confirmDelivered(jobId: string): void;
  on(listener: JobListener): () => void;
  readonly settings: SettingsStore;
  readonly styles: StyleLibraryService;
  readonly history: JobHistoryService;
  start(): Promise<void>;
  stop(): Promise<void>;
}
