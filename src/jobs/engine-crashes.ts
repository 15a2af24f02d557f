// A job whose engine process dies under it (not asked to: no cancel, no time limit, no shutdown) is
// tried again once, from its checkpoint: an engine can die for reasons of its own (the machine, a
// stray signal). A job that takes an engine down a second time is most likely the cause (too big
// for the memory, say): it fails, rather than take every engine down in turn for ever. Both queues
// count the same way: the local one in the job's row, the shared one in Redis (worker-pool.ts).

/** Crashes of the engine under one job that fail it. */
export const ENGINE_CRASH_LIMIT = 2;

/** `how`: how the engine process ended the last time (e.g. "signal SIGKILL"). */
export function crashedTwiceReason(how: string): string {
  return `this job crashed the engine twice (the last time: ${how}), possibly out of memory: try a smaller size`;
}
