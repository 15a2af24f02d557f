import { describe, expect, it } from 'vitest';
import { cubicInterpolate, strongWolfe, type LineTrial } from '../../../src/engine/optim/line-search.ts';

describe('cubicInterpolate', () => {
  it('finds the minimiser of a cubic exactly from two points with slopes', () => {
    // φ(t) = t³ − 3t: minimum at t = 1.
    const phi = (t: number) => t ** 3 - 3 * t;
    const dphi = (t: number) => 3 * t * t - 3;
    expect(cubicInterpolate(0, phi(0), dphi(0), 2, phi(2), dphi(2))).toBeCloseTo(1, 12);
    expect(cubicInterpolate(2, phi(2), dphi(2), 0.5, phi(0.5), dphi(0.5))).toBeCloseTo(1, 12);
  });

  it('finds the minimiser of a quadratic and clamps it to the bounds', () => {
    const phi = (t: number) => (t - 0.3) ** 2;
    const dphi = (t: number) => 2 * (t - 0.3);
    expect(cubicInterpolate(0, phi(0), dphi(0), 1, phi(1), dphi(1))).toBeCloseTo(0.3, 12);
    expect(cubicInterpolate(0, phi(0), dphi(0), 1, phi(1), dphi(1), [0.5, 2])).toBe(0.5);
  });

  it('falls back to the middle of the bounds when the cubic has no minimiser', () => {
    // The cubic through (0, 0, −1) and (1, −2/3, −1) is monotone (d1 = 0, d1² < g1·g2).
    expect(cubicInterpolate(0, 0, -1, 1, -2 / 3, -1)).toBe(0.5);
    expect(cubicInterpolate(0, 0, -1, 1, -2 / 3, -1, [2, 4])).toBe(3);
  });
});

/** Records the trials of a 1-D function. */
function line(phi: (t: number) => number, dphi: (t: number) => number) {
  const trials: { t: number; f: number; gtd: number }[] = [];
  const fn = async (t: number): Promise<LineTrial> => {
    const p = { t, f: phi(t), gtd: dphi(t) };
    trials.push(p);
    return p;
  };
  return { fn, trials };
}

describe('strongWolfe', () => {
  const c1 = 1e-4;
  const c2 = 0.9;
  const satisfiesWolfe = (p: { t: number; f: number; gtd: number }, f0: number, g0: number) =>
    p.f <= f0 + c1 * p.t * g0 && Math.abs(p.gtd) <= -c2 * g0;

  it('accepts a good first step with one trial', async () => {
    const { fn, trials } = line(
      (t) => (t - 1) ** 2,
      (t) => 2 * (t - 1),
    );
    expect(await strongWolfe(fn, 1, -2, 1, 1)).toBe('wolfe');
    expect(trials).toHaveLength(1);
  });

  it('extrapolates from a tiny step until the strong Wolfe conditions hold', async () => {
    const phi = (t: number) => (t - 50) ** 2;
    const dphi = (t: number) => 2 * (t - 50);
    const { fn, trials } = line(phi, dphi);
    expect(await strongWolfe(fn, phi(0), dphi(0), 0.01, 1)).toBe('wolfe');
    expect(trials.length).toBeGreaterThan(1);
    expect(satisfiesWolfe(trials[trials.length - 1], phi(0), dphi(0))).toBe(true);
  });

  it('zooms into a bracket after overshooting', async () => {
    // A steep valley: t = 1 overshoots far past the minimum at 0.05.
    const phi = (t: number) => Math.cosh(40 * (t - 0.05));
    const dphi = (t: number) => 40 * Math.sinh(40 * (t - 0.05));
    const { fn, trials } = line(phi, dphi);
    expect(await strongWolfe(fn, phi(0), dphi(0), 1, 1)).toBe('wolfe');
    const last = trials[trials.length - 1];
    expect(satisfiesWolfe(last, phi(0), dphi(0))).toBe(true);
    expect(last.t).toBeLessThan(0.1);
  });

  it('takes an overshooting first step when the nonmonotone reference allows it', async () => {
    const phi = (t: number) => (t - 0.4) ** 2;
    const dphi = (t: number) => 2 * (t - 0.4);
    const monotone = line(phi, dphi);
    await strongWolfe(monotone.fn, phi(0), dphi(0), 1, 1);
    expect(monotone.trials.length).toBeGreaterThan(1); // φ(1) = 0.36 > φ(0) − … : must backtrack
    const relaxed = line(phi, dphi);
    expect(await strongWolfe(relaxed.fn, phi(0), dphi(0), 1, 1, { fRef: 0.5 })).toBe('nonmonotone');
    expect(relaxed.trials).toHaveLength(1);
  });

  it('stops when out of budget', async () => {
    let calls = 0;
    const fn = async (t: number) => (calls++ < 2 ? { f: (t - 100) ** 2, gtd: 2 * (t - 100) } : undefined);
    expect(await strongWolfe(fn, 1e4, -200, 1e-3, 1)).toBe('budget');
    expect(calls).toBe(3);
  });
});
