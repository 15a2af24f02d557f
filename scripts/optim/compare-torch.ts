// Prints our L-BFGS against the torch.optim.LBFGS port on the test objectives:
//   npx tsx scripts/optim/compare-torch.ts
import { minimizeLbfgs } from '../../src/engine/optim/lbfgs.ts';
import { runTorchLbfgs } from '../lib/optim/torch-lbfgs.ts';
import { COMPARISON_PROBLEMS } from '../lib/optim/objectives.ts';

const budgets = process.argv.slice(2).map(Number).filter((b) => b > 0);
console.log('problem'.padEnd(28), 'budget', 'ours'.padStart(12), 'ours(none)'.padStart(12), 'ours(sw)'.padStart(15), 'torch'.padStart(12), 'torch+wolfe'.padStart(12));
for (const p of COMPARISON_PROBLEMS) {
  for (const maxEvaluations of budgets.length ? budgets : [20, 50, 100]) {
    const ours = await minimizeLbfgs(p.f, p.x0(), { maxEvaluations });
    const sw = await minimizeLbfgs(p.f, p.x0(), { maxEvaluations, lineSearch: 'strong-wolfe' });
    const none = await minimizeLbfgs(p.f, p.x0(), { maxEvaluations, lineSearch: 'none' });
    const torch = await runTorchLbfgs(p.f, p.x0(), { maxEvaluations });
    const wolfe = await runTorchLbfgs(p.f, p.x0(), { maxEvaluations, lineSearchFn: 'strong_wolfe' });
    const fmt = (v: number) => v.toExponential(6).padStart(15);
    console.log(p.name.padEnd(28), String(maxEvaluations).padStart(6), fmt(ours.loss), fmt(none.loss), fmt(sw.loss), fmt(torch.loss), fmt(wolfe.loss), ours.evaluations < maxEvaluations + 1 ? `(ours stopped at ${ours.evaluations})` : '');
  }
}
