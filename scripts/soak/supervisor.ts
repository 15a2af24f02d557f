// Every process the soak runs: redis-server (AOF on, its own port and directory), the bot
// (`npm start`, the real entry point) and the `npm run worker` processes. It kills and restarts
// them as the fault schedule says, keeps each one's log in the soak's directory, and at the end
// (or on Ctrl-C) ends everything it started, by process id.
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { baseEnv, freePort, startMain, until, type BotProcess } from '../lib/bot-process.ts';
import { startRedis, type TestRedis } from '../lib/redis-server.ts';
import { startWorker, type WorkerProcess } from '../lib/worker-process.ts';
import type { FaultKind, SoakMode } from './faults.ts';

export interface SupervisorConfig {
  mode: SoakMode;
  dir: string;
  weights: string;
  workers: number;
  /** Chat settings of the bot (the fakes' tokens and URLs). */
  chatEnv: Record<string, string>;
  /** Engine backend of every engine process (default wasm: the same on every machine). */
  backend: string;
}

/** How long a started process may take to be ready before the soak goes on without waiting (bounded). */
const READY_WITHIN_MS = 90_000;
const LOCK_MS = 3000;

/** The child processes of a process (Linux: the parent pid in /proc/<pid>/stat). */
function childPids(pid: number | undefined): number[] {
  if (!pid) return [];
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may contain spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(p: { exitCode: number | null; signalCode: NodeJS.Signals | null }): boolean {
  return p.exitCode === null && p.signalCode === null;
}

export class Supervisor {
  redis: TestRedis | undefined;
  private bot: BotProcess | undefined;
  private readonly workers: (WorkerProcess | undefined)[] = [];
  private readonly logs = new Map<string, WriteStream>();
  private metricsPort = 0;
  private botStarts = 0;
  private stopping = false;
  private botDownSince: number | undefined;
  /** Processes the soak itself killed or stopped (their exit is no finding). */
  private readonly expected = new Set<number>();
  /** Processes that exited by themselves: restarted, as systemd would, and reported. */
  readonly unexpectedExits: { name: string; at: number; how: string }[] = [];
  /** When the bot was down (killed or exited, until it was ready again). */
  readonly botDown: { from: number; to: number }[] = [];
  readonly dataDir: string;

  constructor(private readonly config: SupervisorConfig) {
    this.dataDir = path.join(config.dir, 'data');
  }

  async startAll(): Promise<void> {
    if (this.config.mode === 'redis') this.redis = await startRedis();
    this.metricsPort = await freePort();
    await this.startBot();
    if (this.config.mode === 'redis') for (let i = 0; i < this.config.workers; i++) await this.startWorker(i);
  }

  private log(name: string): WriteStream {
    let s = this.logs.get(name);
    if (!s) {
      s = createWriteStream(path.join(this.config.dir, `${name}.log`), { flags: 'a' });
      this.logs.set(name, s);
    }
    return s;
  }

  /** The path of a process's log (bot, worker-0, ...). */
  logPath(name: string): string {
    return path.join(this.config.dir, `${name}.log`);
  }

  private engineEnv(): Record<string, string> {
    return { STYLIZE_WEIGHTS: this.config.weights, STYLIZE_BACKEND: this.config.backend, STYLIZE_ENGINE_THREADS: '1', STYLIZE_QUEUE_LOCK_MS: String(LOCK_MS) };
  }

  async startBot(): Promise<void> {
    if (this.bot && alive(this.bot.child)) return;
    const shared: Record<string, string> = this.redis ? { STYLIZE_REDIS_URL: this.redis.url, STYLIZE_WORKERS: '0' } : { STYLIZE_WORKERS: '1' };
    const env = baseEnv({
      ...this.config.chatEnv,
      ...this.engineEnv(),
      ...shared,
      STYLIZE_DATA_DIR: this.dataDir,
      STYLIZE_METRICS_PORT: String(this.metricsPort),
      STYLIZE_SHUTDOWN_GRACE_S: '6',
    });
    const bot = startMain(env, this.config.dir);
    const log = this.log('bot');
    log.write(`\n=== bot start ${++this.botStarts} pid ${bot.child.pid} at ${new Date().toISOString()}\n`);
    bot.child.stdout!.on('data', (d: Buffer) => log.write(d));
    bot.child.stderr!.on('data', (d: Buffer) => log.write(d));
    this.bot = bot;
    this.watch('bot', bot.child, () => this.startBot());
    await until(
      async () => {
        if (!alive(bot.child)) return true;
        const res = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      'the bot to be ready',
      READY_WITHIN_MS,
    ).catch(() => undefined);
  }

  async startWorker(i: number): Promise<void> {
    const running = this.workers[i];
    if (!this.redis || (running && alive(running.child))) return;
    const env = baseEnv({ ...this.engineEnv(), STYLIZE_REDIS_URL: this.redis.url, STYLIZE_WORKERS: '1' });
    const w = await startWorker(env, false);
    const log = this.log(`worker-${i}`);
    log.write(`\n=== worker start pid ${w.child.pid} at ${new Date().toISOString()}\n`);
    w.child.stdout!.on('data', (d: Buffer) => log.write(d));
    w.child.stderr!.on('data', (d: Buffer) => log.write(d));
    this.workers[i] = w;
    this.watch(`worker-${i}`, w.child, () => this.startWorker(i));
  }

  /** A process that exits without the soak asking is started again 2 s later (at most 50 times in all). */
  private watch(name: string, child: ChildProcess, restart: () => Promise<void>): void {
    child.once('exit', (code, signal) => {
      if (this.stopping || (child.pid !== undefined && this.expected.has(child.pid))) return;
      const at = Date.now();
      this.unexpectedExits.push({ name, at, how: signal ? `signal ${signal}` : `exit code ${code}` });
      if (this.unexpectedExits.length > 50) return;
      setTimeout(() => {
        if (this.stopping) return;
        void restart()
          .then(() => {
            if (name === 'bot') this.botDown.push({ from: at, to: Date.now() });
          })
          .catch(() => undefined);
      }, 2000);
    });
  }

  private expect(child: ChildProcess): void {
    if (child.pid !== undefined) this.expected.add(child.pid);
  }

  /** Kills one process as a fault; false if it was not running (nothing to kill). */
  async kill(kind: FaultKind, signal: NodeJS.Signals, target: number): Promise<boolean> {
    switch (kind) {
      case 'bot': {
        const bot = this.bot;
        if (!bot || !alive(bot.child)) return false;
        this.expect(bot.child);
        const from = Date.now();
        bot.child.kill(signal);
        // A SIGTERM'd bot checkpoints and exits within its grace period; then it is surely gone.
        const gone = await Promise.race([bot.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
        if (!gone) bot.child.kill('SIGKILL');
        await bot.exited;
        this.botDownSince = from;
        return true;
      }
      case 'worker': {
        const w = this.workers[target];
        if (!w || !alive(w.child)) return false;
        this.expect(w.child);
        w.child.kill(signal);
        const gone = await Promise.race([w.exited().then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
        if (!gone) w.child.kill('SIGKILL');
        await w.exited();
        return true;
      }
      case 'redis': {
        if (!this.redis?.pid) return false;
        await this.redis.stop(signal);
        return true;
      }
      case 'engine': {
        const parent = this.redis ? this.workers[target]?.child.pid : this.bot?.child.pid;
        const engine = childPids(parent)[0];
        if (!engine) return false;
        try {
          process.kill(engine, 'SIGKILL');
          return true;
        } catch {
          return false;
        }
      }
    }
  }

  /** Starts again what a fault stopped (an engine child is restarted by its parent). */
  async restart(kind: FaultKind, target: number): Promise<void> {
    if (kind === 'bot') {
      await this.startBot();
      if (this.botDownSince !== undefined) this.botDown.push({ from: this.botDownSince, to: Date.now() });
      this.botDownSince = undefined;
    }
    else if (kind === 'worker') await this.startWorker(target);
    else if (kind === 'redis') await this.redis?.start();
  }

  /** Makes sure everything runs again (before the drain). */
  async restoreAll(): Promise<void> {
    await this.redis?.start();
    await this.startBot();
    for (let i = 0; i < this.workers.length; i++) await this.startWorker(i);
  }

  /** Stops the bot gracefully (it must leave a consistent database); the workers and Redis stay up. */
  async stopBot(): Promise<void> {
    const bot = this.bot;
    if (!bot || !alive(bot.child)) return;
    this.expect(bot.child);
    bot.child.kill('SIGTERM');
    const gone = await Promise.race([bot.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 20_000))]);
    if (!gone) bot.child.kill('SIGKILL');
    await bot.exited;
  }

  /** Ends everything this soak started: by process id, SIGKILL if `hard`. */
  async stopAll(hard = false): Promise<void> {
    this.stopping = true;
    const signal = hard ? 'SIGKILL' : 'SIGTERM';
    if (this.bot && alive(this.bot.child)) {
      if (hard) this.bot.child.kill('SIGKILL');
      else await this.stopBot();
    }
    await Promise.all(this.workers.map((w) => (w && alive(w.child) ? w.stop(signal) : undefined)));
    if (this.redis) await this.redis.close();
    await Promise.all([...this.logs.values()].map((s) => new Promise((r) => s.end(r))));
  }

  /** Every process id this soak has running right now (for the Ctrl-C handler's report). */
  livePids(): number[] {
    const out: number[] = [];
    if (this.bot && alive(this.bot.child) && this.bot.child.pid) out.push(this.bot.child.pid);
    for (const w of this.workers) if (w && alive(w.child) && w.child.pid) out.push(w.child.pid);
    if (this.redis?.pid) out.push(this.redis.pid);
    return out;
  }

  /** SIGKILL of every live process at once, synchronously (the process is exiting). */
  killAllNow(): void {
    this.stopping = true;
    for (const pid of this.livePids()) {
      for (const child of childPids(pid)) {
        try {
          process.kill(child, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
