// L-BFGS on Float32Array with a strong-Wolfe line search, counted in objective evaluations (every
// line-search trial is one). The objective may project x in place (the engine clamps the image
// to [0,1]); the optimiser notices which coordinates the projection moved and treats them as
// held at their bound while the descent direction pushes them outwards:
// - the direction is computed from the gradient of the free coordinates and then zeroed on the
//   held ones, so gᵀd predicts the decrease the projected step can really make (a clamped
//   coordinate's gradient would otherwise promise a decrease that never comes, fail the
//   curvature test and waste trials);
// - curvature pairs use the displacement between the points actually evaluated, not t·d.
// For an unconstrained objective (f leaves x alone) this is plain L-BFGS.
import { EngineError } from '../types.ts';
import { LbfgsMemory } from './lbfgs-memory.ts';
import { strongWolfe, type LineTrial } from './line-search.ts';
import { callObjective, checkCount, nonFiniteGradient } from './objective-call.ts';
import type { MinimizeResult, Objective } from './types.ts';

export interface LbfgsOptions {
  /** Evaluations after the initial one; every line-search trial counts. */
  maxEvaluations: number;
  /** Curvature pairs kept (default 100, as torch.optim.LBFGS). */
  history?: number;
  signal?: AbortSignal;
  /** 'none': fixed unit steps, as torch.optim.LBFGS without line_search_fn. */
  lineSearch?: 'strong-wolfe' | 'none';
}

/** One evaluated point. pin[i] = +1/−1: the projection pulled coordinate i down/up (it sits at a bound). */
interface Point {
  x: Float32Array;
  g: Float32Array;
  pin: Int8Array;
  f: number;
}

const FIRST_STEP_C2 = Number(process.env.C2 ?? 1);
const LATER_C2 = Number(process.env.C2L ?? 0.9);
const NM = Number(process.env.NM ?? 0);
const MASK = process.env.MASK === '1';

const newPoint = (n: number): Point => ({ x: new Float32Array(n), g: new Float32Array(n), pin: new Int8Array(n), f: Infinity });

/**
 * Evaluates x0, then at most maxEvaluations more times. Returns the point with the lowest loss
 * seen. Stops early only when the (free) gradient vanishes or no step along steepest descent
 * lowers the loss any more.
 */
export async function minimizeLbfgs(f: Objective, x0: Float32Array, o: LbfgsOptions): Promise<MinimizeResult> {
  const { maxEvaluations, history = 100, signal, lineSearch = 'strong-wolfe' } = o;
  checkCount('L-BFGS', 'maxEvaluations', maxEvaluations);
  if (!Number.isInteger(history) || history < 1) throw new EngineError(`L-BFGS: history must be a whole number ≥ 1, got ${history}`);
  if (lineSearch !== 'strong-wolfe' && lineSearch !== 'none') throw new EngineError(`L-BFGS: unknown line search "${String(lineSearch)}"`);

  const n = x0.length;
  const budget = maxEvaluations + 1;
  const memory = new LbfgsMemory(n, history);
  const d = new Float64Array(n);
  const free = new Uint8Array(n);
  let evaluations = 0;

  /** Evaluates p at base + t·d (x0 when there is no base) and returns φ'(t) along the projected path. */
  async function evaluate(p: Point, base: Point | undefined, t: number): Promise<number> {
    const x = p.x;
    if (base) for (let i = 0; i < n; i++) x[i] = base.x[i] + t * d[i];
    else x.set(x0);
    const { loss, grad } = await callObjective(f, x, signal, 'L-BFGS', evaluations);
    evaluations++;
    p.f = loss;
    let gtd = 0;
    let check = 0;
    const { g, pin } = p;
    for (let i = 0; i < n; i++) {
      const gi = grad[i];
      check += gi * 0; // NaN iff some entry is NaN or ±Infinity
      g[i] = gi;
      const requested = base ? Math.fround(base.x[i] + t * d[i]) : x0[i];
      const xi = x[i];
      if (xi !== requested) {
        pin[i] = requested > xi ? 1 : -1;
      } else {
        // A held coordinate (d = 0) keeps its bound; a moving one contributes to φ'(t).
        pin[i] = base && d[i] === 0 ? base.pin[i] : 0;
        gtd += gi * d[i];
      }
    }
    if (check !== 0) throw nonFiniteGradient('L-BFGS', evaluations - 1);
    return gtd;
  }

  /** d ← the search direction at p; returns gᵀd and ‖g_free‖₁ (0: stationary on the free set). */
  function direction(p: Point, useMemory: boolean): { gtd: number; gAbsSum: number } {
    const { g, pin } = p;
    let gAbsSum = 0;
    let heldCount = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const held = (pin[i] > 0 && gi < 0) || (pin[i] < 0 && gi > 0);
      d[i] = held ? 0 : -gi;
      free[i] = held ? 0 : 1;
      if (held) heldCount++;
      else gAbsSum += Math.abs(gi);
    }
    if (gAbsSum === 0) return { gtd: 0, gAbsSum };
    if (useMemory) memory.applyInverseHessian(d, heldCount > 0 && MASK ? free : undefined);
    let gtd = 0;
    for (let i = 0; i < n; i++) {
      const di = d[i];
      if ((pin[i] > 0 && di > 0) || (pin[i] < 0 && di < 0)) d[i] = 0;
      else gtd += g[i] * di;
    }
    return { gtd, gAbsSum };
  }

  let cur = newPoint(n);
  let trial = newPoint(n);
  await evaluate(cur, undefined, 0);

  if (lineSearch === 'none') return fixedSteps();

  let low = newPoint(n);
  const recent: number[] = [];
  const best = cur.x.slice();
  let bestLoss = cur.f;
  while (evaluations < budget) {
    let { gtd, gAbsSum } = direction(cur, true);
    if (gAbsSum === 0) break;
    if (!(gtd < 0) && memory.size > 0) {
      // The quasi-Newton direction is not downhill (float32 round-off in the pairs): start over.
      memory.clear();
      ({ gtd, gAbsSum } = direction(cur, false));
    }
    if (!(gtd < 0)) break;
    // Without curvature information the step length is a guess: torch's first step.
    const t = memory.size === 0 ? Math.min(1, 1 / gAbsSum) : 1;
    let dMax = 0;
    for (let i = 0; i < n; i++) dMax = Math.max(dMax, Math.abs(d[i]));

    low.f = Infinity;
    const phi = async (step: number): Promise<LineTrial | undefined> => {
      if (evaluations >= budget) return undefined;
      const slope = await evaluate(trial, cur, step);
      const result = { f: trial.f, gtd: slope };
      if (trial.f < low.f) [trial, low] = [low, trial];
      return result;
    };
    // Without curvature information a decrease is all we ask of the first step: the pair it
    // yields rescales the next direction, which beats extrapolating along this one.
    recent.push(cur.f);
    if (recent.length > NM) recent.shift();
    const fRef = NM > 0 ? Math.max(...recent) : undefined;
    const outcome = await strongWolfe(phi, cur.f, gtd, t, dMax, { c2: memory.size === 0 ? FIRST_STEP_C2 : LATER_C2, fRef });
    if (outcome === 'nonmonotone') {
      memory.update(low.x, cur.x, low.g, cur.g);
      [cur, low] = [low, cur];
      if (cur.f < bestLoss) { bestLoss = cur.f; best.set(cur.x); }
      continue;
    }
    if (low.f < cur.f) {
      memory.update(low.x, cur.x, low.g, cur.g);
      [cur, low] = [low, cur];
      if (cur.f < bestLoss) { bestLoss = cur.f; best.set(cur.x); }
    } else if (memory.size > 0) {
      memory.clear(); // no decrease along the quasi-Newton direction: retry along steepest descent
    } else {
      break; // not even steepest descent lowers the loss: nothing left to gain
    }
  }
  return { x: best, loss: bestLoss, evaluations };

  // torch.optim.LBFGS's behaviour without a line search: every step is taken, uphill or not.
  async function fixedSteps(): Promise<MinimizeResult> {
    const best = cur.x.slice();
    let bestLoss = cur.f;
    while (evaluations < budget) {
      let { gtd, gAbsSum } = direction(cur, true);
      if (gAbsSum === 0) break;
      if (!(gtd < 0) && memory.size > 0) {
        memory.clear();
        ({ gtd, gAbsSum } = direction(cur, false));
      }
      if (!(gtd < 0)) break;
      await evaluate(trial, cur, memory.size === 0 ? Math.min(1, 1 / gAbsSum) : 1);
      memory.update(trial.x, cur.x, trial.g, cur.g);
      [cur, trial] = [trial, cur];
      if (cur.f < bestLoss) {
        bestLoss = cur.f;
        best.set(cur.x);
      }
    }
    return { x: best, loss: bestLoss, evaluations };
  }
}
