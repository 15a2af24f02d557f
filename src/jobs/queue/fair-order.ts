// The order in which waiting jobs start: FIFO, made fair between users by turns.
//
// Each job gets a turn number when it is submitted: one more than the latest turn of its owner's
// queued or running jobs, and never less than the turn of the job that started last. Waiting jobs
// start by turn, then in submission order. So a user who already has a job running (or waiting) goes
// behind users who have none — also with a single worker, where "running" at pick time would be
// empty — and each user gets one job per round. Nobody starves: a new job can never take a turn
// earlier than the one being served, so a job waits at most one round of the other users' jobs.
// Turns are fixed at submit time, so the relative order of two waiting jobs never changes: a
// position only moves when a job ahead leaves or a job with an earlier turn arrives.
// Jobs interrupted by a restart go first: they had already started.

export interface FairEntry {
  id: string;
  /** Who the fairness is between: platform, workspace and user. */
  userKey: string;
  /** Submission order. */
  seq: number;
  turn: number;
  /** Was running when the process stopped; starts again before anything else. */
  resume: boolean;
}

function before(a: FairEntry, b: FairEntry): boolean {
  if (a.resume !== b.resume) return a.resume;
  if (a.turn !== b.turn) return a.turn < b.turn;
  return a.seq < b.seq;
}

export class FairOrder {
  private readonly waiting: FairEntry[] = [];
  private readonly running = new Map<string, FairEntry>();
  /** The turn of the latest job that started. */
  private served = 0;

  /** The turn a job submitted now by this user gets. */
  nextTurn(userKey: string): number {
    let turn = this.served;
    for (const e of this.waiting) if (e.userKey === userKey) turn = Math.max(turn, e.turn + 1);
    for (const e of this.running.values()) if (e.userKey === userKey) turn = Math.max(turn, e.turn + 1);
    return turn;
  }

  /** Inserts a waiting job; returns its 1-based position. */
  add(entry: FairEntry): number {
    let i = this.waiting.length;
    while (i > 0 && before(entry, this.waiting[i - 1])) i--;
    this.waiting.splice(i, 0, entry);
    return i + 1;
  }

  /** Records a job that is already running (recovered state). */
  addRunning(entry: FairEntry): void {
    this.running.set(entry.id, entry);
    this.served = Math.max(this.served, entry.turn);
  }

  /** Removes a waiting job; false if it is not waiting. */
  remove(id: string): boolean {
    const i = this.waiting.findIndex((e) => e.id === id);
    if (i < 0) return false;
    this.waiting.splice(i, 1);
    return true;
  }

  /** The next job to start, moved from waiting to running. */
  takeNext(): FairEntry | undefined {
    const next = this.waiting.shift();
    if (next) this.addRunning(next);
    return next;
  }

  /** A given waiting job started (a shared queue decides which, not this order); false if it was not waiting. */
  start(id: string): boolean {
    const i = this.waiting.findIndex((e) => e.id === id);
    if (i < 0) return false;
    const [entry] = this.waiting.splice(i, 1);
    this.addRunning(entry);
    return true;
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  finished(id: string): void {
    this.running.delete(id);
  }

  isWaiting(id: string): boolean {
    return this.waiting.some((e) => e.id === id);
  }

  position(id: string): number | undefined {
    const i = this.waiting.findIndex((e) => e.id === id);
    return i < 0 ? undefined : i + 1;
  }

  /** Waiting job ids, next first. */
  waitingIds(): string[] {
    return this.waiting.map((e) => e.id);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get runningCount(): number {
    return this.running.size;
  }
}
