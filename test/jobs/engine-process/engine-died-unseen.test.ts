// An engine process that has died while the parent has not yet seen its exit (the parent busy, the
// kill landing between fork and the first message): the parent's next message to it fails to write
// (EPIPE). That failure is not an error the engine reported: the job is a crash like any other, the
// engine starts again, and nothing is thrown at the bot's or worker's process.
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { ENGINE_CHILD_ENTRY, EngineProcess } from '../../../src/jobs/engine-process/parent-handle.ts';
import type { EngineJob, EngineOutcome } from '../../../src/jobs/engine-process/protocol.ts';
import { resolveOptions } from '../../../src/options.ts';
import { makePng, tempDir, weightsFile } from '../helpers.ts';

const tmp = tempDir('engine-died-unseen');
afterAll(() => tmp.remove());

/** Kills the process and holds this thread until it is a zombie: dead, its exit not yet seen here. */
function killUnseen(pid: number): void {
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + 5000;
  while (!/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) {
    if (Date.now() > deadline) throw new Error(`process ${pid} survived SIGKILL`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

async function job(id: string, steps: number): Promise<EngineJob> {
  const img = await makePng(16, 16, 1);
  return { jobId: id, content: img, styles: [img], options: resolveOptions({ size: 16, steps, optimizer: 'adam' }), iterationOffset: 0, totalSteps: steps, timeoutMs: 60_000 };
}

const quiet = { onProgress: () => undefined, onPreview: () => undefined };

/** Runs a long job and resolves with its outcome, and `running` once its first iteration is reported. */
function runLong(engine: EngineProcess, j: EngineJob): { outcome: Promise<EngineOutcome>; running: Promise<void> } {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  return { outcome: engine.run(j, { ...quiet, onProgress: () => started() }), running };
}

it('messages to an engine that died unseen: a crash, a cancel or a stop like any other, never a thrown error', async () => {
  const unexpected: unknown[] = [];
  const onUncaught = (e: unknown) => unexpected.push(e);
  process.on('uncaughtException', onUncaught);
  const engine = new EngineProcess({ entry: ENGINE_CHILD_ENTRY, weightsPath: await weightsFile(tmp.dir), backend: 'wasm', engineThreads: 1 }, 0);
  try {
    // The job's run message is the first write after the death.
    await engine.start();
    // Made first: anything awaited between the kill and the run would let the exit be seen.
    const crashing = await job('crashed', 2);
    killUnseen(engine.pid!);
    expect(await engine.run(crashing, quiet)).toEqual({ kind: 'crashed', how: 'signal SIGKILL' });

    // Started again by itself; a cancel written after the death still ends the job as cancelled.
    await engine.start();
    const cancelled = runLong(engine, await job('cancelled', 5000));
    await cancelled.running;
    killUnseen(engine.pid!);
    expect(engine.cancel('cancelled')).toBe(true);
    expect(await cancelled.outcome).toEqual({ kind: 'cancelled' });

    await engine.start();
    expect((await engine.run(await job('completed', 2), quiet)).kind).toBe('completed');

    // Two writes after the death (the cancel, then the checkpoint request of the stop).
    const interrupted = runLong(engine, await job('interrupted', 5000));
    await interrupted.running;
    killUnseen(engine.pid!);
    engine.cancel('interrupted');
    await engine.stop({ checkpointWithinMs: 200 });
    expect(await interrupted.outcome).toEqual({ kind: 'interrupted' });
    expect(unexpected).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
    await engine.stop();
  }
}, 60_000);
