import { describe, expect, it } from 'vitest';
import { FairOrder } from '../../../src/jobs/queue/fair-order.ts';

/** Submits a job the way the service does: the turn comes from the order itself. */
function submit(order: FairOrder, id: string, user: string, seq: number): number {
  return order.add({ id, userKey: user, seq, turn: order.nextTurn(user), resume: false });
}

/** Runs every waiting job to the end, one at a time (one worker); returns the start order. */
function drain(order: FairOrder): string[] {
  const started: string[] = [];
  for (let e = order.takeNext(); e; e = order.takeNext()) {
    started.push(e.id);
    order.finished(e.id);
  }
  return started;
}

describe('FairOrder', () => {
  it('is FIFO between users who each have one job', () => {
    const o = new FairOrder();
    expect(['a', 'b', 'c'].map((u, i) => submit(o, `${u}1`, u, i))).toEqual([1, 2, 3]);
    expect(drain(o)).toEqual(['a1', 'b1', 'c1']);
  });

  it('puts a user with a job running behind users with none, also with one worker', () => {
    const o = new FairOrder();
    submit(o, 'a1', 'a', 1);
    expect(o.takeNext()?.id).toBe('a1');
    expect(submit(o, 'a2', 'a', 2)).toBe(1);
    // b1 came later but b has nothing running: it goes first.
    expect(submit(o, 'b1', 'b', 3)).toBe(1);
    expect(o.position('a2')).toBe(2);
    // When a1 ends, the free worker takes b1, not a's second job.
    o.finished('a1');
    expect(drain(o)).toEqual(['b1', 'a2']);
  });

  it('gives each user one job per round', () => {
    const o = new FairOrder();
    let seq = 0;
    for (const id of ['a1', 'a2', 'a3', 'b1', 'b2', 'c1']) submit(o, id, id[0], seq++);
    expect(o.waitingIds()).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    expect(drain(o)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('never lets a newcomer overtake a job of an earlier round once that round is served', () => {
    const o = new FairOrder();
    submit(o, 'a1', 'a', 1);
    o.takeNext();
    submit(o, 'a2', 'a', 2); // round 1
    submit(o, 'b1', 'b', 3); // round 0
    submit(o, 'b2', 'b', 4); // round 1
    o.finished('a1');
    expect(o.takeNext()?.id).toBe('b1');
    o.finished('b1');
    expect(o.takeNext()?.id).toBe('a2'); // round 1 is being served now
    // c has never had a job, but round 0 is over: c1 joins round 1, behind b2 which waited longer.
    expect(submit(o, 'c1', 'c', 5)).toBe(2);
    expect(o.waitingIds()).toEqual(['b2', 'c1']);
  });

  it('starts jobs interrupted by a restart first, and tracks positions as jobs leave', () => {
    const o = new FairOrder();
    o.add({ id: 'q1', userKey: 'a', seq: 2, turn: 0, resume: false });
    o.add({ id: 'q2', userKey: 'b', seq: 3, turn: 0, resume: false });
    expect(o.add({ id: 'r1', userKey: 'c', seq: 1, turn: 0, resume: true })).toBe(1);
    expect(o.waitingIds()).toEqual(['r1', 'q1', 'q2']);
    expect(o.remove('q1')).toBe(true);
    expect(o.remove('q1')).toBe(false);
    expect(o.position('q2')).toBe(2);
    expect(o.waitingCount).toBe(2);
    o.takeNext();
    expect(o.runningCount).toBe(1);
    expect(o.isWaiting('r1')).toBe(false);
    expect(o.position('q2')).toBe(1);
  });
});
