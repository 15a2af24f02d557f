// Strong-Wolfe line search: bracketing with cubic extrapolation, then zoom with safeguarded cubic
// interpolation (Nocedal & Wright, "Numerical Optimization", 2nd ed., Algorithms 3.5/3.6). The
// control flow follows torch.optim.lbfgs._strong_wolfe (itself from torch7's lswolfe.lua), so its
// choices of trial steps are the ones PyTorch users know.
//
// The caller owns the points: `phi(t)` evaluates x + t·d, keeps whatever it needs (the lowest
// trial), and returns its loss and directional derivative, or undefined when out of budget.

export interface LineTrial {
  f: number;
  /** Directional derivative gᵀd at the trial point. */
  gtd: number;
}
export type LineFunction = (t: number) => Promise<LineTrial | undefined>;

/** 'nonmonotone': the first trial was accepted against fRef; the others: the caller takes its lowest trial. */
export type LineSearchOutcome = 'wolfe' | 'nonmonotone' | 'bracket-collapsed' | 'max-trials' | 'budget';

export interface StrongWolfeOptions {
  /** Sufficient decrease. */
  c1?: number;
  /** Curvature: |φ'(t)| ≤ c2·|φ'(0)|. */
  c2?: number;
  /** Stop when the bracket is shorter than this (times max|d|). */
  tolChange?: number;
  /** Trials after the first. */
  maxTrials?: number;
  /**
   * Nonmonotone reference (ignored unless above f0): a first trial with f ≤ fRef + c1·t·φ'(0) is
   * accepted as is (Grippo, Lampariello & Lucidi 1986)…
   */
  fRef?: number;
  /** …unless it is a plain decrease still going steeply downhill, where extrapolating promises more (default true). */
  extrapolateFirst?: boolean;
}

/**
 * Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clamped to the bounds (default:
 * the interval between the points); the middle of the bounds when the cubic has no minimiser.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    // NaN only for coincident points, which the zoom's bracket-length test rules out; be safe anyway.
    return Number.isNaN(minPos) ? (lo + hi) / 2 : Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

interface End {
  t: number;
  f: number;
  gtd: number;
}

/**
 * Searches along d from φ(0) = f0, φ'(0) = gtd0 < 0, starting with step t. Resolves when a trial
 * satisfies the strong Wolfe conditions or the search gives up; the caller picks its lowest trial.
 */
export async function strongWolfe(phi: LineFunction, f0: number, gtd0: number, t: number, dMax: number, o: StrongWolfeOptions = {}): Promise<LineSearchOutcome> {
  const { c1 = 1e-4, c2 = 0.9, tolChange = 1e-9, maxTrials = 25 } = o;
  const armijo = (p: LineTrial, step: number) => p.f <= f0 + c1 * step * gtd0;
  const curvature = (p: LineTrial) => Math.abs(p.gtd) <= -c2 * gtd0;

  let trial = await phi(t);
  if (!trial) return 'budget';
  if (o.fRef !== undefined && o.fRef > f0 && trial.f <= o.fRef + c1 * t * gtd0) {
    const stillSteep = (o.extrapolateFirst ?? true) && armijo(trial, t) && trial.gtd < 0 && !curvature(trial);
    if (!stillSteep) return 'nonmonotone';
  }

  // Bracketing: grow the step until an interval is known to contain a Wolfe point.
  let prev: End = { t: 0, f: f0, gtd: gtd0 };
  let lo: End | undefined;
  let hi: End | undefined;
  let trials = 0;
  while (trials < maxTrials) {
    const cur: End = { t, f: trial.f, gtd: trial.gtd };
    if (!armijo(trial, t) || (trials > 1 && trial.f >= prev.f)) {
      [lo, hi] = [prev, cur];
      break;
    }
    if (curvature(trial)) return 'wolfe';
    if (trial.gtd >= 0) {
      [lo, hi] = [cur, prev];
      break;
    }
    const next = cubicInterpolate(prev.t, prev.f, prev.gtd, t, trial.f, trial.gtd, [t + 0.01 * (t - prev.t), t * 10]);
    prev = cur;
    t = next;
    trial = await phi(t);
    if (!trial) return 'budget';
    trials++;
  }
  if (!lo || !hi) return 'max-trials';
  if (hi.f < lo.f) [lo, hi] = [hi, lo];

  // Zoom: shrink [lo, hi] (lo = the lower end) until a trial satisfies both conditions.
  let insufficientProgress = false;
  while (trials < maxTrials) {
    const left = Math.min(lo.t, hi.t);
    const right = Math.max(lo.t, hi.t);
    if ((right - left) * dMax < tolChange) return 'bracket-collapsed';
    t = cubicInterpolate(lo.t, lo.f, lo.gtd, hi.t, hi.f, hi.gtd);

    // A trial hugging an end of the bracket shrinks it too slowly: move it 10% inside.
    const margin = 0.1 * (right - left);
    if (Math.min(right - t, t - left) < margin) {
      if (insufficientProgress || t >= right || t <= left) {
        t = Math.abs(t - right) < Math.abs(t - left) ? right - margin : left + margin;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    trial = await phi(t);
    if (!trial) return 'budget';
    trials++;
    const cur: End = { t, f: trial.f, gtd: trial.gtd };
    if (!armijo(trial, t) || trial.f >= lo.f) {
      hi = cur;
    } else {
      if (curvature(trial)) return 'wolfe';
      if (trial.gtd * (hi.t - lo.t) >= 0) hi = lo;
      lo = cur;
    }
    if (hi.f < lo.f) [lo, hi] = [hi, lo];
  }
  return 'max-trials';
}
