// `npm run worker` as an operator runs it (its entry point, configured through the environment):
// for the tests and the soak, which start, kill and restart them.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WORKER_ENTRY = fileURLToPath(new URL('../../src/worker.ts', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  log: string[];
  exited(): Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `npm run worker` (its entry point) and waits until it takes jobs, or until it exits. */
export async function startWorker(env: NodeJS.ProcessEnv, waitReady = true): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        log.push(line);
        if (line.includes('worker taking jobs')) resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`the worker exited (${code}):\n${log.join('\n')}`)));
  });
  ready.catch(() => undefined);
  if (waitReady) await ready;
  return {
    child,
    log,
    exited: () => exit,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exit;
    },
  };
}
