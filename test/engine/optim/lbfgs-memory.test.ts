import { describe, expect, it } from 'vitest';
import { LbfgsMemory } from '../../../src/engine/optim/lbfgs-memory.ts';
import { random } from '../../../scripts/lib/optim/objectives.ts';

/** The textbook two-loop recursion over a plain list of pairs (oldest first), in double. */
function naiveTwoLoop(pairs: { s: number[]; y: number[]; rho: number }[], gamma: number, g: number[]): number[] {
  const q = g.map((v) => -v);
  const dot = (a: number[], b: number[]) => a.reduce((acc, v, i) => acc + v * b[i], 0);
  const alpha: number[] = [];
  for (let i = pairs.length - 1; i >= 0; i--) {
    alpha[i] = pairs[i].rho * dot(pairs[i].s, q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * pairs[i].y[j];
  }
  for (let j = 0; j < q.length; j++) q[j] *= gamma;
  for (let i = 0; i < pairs.length; i++) {
    const beta = pairs[i].rho * dot(pairs[i].y, q);
    for (let j = 0; j < q.length; j++) q[j] += (alpha[i] - beta) * pairs[i].s[j];
  }
  return q;
}

/** Feeds `count` random pairs with positive curvature to the memory; returns them as stored (float32) values. */
function fill(memory: LbfgsMemory, count: number, seed: number) {
  const n = memory.n;
  const rnd = random(seed);
  const pairs: { s: number[]; y: number[]; rho: number }[] = [];
  let gamma = 1;
  const zero = new Float32Array(n);
  for (let k = 0; k < count; k++) {
    const s = Float32Array.from({ length: n }, () => rnd() - 0.5);
    // y = A s for a random diagonal A > 0, plus noise: sᵀy > 0.
    const y = Float32Array.from(s, (v, i) => v * (1 + 3 * ((i * 7 + k) % 5)) + 0.05 * (rnd() - 0.5));
    expect(memory.update(s, zero, y, zero)).toBe(true);
    const ys = s.reduce((a, v, i) => a + v * y[i], 0);
    pairs.push({ s: [...s], y: [...y], rho: 1 / ys });
    gamma = ys / y.reduce((a, v) => a + v * v, 0);
  }
  return { pairs, gamma };
}

describe('LbfgsMemory', () => {
  it('matches the textbook two-loop recursion, including after the ring wraps past 100 pairs', () => {
    for (const [capacity, pushes] of [
      [100, 100],
      [100, 137],
      [3, 8],
    ]) {
      const n = 40;
      const memory = new LbfgsMemory(n, capacity);
      const { pairs, gamma } = fill(memory, pushes, capacity + pushes);
      expect(memory.size).toBe(Math.min(capacity, pushes));
      const kept = pairs.slice(-capacity);
      const rnd = random(99);
      const g = Array.from({ length: n }, () => rnd() - 0.5);
      const q = Float64Array.from(g, (v) => -v);
      memory.applyInverseHessian(q);
      const expected = naiveTwoLoop(kept, gamma, g);
      const scale = Math.max(...expected.map(Math.abs));
      for (let j = 0; j < n; j++) expect(Math.abs(q[j] - expected[j])).toBeLessThan(1e-9 * scale);
    }
  });

  it('satisfies the secant equation H·y = s for the newest pair', () => {
    const n = 30;
    const memory = new LbfgsMemory(n, 5);
    const { pairs } = fill(memory, 9, 5);
    const newest = pairs[pairs.length - 1];
    const q = Float64Array.from(newest.y, (v) => -v);
    memory.applyInverseHessian(q);
    for (let j = 0; j < n; j++) expect(-q[j]).toBeCloseTo(newest.s[j], 5);
  });

  it('refuses pairs without positive curvature and keeps the older ones', () => {
    const n = 10;
    const memory = new LbfgsMemory(n, 4);
    fill(memory, 2, 3);
    const zero = new Float32Array(n);
    const s = new Float32Array(n).fill(1);
    expect(memory.update(s, zero, Float32Array.from(s, (v) => -v), zero)).toBe(false);
    expect(memory.update(s, zero, zero, zero)).toBe(false);
    expect(memory.update(zero, zero, s, zero)).toBe(false);
    expect(memory.size).toBe(2);
    memory.clear();
    expect(memory.size).toBe(0);
    const q = new Float64Array(n).fill(-2);
    memory.applyInverseHessian(q);
    expect([...q]).toEqual(new Array(n).fill(-2)); // empty memory, reset scale: H = I
  });

  it('with a mask, runs the recursion on the free coordinates only', () => {
    const n = 24;
    const memory = new LbfgsMemory(n, 6);
    const { pairs, gamma } = fill(memory, 6, 8);
    const free = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const rnd = random(4);
    const g = Array.from({ length: n }, (_, i) => (free[i] ? rnd() - 0.5 : 0));
    const q = Float64Array.from(g, (v) => -v);
    memory.applyInverseHessian(q, free);
    // Same as the textbook recursion on pairs restricted to the free set (curvature scalars unchanged).
    const restricted = pairs.map((p) => ({ s: p.s.map((v, i) => v * free[i]), y: p.y.map((v, i) => v * free[i]), rho: p.rho }));
    const expected = naiveTwoLoop(restricted, gamma, g);
    for (let j = 0; j < n; j++) {
      if (!free[j]) expect(q[j]).toBe(0);
      expect(q[j]).toBeCloseTo(expected[j], 9);
    }
  });
});
