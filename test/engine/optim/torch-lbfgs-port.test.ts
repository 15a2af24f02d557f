// Checks of the torch.optim.LBFGS port in scripts/lib/optim against behaviour documented in torch's source.
import { describe, expect, it } from 'vitest';
import type { Objective } from '../../../src/engine/optim/types.ts';
import { runTorchLbfgs, TorchLBFGS } from '../../../scripts/lib/optim/torch-lbfgs.ts';
import { rosenbrock } from '../../../scripts/lib/optim/objectives.ts';

describe('TorchLBFGS port', () => {
  it('first steps along −g with t = min(1, 1/‖g‖₁)', async () => {
    const problem = rosenbrock(4);
    const points: Float32Array[] = [];
    const f: Objective = async (x) => {
      points.push(x.slice());
      return problem.f(x);
    };
    await runTorchLbfgs(f, problem.x0(), { maxEvaluations: 1 });
    const { grad } = await problem.f(problem.x0());
    const t = Math.min(1, 1 / grad.reduce((a, v) => a + Math.abs(v), 0));
    points[1].forEach((v, i) => expect(v).toBeCloseTo(problem.x0()[i] - t * grad[i], 6));
  });

  it('evaluates 20 times per step() with max_iter 20 and keeps its state across calls', async () => {
    const problem = rosenbrock(20);
    const param = problem.x0();
    const optimizer = new TorchLBFGS(param);
    let calls = 0;
    const closure = () => {
      calls++;
      return problem.f(param);
    };
    await optimizer.step(closure);
    expect(calls).toBe(20);
    expect(optimizer.state.nIter).toBe(20);
    await optimizer.step(closure);
    expect(calls).toBe(40);
    expect(optimizer.state.nIter).toBe(40);
    expect(optimizer.state.oldDirs!.length).toBeGreaterThan(20);
  });

  it('the budgeted driver stops at exactly 1 + maxEvaluations closure calls', async () => {
    const problem = rosenbrock(6);
    for (const maxEvaluations of [0, 7, 33]) {
      const r = await runTorchLbfgs(problem.f, problem.x0(), { maxEvaluations });
      expect(r.evaluations).toBe(maxEvaluations + 1);
    }
  });
});
