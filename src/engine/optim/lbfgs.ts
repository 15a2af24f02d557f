// L-BFGS on Float32Array, counted in objective evaluations (every line-search trial is one).
//
// The objective may clamp x in place (the engine clamps the image to [0,1]). Two ways to live
// with that clamp, both measured against a port of torch.optim.LBFGS (scripts/lib/optim/torch-lbfgs.ts):
//
// torch's way (modes 'guarded' and 'none'): the iteration of torch.optim.LBFGS with lr 1 and no
// line search. Unit steps are taken whatever they do to the loss; curvature pairs are s = t·d,
// the step asked for (also where the clamp cut it short), and y the gradient change. On the
// style-transfer objective this iteration keeps improving long after every "cleaner" variant
// tried settles into slow monotone progress (line searches that refuse uphill steps, pairs from
// the clamped displacement, directions restricted to the free coordinates): at 200–300
// evaluations they ended 2–10× above it.
// 'guarded' adds three safeguards where torch fails outright:
// - a unit step that multiplies the loss by more than GUARD_FACTOR is not taken: a strong-Wolfe
//   search backtracks from it (torch spends tens of evaluations recovering from such jumps);
// - a direction that is not downhill restarts the memory (torch stops moving, spending one
//   evaluation per step() call on the same point);
// - when the lowest loss has not improved for STALL_EVALUATIONS evaluations (torch cycling or
//   deadlocked on a clamp-heavy problem, or wandering), the run continues in the projected way
//   below, from the best point.
//
// The projected way (mode 'strong-wolfe', and 'guarded' after a stall): coordinates the clamp
// moved are held at their bound while the gradient pushes them outwards; the two-loop recursion
// runs on the free coordinates only, so gᵀd predicts the decrease a clamped step can make; where
// the clamp cut a step short, its pair uses the displacement actually made; steps come from a
// nonmonotone strong-Wolfe line search (./line-search.ts). This solves clamp-heavy problems
// torch cannot and wins on smooth ones, but is the slow kind on the style objective.
//
// The lowest point seen is returned, so uphill steps never cost the result.
import { EngineError } from '../types.ts';
import { LbfgsMemory } from './lbfgs-memory.ts';
import { strongWolfe, type LineTrial } from './line-search.ts';
import { callObjective, checkCount, nonFiniteGradient } from './objective-call.ts';
import type { MinimizeResult, Objective } from './types.ts';

export type LbfgsLineSearch = 'guarded' | 'strong-wolfe' | 'none';
export const LBFGS_LINE_SEARCHES: readonly LbfgsLineSearch[] = ['guarded', 'strong-wolfe', 'none'];

export interface LbfgsOptions {
  /** Evaluations after the initial one; every line-search trial counts. */
  maxEvaluations: number;
  /** Curvature pairs kept (default 100, as torch.optim.LBFGS). */
  history?: number;
  signal?: AbortSignal;
  /**
   * 'guarded' (default): torch's unit steps with the safeguards above. 'strong-wolfe': the
   * projected iteration with a line search. 'none': exactly torch's unit steps, no safeguards.
   */
  lineSearch?: LbfgsLineSearch;
}

/** One evaluated point. pin[i] = +1/−1: the clamp pulled coordinate i down/up (it sits at a bound). */
interface Point {
  x: Float32Array;
  g: Float32Array;
  pin: Int8Array;
  f: number;
  /** The step length along d it was evaluated at. */
  t: number;
}

/** A unit step may multiply the (non-negative) loss by up to this before it is backtracked. */
const GUARD_FACTOR = 10;
/** Losses of the last iterations the projected mode's nonmonotone acceptance compares against. */
const NONMONOTONE_WINDOW = 5;
/** Curvature constant of the line search once the memory holds pairs. */
const C2 = 0.9;

/** 'guarded' leaves torch's way after this many evaluations without a new lowest loss. */
const STALL_EVALUATIONS = 25;

function copyPoint(to: Point, from: Point): void {
  to.x.set(from.x);
  to.g.set(from.g);
  to.pin.set(from.pin);
  to.f = from.f;
  to.t = from.t;
}

const newPoint = (n: number): Point => ({ x: new Float32Array(n), g: new Float32Array(n), pin: new Int8Array(n), f: Infinity, t: 0 });

/**
 * Evaluates x0, then at most maxEvaluations more times. Returns the point with the lowest loss
 * seen. Stops early only when the gradient vanishes or no step along steepest descent lowers
 * the loss any more.
 */
export async function minimizeLbfgs(f: Objective, x0: Float32Array, o: LbfgsOptions): Promise<MinimizeResult> {
  const { maxEvaluations, history = 100, signal, lineSearch = 'guarded' } = o;
  checkCount('L-BFGS', 'maxEvaluations', maxEvaluations);
  if (!Number.isInteger(history) || history < 1) throw new EngineError(`L-BFGS: history must be a whole number ≥ 1, got ${history}`);
  if (!LBFGS_LINE_SEARCHES.includes(lineSearch)) throw new EngineError(`L-BFGS: unknown line search "${String(lineSearch)}"`);

  const n = x0.length;
  const budget = maxEvaluations + 1;
  const memory = new LbfgsMemory(n, history);
  const d = new Float64Array(n);
  const free = new Uint8Array(n);
  let projected = lineSearch === 'strong-wolfe';
  let evaluations = 0;

  /**
   * Evaluates p at base + t·d (x0 when there is no base) and returns the slope gᵀd there: in the
   * projected way along the clamped path (coordinates the clamp stopped do not count), in torch's
   * way over all coordinates, as torch computes it.
   */
  async function evaluate(p: Point, base: Point | undefined, t: number): Promise<number> {
    const x = p.x;
    if (base) for (let i = 0; i < n; i++) x[i] = base.x[i] + t * d[i];
    else x.set(x0);
    const { loss, grad } = await callObjective(f, x, signal, 'L-BFGS', evaluations);
    evaluations++;
    p.f = loss;
    p.t = t;
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
        if (!projected) gtd += gi * d[i];
      } else {
        // A coordinate that did not move (d = 0) keeps its bound; a moving one adds to φ'(t).
        pin[i] = base && d[i] === 0 ? base.pin[i] : 0;
        gtd += gi * d[i];
      }
    }
    if (check !== 0) throw nonFiniteGradient('L-BFGS', evaluations - 1);
    return gtd;
  }

  /**
   * d ← the search direction at p. Returns the slope gᵀd (projected way: coordinates held on a
   * bound are zero in d) and ‖g‖₁ over the coordinates d may move (0: stationary).
   */
  function direction(p: Point, useMemory: boolean): { gtd: number; gAbsSum: number } {
    const { g, pin } = p;
    let gAbsSum = 0;
    let heldCount = 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const held = projected && ((pin[i] > 0 && gi < 0) || (pin[i] < 0 && gi > 0));
      d[i] = held ? 0 : -gi;
      free[i] = held ? 0 : 1;
      if (held) heldCount++;
      else gAbsSum += Math.abs(gi);
    }
    if (gAbsSum === 0) return { gtd: 0, gAbsSum };
    if (useMemory) memory.applyInverseHessian(d, heldCount > 0 ? free : undefined);
    let gtd = 0;
    for (let i = 0; i < n; i++) {
      const di = d[i];
      if (projected && ((pin[i] > 0 && di > 0) || (pin[i] < 0 && di < 0))) d[i] = 0;
      else gtd += g[i] * di;
    }
    return { gtd, gAbsSum };
  }

  let cur = newPoint(n);
  let trial = newPoint(n);
  let low = newPoint(n);
  await evaluate(cur, undefined, 0);
  const best = newPoint(n);
  copyPoint(best, cur);
  let bestAt = evaluations;
  const recent: number[] = [];

  /** Stores the pair of the step from cur to p (evaluated along d) and makes p the current point. */
  const moveTo = (p: Point) => {
    const { s, y } = memory.nextPair();
    for (let i = 0; i < n; i++) {
      // The step asked for, in double (torch's s = t·d), not the difference of the float32
      // points, which quantises small steps; where the clamp stopped a coordinate, the
      // projected way records the move actually made.
      s[i] = projected && p.pin[i] !== 0 ? p.x[i] - cur.x[i] : p.t * d[i];
      y[i] = p.g[i] - cur.g[i];
    }
    memory.commit();
    recent.push(cur.f);
    if (recent.length > NONMONOTONE_WINDOW) recent.shift();
    if (p.f < best.f) {
      copyPoint(best, p);
      bestAt = evaluations;
    }
    return p;
  };

  /** Switches a 'guarded' run to the projected way for good, from the best point seen. */
  function goProjected() {
    projected = true;
    memory.clear();
    recent.length = 0;
    if (best.f < cur.f) copyPoint(cur, best);
  }

  while (evaluations < budget) {
    // Torch's way going nowhere (cycling on a clamp-heavy problem, or wandering): stop it.
    if (!projected && lineSearch === 'guarded' && evaluations - bestAt >= STALL_EVALUATIONS) goProjected();
    let { gtd, gAbsSum } = direction(cur, true);
    if (gAbsSum === 0) break;
    if (!(gtd < 0) && memory.size > 0 && lineSearch !== 'none') {
      // The quasi-Newton direction is not downhill: start the memory over.
      memory.clear();
      ({ gtd, gAbsSum } = direction(cur, false));
    }
    if (!(gtd < 0)) {
      if (projected || lineSearch !== 'guarded') break;
      goProjected(); // everything downhill is clamped away: only the projected way can go on
      continue;
    }
    // Without curvature information the step length is a guess: torch's first step.
    const t = memory.size === 0 ? Math.min(1, 1 / gAbsSum) : 1;

    if (lineSearch === 'none') {
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
    const outcome = await strongWolfe(
      phi,
      cur.f,
      gtd,
      t,
      dMax,
      projected
        ? {
            // Without curvature information a decrease is all the first step must bring: the
            // pair it yields rescales the next direction, which beats extrapolating along this one.
            c2: memory.size === 0 ? 1 : C2,
            // A unit step that overshoots a little is still a good quasi-Newton step: accept it
            // against the worst recent loss rather than backtrack.
            fRef: Math.max(...recent),
          }
        : { fRef: cur.f + (GUARD_FACTOR - 1) * Math.abs(cur.f), extrapolateFirst: false },
    );
    if (outcome === 'nonmonotone' || low.f < cur.f) {
      [cur, low] = [moveTo(low), cur];
    } else if (memory.size > 0) {
      memory.clear(); // no decrease along the quasi-Newton direction: retry along steepest descent
    } else if (!projected && lineSearch === 'guarded') {
      goProjected();
    } else {
      break; // not even steepest descent lowers the loss: nothing left to gain
    }
  }
  return { x: best.x, loss: best.f, evaluations };
}
