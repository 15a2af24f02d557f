// L-BFGS on Float32Array, counted in objective evaluations (every line-search trial is one).
//
// Line search: strong Wolfe (./line-search.ts, after Nocedal & Wright and torch's _strong_wolfe)
// with two departures that save evaluations:
// - the unit step is also taken when its loss is no worse than the worst of the last few
//   iterations' (nonmonotone acceptance, Grippo, Lampariello & Lucidi 1986), so the unit steps
//   torch takes blindly are taken here too, while real overshoots are backtracked;
// - a step made without curvature information (the first, or after a reset) only has to
//   decrease the loss: its pair then scales the next direction.
// The lowest point seen is returned, so uphill steps never cost the result.
//
// Projection: the objective may clamp x in place (the engine clamps the image to [0,1]). The
// optimiser notices which coordinates the clamp moved and holds them at their bound while the
// gradient pushes them outwards: the two-loop recursion runs on the free coordinates only and
// the direction is zero on the held ones, so gᵀd predicts the decrease the clamped step can
// really make; curvature pairs use the displacement between the points actually evaluated, not
// t·d. (torch's pairs ignore the clamp, which on a clamp-heavy problem stalls it.) For an
// objective that leaves x alone this is plain L-BFGS.
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
  /**
   * 'none': every step taken, as torch.optim.LBFGS without line_search_fn (unit steps; a step
   * without curvature pairs is min(1, 1/‖g‖₁), torch's first step).
   */
  lineSearch?: 'strong-wolfe' | 'none';
}

/** One evaluated point. pin[i] = +1/−1: the projection pulled coordinate i down/up (it sits at a bound). */
interface Point {
  x: Float32Array;
  g: Float32Array;
  pin: Int8Array;
  f: number;
}

/** Losses of the last iterations the nonmonotone acceptance compares against (Grippo et al. 1986). */
const NONMONOTONE_WINDOW = 5;
/** Curvature constant of the line search once the memory holds pairs. */
const C2 = 0.9;

const newPoint = (n: number): Point => ({ x: new Float32Array(n), g: new Float32Array(n), pin: new Int8Array(n), f: Infinity, req: new Float32Array(n) } as Point);

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
  const stats: string[] = [];

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
      (p as unknown as { req: Float32Array }).req[i] = base ? Math.fround(base.x[i] + t * d[i]) : x[i];
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
      const held = process.env.NOHOLD !== '1' && ((pin[i] > 0 && gi < 0) || (pin[i] < 0 && gi > 0));
      d[i] = held ? 0 : -gi;
      free[i] = held ? 0 : 1;
      if (held) heldCount++;
      else gAbsSum += Math.abs(gi);
    }
    if (gAbsSum === 0) return { gtd: 0, gAbsSum };
    if (useMemory) memory.applyInverseHessian(d, heldCount > 0 && process.env.NOMASK !== '1' ? free : undefined);
    let gtd = 0;
    for (let i = 0; i < n; i++) {
      const di = d[i];
      if (process.env.NOZERO !== '1' && ((pin[i] > 0 && di > 0) || (pin[i] < 0 && di < 0))) d[i] = 0;
      else gtd += g[i] * di;
    }
    return { gtd, gAbsSum };
  }

  let cur = newPoint(n);
  let trial = newPoint(n);
  let low = newPoint(n);
  await evaluate(cur, undefined, 0);
  const best = cur.x.slice();
  let bestLoss = cur.f;
  const recent: number[] = [];

  /** Makes p (evaluated from cur) the current point. */
  const moveTo = (p: Point) => {
    const ok = memory.update(process.env.TORCHS === '1' ? (p as unknown as { req: Float32Array }).req : p.x, cur.x, p.g, cur.g);
    if (process.env.DBG) { const m = memory as unknown as { gamma: number }; stats.push(`${ok ? '' : 'REJ '}${m.gamma.toExponential(1)}`); }
    recent.push(cur.f);
    if (recent.length > NONMONOTONE_WINDOW) recent.shift();
    if (p.f < bestLoss) {
      bestLoss = p.f;
      best.set(p.x);
    }
    return p;
  };

  while (evaluations < budget) {
    let { gtd, gAbsSum } = direction(cur, true);
    if (gAbsSum === 0) break;
    if (!(gtd < 0) && memory.size > 0) {
      // The quasi-Newton direction is not downhill (round-off in the pairs): start over.
      if (process.env.DBG) stats.push('RESET');
      memory.clear();
      ({ gtd, gAbsSum } = direction(cur, false));
    }
    if (!(gtd < 0)) break;
    // Without curvature information the step length is a guess: torch's first step.
    const t = memory.size === 0 ? Math.min(1, 1 / gAbsSum) : 1;

    if (lineSearch === 'none') {
      // torch.optim.LBFGS without line_search_fn: every step is taken, uphill or not.
      await evaluate(trial, cur, t);
      [cur, trial] = [moveTo(trial), cur];
      continue;
    }

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
    const outcome = await strongWolfe(phi, cur.f, gtd, t, dMax, {
      // Without curvature information a decrease is all the first step must bring: the pair it
      // yields rescales the next direction, which beats extrapolating along this one.
      c2: memory.size === 0 ? 1 : C2,
      // A unit step that overshoots a little is still a good quasi-Newton step (and its pair is
      // informative): accept it against the worst recent loss rather than backtrack.
      fRef: process.env.GUARD ? cur.f + Number(process.env.GUARD) * Math.abs(cur.f) : Math.max(...recent),
    });
    if (outcome === 'nonmonotone' || low.f < cur.f) {
      [cur, low] = [moveTo(low), cur];
    } else if (memory.size > 0) {
      memory.clear(); // no decrease along the quasi-Newton direction: retry along steepest descent
    } else {
      break; // not even steepest descent lowers the loss: nothing left to gain
    }
  }
  if (process.env.DBG) console.log('stats', stats.join(' '));
  return { x: best, loss: bestLoss, evaluations };
}
