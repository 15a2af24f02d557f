// A real redis-server per test file (or benchmark): a free port, a temporary directory, AOF on (so a
// restart keeps the jobs, as docs/scaling-out.md asks of production), nothing shared with a system Redis.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: it flushes the AOF first; SIGKILL: a crash, the AOF as it is). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after a stop, on the same port and directory. */
  start(): Promise<void>;
  /** Stops it and starts it again on the same port and directory. */
  restart(): Promise<void>;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function launch(port: number, dir: string, password?: string): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'],
      ...(password ? ['--requirepass', password] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not run (${e.message}): install it (apt-get install redis-server)`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}):\n${out}`));
    });
  });
}

/** password: the server requires it (requirepass), and url carries it. */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, dir, opts.password);
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };
  const start = async () => {
    if (!child) child = await launch(port, dir, opts.password);
  };
  return {
    url: opts.password ? `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    get pid() {
      return child?.pid;
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
