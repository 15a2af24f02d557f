// `npm start` as a user runs it: the real bot process, configured only through the environment,
// started from a scratch directory so no developer .env is read.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '../..');
// The child runs in a scratch directory: point --import at tsx itself.
const TSX = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;

/** Only these variables reach the child: a developer's own tokens must not leak into the test. */
export function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, STYLIZE_LOG_LEVEL: 'info', STYLIZE_WASM_THREADS: '1', ...extra };
}

export interface BotProcess {
  child: ChildProcess;
  output(): string;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** The pino lines logged so far, parsed. */
  logs(): Record<string, unknown>[];
}

export function startMain(env: NodeJS.ProcessEnv, cwd: string): BotProcess {
  const child = spawn(process.execPath, ['--import', TSX, path.join(root, 'src/main.ts')], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // 'exit' can come before the last of its output is read: wait for the pipes to close too, but not
  // for ever (an engine process it left behind holds them until it notices).
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      const timer = setTimeout(() => resolve(code), 2000);
      child.once('close', () => {
        clearTimeout(timer);
        resolve(code);
      });
    }),
  );
  const logs = () =>
    out.split('\n').flatMap((line) => {
      if (!line.startsWith('{')) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { child, output: () => out, exited, logs };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
