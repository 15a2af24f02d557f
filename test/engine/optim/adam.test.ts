import { describe, expect, it } from 'vitest';
import { minimizeAdam } from '../../../src/engine/optim/adam.ts';
import type { Objective } from '../../../src/engine/optim/types.ts';
import { CancelledError } from '../../../src/engine/types.ts';

/** Σ scale·a_i (x_i − c_i)² in double; records every point it is called at. */
function quadratic(scale: number) {
  const a = [1, 3, 0.5, 10];
  const c = [0.2, -0.4, 0.9, 0.7];
  const loss = (x: ArrayLike<number>) => a.reduce((s, ai, i) => s + scale * ai * (x[i] - c[i]) ** 2, 0);
  const grad = (x: ArrayLike<number>) => a.map((ai, i) => 2 * scale * ai * (x[i] - c[i]));
  const points: number[][] = [];
  const f: Objective = async (x) => {
    points.push([...x]);
    return { loss: loss(x), grad: Float32Array.from(grad(x)) };
  };
  return { f, loss, grad, points };
}

/** Adam as written in Kingma & Ba / the torch.optim.Adam docs: bias-corrected m̂, v̂, θ −= lr·m̂/(√v̂ + ε). */
function referenceAdam(grad: (x: number[]) => number[], x0: number[], steps: number, lr: number, project?: (x: number[]) => void) {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const x = [...x0];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  const trajectory = [[...x]];
  for (let t = 1; t <= steps; t++) {
    const g = grad(x);
    for (let i = 0; i < x.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2;
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      x[i] = x[i] - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
    project?.(x);
    trajectory.push([...x]);
  }
  return trajectory;
}

describe('minimizeAdam', () => {
  const x0 = [0.9, 0.1, 0.3, 0.4];

  for (const scale of [1, 1e-8]) {
    // At scale 1e-8, √v̂ is about ε, so where ε is added matters.
    it(`follows torch.optim.Adam for 5 steps (loss scale ${scale})`, async () => {
      const q = quadratic(scale);
      const r = await minimizeAdam(q.f, Float32Array.from(x0), { steps: 5, lr: 0.05 });
      const expected = referenceAdam(q.grad, x0, 5, 0.05);
      expect(q.points).toHaveLength(6);
      expect(r.evaluations).toBe(6);
      q.points.forEach((p, k) => p.forEach((v, i) => expect(Math.abs(v - expected[k][i])).toBeLessThan(1e-6)));
      expect(r.loss).toBe(q.loss(r.x));
      expect(Math.abs(r.loss - q.loss(expected[5]))).toBeLessThan(1e-6 * q.loss(x0));
    });
  }

  it('projects after every step, and only then evaluates', async () => {
    const q = quadratic(1);
    let projections = 0;
    const clamp = (x: { length: number; [i: number]: number }) => {
      for (let i = 0; i < x.length; i++) x[i] = Math.min(0.5, Math.max(0, x[i]));
    };
    const r = await minimizeAdam(q.f, Float32Array.from(x0), {
      steps: 5,
      lr: 0.3,
      project: (x) => {
        projections++;
        clamp(x);
      },
    });
    expect(projections).toBe(5);
    const expected = referenceAdam(q.grad, x0, 5, 0.3, clamp);
    q.points.slice(1).forEach((p) => p.forEach((v) => expect(v >= 0 && v <= 0.5).toBe(true)));
    q.points.forEach((p, k) => p.forEach((v, i) => expect(Math.abs(v - expected[k][i])).toBeLessThan(1e-6)));
    expect([...r.x]).toEqual(q.points[5].map(Math.fround));
  });

  it('makes steps + 1 evaluations and leaves x0 alone', async () => {
    for (const steps of [0, 1, 7]) {
      const q = quadratic(1);
      const start = Float32Array.from(x0);
      const r = await minimizeAdam(q.f, start, { steps, lr: 0.01 });
      expect(q.points).toHaveLength(steps + 1);
      expect(r.evaluations).toBe(steps + 1);
      expect([...start]).toEqual(x0.map(Math.fround));
    }
  });

  it('refuses NaN results and bad options with clear errors', async () => {
    const nan: Objective = async (x) => ({ loss: x[0] < 0.5 ? NaN : 1, grad: Float32Array.of(1) });
    await expect(minimizeAdam(nan, Float32Array.of(1), { steps: 3, lr: 1 })).rejects.toThrow(/Adam: the objective returned loss NaN at evaluation 1/);
    const nanGrad: Objective = async () => ({ loss: 1, grad: Float32Array.of(NaN) });
    await expect(minimizeAdam(nanGrad, Float32Array.of(1), { steps: 3, lr: 1 })).rejects.toThrow(/gradient with NaN/);
    const q = quadratic(1);
    await expect(minimizeAdam(q.f, Float32Array.from(x0), { steps: -1, lr: 1 })).rejects.toThrow(/steps must be a whole number/);
    await expect(minimizeAdam(q.f, Float32Array.from(x0), { steps: 1, lr: 0 })).rejects.toThrow(/lr must be a positive number/);
  });

  it('stops on abort: before the next evaluation, or with the objective’s own error', async () => {
    const q = quadratic(1);
    const controller = new AbortController();
    let calls = 0;
    const f: Objective = async (x) => {
      if (++calls === 3) controller.abort(new CancelledError());
      return q.f(x);
    };
    await expect(minimizeAdam(f, Float32Array.from(x0), { steps: 10, lr: 0.1, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toBe(3);
    const throwing: Objective = async () => {
      throw new CancelledError();
    };
    await expect(minimizeAdam(throwing, Float32Array.from(x0), { steps: 10, lr: 0.1 })).rejects.toBeInstanceOf(CancelledError);
  });
});
