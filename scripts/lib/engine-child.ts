// The engine child processes of a bot or worker process, found from outside (Linux /proc), for the
// tests that kill one at a precise moment: the parent pid is in /proc/<pid>/stat, the script in
// /proc/<pid>/cmdline.
import { readdirSync, readFileSync } from 'node:fs';

const ENGINE_SCRIPT = 'engine-process/child.ts';

/** The live engine processes (src/jobs/engine-process/child.ts) whose parent is `parentPid`. */
export function engineChildPids(parentPid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid …: comm may contain spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== parentPid || state === 'Z') continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(ENGINE_SCRIPT)) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Waits for an engine process of `parentPid` that is not in `seen` and kills it with SIGKILL the
 * moment it appears: it has only just been forked, so it is still starting (loading tsx, the engine
 * and the weights takes far longer than one look here). Returns its pid.
 */
export async function killEngineAsItStarts(parentPid: number, opts: { seen?: number[]; timeoutMs?: number; parentAlive?: () => boolean } = {}): Promise<number> {
  const end = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const pid = engineChildPids(parentPid).find((p) => !opts.seen?.includes(p));
    if (pid !== undefined) {
      process.kill(pid, 'SIGKILL');
      return pid;
    }
    if (opts.parentAlive && !opts.parentAlive()) throw new Error(`process ${parentPid} exited before it started an engine process`);
    if (Date.now() > end) throw new Error(`no engine process of ${parentPid} appeared`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
