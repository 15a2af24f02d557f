// A worker that cannot start (here: no weights file) is a clear error at start() and for each job,
// never a hang or a crash of the service; one killed while it starts is started again, a few times.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobService } from '../../../src/jobs/create-job-service.ts';
import { ENGINE_CHILD_ENTRY, ENGINE_START_ATTEMPTS, EngineProcess } from '../../../src/jobs/engine-process/parent-handle.ts';
import { makePng, owner, recordEvents, tempDir, weightsFile } from '../helpers.ts';

const tmp = tempDir('engine-start');
afterAll(() => tmp.remove());

it('reports an engine that cannot start, at start() and to the jobs it was given', async () => {
  const missing = path.join(tmp.dir, 'missing.safetensors');
  const svc = createJobService({ dataDir: tmp.dir, weightsPath: missing, backend: 'wasm', engineThreads: 1 });
  const rec = recordEvents(svc);
  const img = await makePng(16, 16, 1);
  const r = svc.submit({ owner: owner('a'), inputs: { content: img, styles: [img] }, options: { size: 16, steps: 1 } });
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  await expect(svc.start()).rejects.toThrow(/^the engine could not start: .*missing\.safetensors/);
  const end = await rec.waitEnd(r.job.id);
  expect(end.event).toEqual({ type: 'failed', reason: expect.stringMatching(/^the engine could not start: .*missing\.safetensors/) });
  expect((end.event as { reason: string }).reason).not.toContain('\n');
  await svc.stop();
});

// The start of the bot or a worker (startWithRetries): an engine process that keeps dying while it
// starts is tried a few times, then a clear error; one that reports an error is not tried again.
describe('starting the engine at the start of the bot or a worker', () => {
  /** Kills every engine process the handle starts, the moment it appears, until stopped; returns their pids. */
  function killEachStart(engine: EngineProcess): { pids: number[]; stop(): void } {
    const pids: number[] = [];
    let on = true;
    void (async () => {
      while (on) {
        const pid = engine.pid;
        if (pid !== undefined && !pids.includes(pid)) {
          pids.push(pid);
          process.kill(pid, 'SIGKILL');
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    return { pids, stop: () => (on = false) };
  }

  /** Every engine process the handle starts, seen until stopped. */
  function watchStarts(engine: EngineProcess): { pids: number[]; stop(): void } {
    const pids: number[] = [];
    const timer = setInterval(() => {
      const pid = engine.pid;
      if (pid !== undefined && !pids.includes(pid)) pids.push(pid);
    }, 5);
    return { pids, stop: () => clearInterval(timer) };
  }

  it('an engine process killed at every start: a few attempts, then a clear error', async () => {
    const weights = await weightsFile(tmp.dir);
    const engine = new EngineProcess({ entry: ENGINE_CHILD_ENTRY, weightsPath: weights, backend: 'wasm', engineThreads: 1 }, 0);
    const killer = killEachStart(engine);
    try {
      await expect(engine.startWithRetries()).rejects.toThrow(
        new Error(`the engine process exited during start-up (signal SIGKILL), ${ENGINE_START_ATTEMPTS} times in a row`),
      );
    } finally {
      killer.stop();
      await engine.stop();
    }
    expect(killer.pids).toHaveLength(ENGINE_START_ATTEMPTS);
  }, 60_000);

  it('an error the engine reports (missing weights, a backend that fails) is not tried again', async () => {
    const weights = await weightsFile(tmp.dir);
    for (const config of [
      { weightsPath: path.join(tmp.dir, 'missing.safetensors'), backend: 'wasm', error: /missing\.safetensors/ },
      { weightsPath: weights, backend: 'wasm', env: { ...process.env, STYLIZE_TEST_FAIL_BACKENDS: 'wasm' }, error: /disabled by STYLIZE_TEST_FAIL_BACKENDS/ },
    ]) {
      const engine = new EngineProcess({ entry: ENGINE_CHILD_ENTRY, engineThreads: 1, ...config }, 0);
      const starts = watchStarts(engine);
      try {
        await expect(engine.startWithRetries()).rejects.toThrow(config.error);
      } finally {
        starts.stop();
        await engine.stop();
      }
      expect(starts.pids).toHaveLength(1);
    }
  }, 60_000);
});
