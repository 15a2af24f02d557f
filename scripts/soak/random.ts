// The soak's one source of chance: a seeded generator (mulberry32), so that a seed replays the same
// fault schedule and the same users' choices (timing on a loaded machine still varies).
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A generator of its own, so one user's choices do not shift another's. */
  fork(salt: number): Random {
    return new Random((this.int(0, 2 ** 31) ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }
}
