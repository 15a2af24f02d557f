import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from '../../../src/engine/optim/lbfgs.ts';
import type { Objective } from '../../../src/engine/optim/types.ts';
import { CancelledError } from '../../../src/engine/types.ts';
import { runTorchLbfgs } from '../../../scripts/lib/optim/torch-lbfgs.ts';
import { boxConstrained, COMPARISON_PROBLEMS, counted, illConditionedQuadratic, rosenbrock } from '../../../scripts/lib/optim/objectives.ts';

const BUDGETS = [20, 50, 100];
/**
 * Where both take unit steps the two run the same iteration and differ only by round-off (torch's
 * two-loop is float32, ours float64). On ill-conditioned problems that difference grows to about
 * 1e-4 of the loss within 20 evaluations (and to several % within 100: the iteration is chaotic).
 * Anything beyond this allowance is a real difference.
 */
const ROUNDOFF = 2e-4;

describe('minimizeLbfgs against the torch.optim.LBFGS port (lr 1, history 100)', () => {
  for (const problem of COMPARISON_PROBLEMS) {
    it(`${problem.name}: as low a loss for the same evaluation budget`, async () => {
      for (const maxEvaluations of BUDGETS) {
        const f = counted(problem.f);
        const seen: number[] = [];
        const recording: Objective = async (x) => {
          const r = await f.f(x);
          seen.push(r.loss);
          return r;
        };
        const x0 = problem.x0();
        const ours = await minimizeLbfgs(recording, x0, { maxEvaluations });
        const torch = await runTorchLbfgs(problem.f, problem.x0(), { maxEvaluations });

        expect(ours.loss, `budget ${maxEvaluations}`).toBeLessThanOrEqual(torch.loss + 1e-9 + ROUNDOFF * Math.abs(torch.loss));
        expect(f.calls()).toBeLessThanOrEqual(maxEvaluations + 1);
        expect(ours.evaluations).toBe(f.calls());
        // The best point seen, and really the point that loss was evaluated at.
        expect(ours.loss).toBe(Math.min(...seen));
        expect((await problem.f(ours.x.slice())).loss).toBe(ours.loss);
        expect([...x0]).toEqual([...problem.x0()]); // the caller's x0 is left alone
      }
    });
  }

  it('finds the box-constrained optimum where the clamp matters and torch cannot', async () => {
    const problem = boxConstrained(500);
    // Reference optimum: projected gradient descent with step 1/L, run to convergence.
    const x = problem.x0();
    let optimum = Infinity;
    for (let k = 0; k < 4000; k++) {
      const { loss, grad } = await problem.f(x);
      optimum = Math.min(optimum, loss);
      for (let i = 0; i < x.length; i++) x[i] -= grad[i] / 140;
    }
    const torch = await runTorchLbfgs(problem.f, problem.x0(), { maxEvaluations: 100 });
    expect(torch.loss - optimum).toBeGreaterThan(1e-2 * optimum); // torch's pairs ignore the clamp and it stalls
    // The projected way from the start, and the default once it notices torch's way stalling.
    for (const [lineSearch, maxEvaluations] of [
      ['strong-wolfe', 30],
      ['guarded', 100],
    ] as const) {
      const ours = await minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations, lineSearch });
      expect(ours.loss - optimum, lineSearch).toBeLessThan(1e-6 * optimum);
      expect(ours.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it("'strong-wolfe' also matches or beats torch on every problem", async () => {
    for (const problem of COMPARISON_PROBLEMS) {
      for (const maxEvaluations of BUDGETS) {
        const ours = await minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations, lineSearch: 'strong-wolfe' });
        const torch = await runTorchLbfgs(problem.f, problem.x0(), { maxEvaluations });
        expect(ours.loss, `${problem.name}, budget ${maxEvaluations}`).toBeLessThanOrEqual(torch.loss + 1e-9 + ROUNDOFF * Math.abs(torch.loss));
      }
    }
  });
});

describe('minimizeLbfgs', () => {
  it("lineSearch 'none' runs torch's iteration", async () => {
    // Same losses up to round-off (torch's two-loop is float32), until chaos amplifies it.
    for (const [problem, evaluations, tolerance] of [
      [rosenbrock(100), 20, 1e-5],
      [illConditionedQuadratic(1000, 1e4), 40, 1e-4],
    ] as const) {
      const ours: number[] = [];
      const torch: number[] = [];
      const rec =
        (out: number[]): Objective =>
        async (x) => {
          const r = await problem.f(x);
          out.push(r.loss);
          return r;
        };
      await minimizeLbfgs(rec(ours), problem.x0(), { maxEvaluations: evaluations - 1, lineSearch: 'none' });
      await runTorchLbfgs(rec(torch), problem.x0(), { maxEvaluations: evaluations - 1 });
      expect(ours).toHaveLength(evaluations);
      expect(torch).toHaveLength(evaluations);
      for (let k = 0; k < evaluations; k++) expect(Math.abs(ours[k] - torch[k]), `${problem.name} #${k}`).toBeLessThan(tolerance * torch[k]);
    }
  });

  it("backtracks a unit step that blows the loss up, where torch's iteration takes it", async () => {
    // √(1 + x²) from x = 10: the first pair sees almost no curvature, so the next unit step
    // lands near x = −850, about 90× the loss.
    const run = async (lineSearch: 'guarded' | 'none') => {
      const losses: number[] = [];
      const f: Objective = async (x) => {
        const v = Math.sqrt(1 + x[0] * x[0]);
        losses.push(v);
        return { loss: v, grad: Float32Array.of(x[0] / v) };
      };
      const r = await minimizeLbfgs(f, Float32Array.of(10), { maxEvaluations: 8, lineSearch });
      return { losses, best: r.loss };
    };
    const guarded = await run('guarded');
    const none = await run('none');
    expect(guarded.losses[2]).toBeGreaterThan(50 * guarded.losses[1]); // the blow-up is evaluated…
    expect(guarded.losses[3]).toBeLessThan(guarded.losses[2]); // …and backtracked from
    expect(guarded.best).toBeLessThan(0.2 * none.best);
    const torch = await runTorchLbfgs(async (x) => {
      const v = Math.sqrt(1 + x[0] * x[0]);
      return { loss: v, grad: Float32Array.of(x[0] / v) };
    }, Float32Array.of(10), { maxEvaluations: 8 });
    expect(Math.abs(torch.loss - none.best)).toBeLessThan(1e-6 * none.best); // 'none' is torch's iteration
  });

  it('keeps improving past 100 stored pairs (the history ring wraps)', async () => {
    const problem = illConditionedQuadratic(300, 1e3, 5);
    const at120 = await minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations: 120 });
    const at300 = await minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations: 300 });
    expect(at300.loss).toBeLessThan(1e-3 * at120.loss);
    // Same with a tiny history that wraps every few iterations.
    const small = await minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations: 300, history: 3 });
    expect(small.loss).toBeLessThan(1e-2 * at120.loss);
  });

  it('returns at once when the gradient vanishes at the start', async () => {
    const f = counted(async (x) => ({ loss: 7, grad: new Float32Array(x.length) }));
    const r = await minimizeLbfgs(f.f, Float32Array.of(1, 2, 3), { maxEvaluations: 50 });
    expect(r).toEqual({ x: Float32Array.of(1, 2, 3), loss: 7, evaluations: 1 });
    expect(f.calls()).toBe(1);
  });

  it('with maxEvaluations 0 only evaluates x0, as projected by f', async () => {
    const f = boxConstrained(10).f;
    const r = await minimizeLbfgs(f, new Float32Array(10).fill(2), { maxEvaluations: 0 });
    expect(r.evaluations).toBe(1);
    expect([...r.x]).toEqual(new Array(10).fill(1));
  });

  it('refuses a NaN loss or gradient with a clear error', async () => {
    const nanLoss: Objective = async (x) => ({ loss: x[0] > 0.5 ? NaN : x[0] ** 2, grad: Float32Array.of(2 * x[0]) });
    await expect(minimizeLbfgs(nanLoss, Float32Array.of(1), { maxEvaluations: 10 })).rejects.toThrow(/loss NaN at evaluation 0/);
    const nanGrad: Objective = async (x) => ({ loss: -x[0], grad: Float32Array.of(x[0] < 1.5 ? -1 : NaN) });
    await expect(minimizeLbfgs(nanGrad, Float32Array.of(1), { maxEvaluations: 10 })).rejects.toThrow(/gradient with NaN or infinite entries at evaluation 1/);
    const short: Objective = async () => ({ loss: 1, grad: new Float32Array(1) });
    await expect(minimizeLbfgs(short, new Float32Array(3), { maxEvaluations: 10 })).rejects.toThrow(/gradient of length 1 for 3 parameters/);
  });

  it('refuses bad options', async () => {
    const f = rosenbrock(2).f;
    await expect(minimizeLbfgs(f, new Float32Array(2), { maxEvaluations: -1 })).rejects.toThrow(/maxEvaluations must be a whole number/);
    await expect(minimizeLbfgs(f, new Float32Array(2), { maxEvaluations: 2.5 })).rejects.toThrow(/maxEvaluations/);
    await expect(minimizeLbfgs(f, new Float32Array(2), { maxEvaluations: 5, history: 0 })).rejects.toThrow(/history must be/);
  });

  it('lets the objective’s CancelledError through and evaluates no more', async () => {
    const problem = rosenbrock(10);
    let calls = 0;
    const f: Objective = async (x) => {
      if (++calls === 4) throw new CancelledError();
      return problem.f(x);
    };
    await expect(minimizeLbfgs(f, problem.x0(), { maxEvaluations: 50 })).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toBe(4);
  });

  it('stops before the next evaluation once the signal is aborted', async () => {
    const problem = rosenbrock(10);
    const controller = new AbortController();
    let calls = 0;
    const f: Objective = async (x) => {
      if (++calls === 5) controller.abort(new CancelledError());
      return problem.f(x);
    };
    await expect(minimizeLbfgs(f, problem.x0(), { maxEvaluations: 50, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toBe(5);
    await expect(minimizeLbfgs(problem.f, problem.x0(), { maxEvaluations: 5, signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});
