// Files made from a finished job on request: its time-lapse (from the frames kept with it) and its
// loss chart (from the recorded losses). Both expire with the job's images.
import { renderRunChart } from '../engine/visuals/loss-chart.ts';
import { encodeTimelapse, TimelapseTooLargeError } from '../engine/visuals/timelapse.ts';
import type { JobStore } from './job-store.ts';
import { retentionText } from './retention.ts';
import type { JobFileResult, JobRecord, TimelapseRequest } from './types.ts';

export class JobFiles {
  constructor(
    private readonly store: JobStore,
    private readonly retentionMs: number,
    /** The job as the service knows it now (active or stored). */
    private readonly find: (jobId: string) => JobRecord | undefined,
  ) {}

  async timelapse(jobId: string, request: TimelapseRequest = {}): Promise<JobFileResult> {
    const refused = this.refusal(jobId, 'time-lapse');
    if (refused) return refused;
    const frames = this.store.frames(jobId);
    if (frames.length === 0) {
      const reason = this.store.get(jobId)?.inputsPurged
        ? `the time-lapse frames of job ${jobId} have expired (they are kept ${retentionText(this.retentionMs)} after a job ends, like its images)`
        : `job ${jobId} has no time-lapse frames (it ran before the bot kept them)`;
      return { ok: false, reason };
    }
    const format = request.format ?? 'gif';
    try {
      const film = await encodeTimelapse(frames, { format, maxBytes: request.maxBytes });
      return { ok: true, file: { name: `timelapse-${jobId}.${format}`, data: film.data, contentType: `image/${format}` } };
    } catch (e) {
      if (e instanceof TimelapseTooLargeError) return { ok: false, reason: `the time-lapse of job ${jobId} does not fit the upload limit, even with fewer and smaller frames` };
      throw e;
    }
  }

  async lossChart(jobId: string): Promise<JobFileResult> {
    const refused = this.refusal(jobId, 'loss curve');
    if (refused) return refused;
    const curve = this.store.curve(jobId);
    if (!curve?.length) {
      const reason = this.store.get(jobId)?.inputsPurged
        ? `the recorded losses of job ${jobId} have expired (they are kept ${retentionText(this.retentionMs)} after a job ends, like its images)`
        : `job ${jobId} has no recorded losses (it ran before the bot kept them)`;
      return { ok: false, reason };
    }
    const o = this.store.get(jobId)!.record.options;
    const png = await renderRunChart(curve, `${o.mode} · ${o.size}px · ${o.optimizer} · job ${jobId}`);
    return { ok: true, file: { name: `losses-${jobId}.png`, data: png, contentType: 'image/png' } };
  }

  /** Why a job has no time-lapse or loss curve to show, if it has none. */
  private refusal(jobId: string, what: string): { ok: false; reason: string } | undefined {
    const job = this.find(jobId);
    if (!job) return { ok: false, reason: `there is no job ${jobId}` };
    if (job.kind === 'sheet') return { ok: false, reason: `job ${jobId} is a sheet: a ${what} is kept for single runs only` };
    if (job.state === 'queued' || job.state === 'running') return { ok: false, reason: `job ${jobId} is still ${job.state}: ask again once it has finished` };
    if (job.state !== 'completed') return { ok: false, reason: `job ${jobId} ${job.state === 'failed' ? 'failed' : 'was cancelled'}, so it has no ${what}` };
    return undefined;
  }
}
