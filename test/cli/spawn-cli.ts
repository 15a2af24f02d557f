// Runs the real `stylize` executable (node bin/stylize.js, cwd = the repo) as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const IMAGES = resolve(REPO_ROOT, '../shared/images');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Called with the stdout so far after each chunk (e.g. to send SIGINT at the right moment). */
  onStdout?: (stdout: string, child: ChildProcess) => void;
  timeoutMs?: number;
}

/** The environment of a user's shell: no test-runner variables, no weights or backend overrides. */
function baseEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, STYLIZE_WASM_THREADS: '1' };
  for (const k of ['VITEST', 'STYLIZE_WEIGHTS', 'STYLIZE_BACKEND', 'STYLIZE_LOG_LEVEL', 'STYLIZE_MODELS_DIR', 'STYLIZE_WEIGHTS_URL']) delete env[k];
  return env;
}

export function spawnCli(args: string[], opts: SpawnOptions = {}): Promise<CliResult> {
  const start = performance.now();
  const child = spawn(process.execPath, ['bin/stylize.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...opts.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
    opts.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
}
