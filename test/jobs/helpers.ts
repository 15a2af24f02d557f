// Shared by the job tests: tiny real images, a weights file, a data directory, and a way to wait
// for the events the service emits.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobEvent, JobOwner, JobRecord, JobService } from '../../src/jobs/types.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';

export { makePng } from '../../scripts/lib/png.ts';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `stylize-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function weightsFile(dir: string): Promise<string> {
  return writeRandomWeightsFile(path.join(dir, 'vgg19.safetensors'), 7);
}

export function owner(userId: string, workspaceId = 'g1'): JobOwner {
  return { platform: 'discord', workspaceId, channelId: 'c1', userId };
}

export interface Logged {
  event: JobEvent;
  job: JobRecord;
}

/** Records every event; waitFor resolves when an event matching the predicate has arrived. */
export function recordEvents(service: JobService): {
  events: Logged[];
  of(jobId: string): JobEvent[];
  waitFor(pred: (e: Logged) => boolean, timeoutMs?: number): Promise<Logged>;
  waitEnd(jobId: string, timeoutMs?: number): Promise<Logged>;
} {
  const events: Logged[] = [];
  const waiters: { pred: (e: Logged) => boolean; resolve(e: Logged): void }[] = [];
  service.on((event, job) => {
    const e = { event, job };
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const waitFor = (pred: (e: Logged) => boolean, timeoutMs = 60_000) => {
    const seen = events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise<Logged>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for an event (${events.length} seen)`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  };
  const END = ['completed', 'failed', 'cancelled'];
  return {
    events,
    of: (jobId) => events.filter((e) => e.job.id === jobId).map((e) => e.event),
    waitFor,
    waitEnd: (jobId, timeoutMs) => waitFor((e) => e.job.id === jobId && END.includes(e.event.type), timeoutMs),
  };
}
