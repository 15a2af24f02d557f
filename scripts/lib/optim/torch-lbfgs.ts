// A line-by-line port of torch.optim.LBFGS (PyTorch 2.x, torch/optim/lbfgs.py: step,
// _strong_wolfe, _cubic_interpolate) over one Float32Array parameter, used as the yardstick the
// project's own L-BFGS must match or beat. Vectors are float32 like torch's float32 parameters
// and the 0-dim tensor scalars (ys, ro, H_diag, al, gtd, first t) are rounded to float32; dot
// products are summed in double (slightly kinder to the port than BLAS's float32 sums).
import type { Objective } from '../../../src/engine/optim/types.ts';

const f32 = Math.fround;

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return f32(s);
}
const absMax = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const absSum = (a: Float32Array) => f32(a.reduce((m, v) => m + Math.abs(v), 0));
const neg = (a: Float32Array) => a.map((v) => -v);
/** a.add_(b, alpha) */
function addInPlace(a: Float32Array, b: Float32Array, alpha: number): void {
  const al = f32(alpha);
  for (let i = 0; i < a.length; i++) a[i] = a[i] + al * b[i];
}

export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    // Python's min(max(nan, a), b): max(nan, a) is nan (first argument wins the failed comparison), min(nan, b) is nan.
    if (Number.isNaN(minPos)) return minPos;
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

type ObjFunc = (x: Float32Array, t: number, d: Float32Array) => Promise<[number, Float32Array]>;

export async function strongWolfe(
  objFunc: ObjFunc,
  x: Float32Array,
  t: number,
  d: Float32Array,
  f: number,
  g: Float32Array,
  gtd: number,
  c1 = 1e-4,
  c2 = 0.9,
  toleranceChange = 1e-9,
  maxLs = 25,
): Promise<[number, Float32Array, number, number]> {
  const dNorm = absMax(d);
  g = g.slice();
  let [fNew, gNew] = await objFunc(x, t, d);
  let lsFuncEvals = 1;
  let gtdNew = dot(gNew, d);

  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Float32Array[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      bracket = [t];
      bracketF = [fNew];
      bracketG = [gNew];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [tPrev, t];
      bracketF = [fPrev, fNew];
      bracketG = [gPrev, gNew.slice()];
      bracketGtd = [gtdPrev, gtdNew];
      break;
    }
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const tmp = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
    tPrev = tmp;
    fPrev = fNew;
    gPrev = gNew.slice();
    gtdPrev = gtdNew;
    [fNew, gNew] = await objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d);
    lsIter += 1;
  }
  if (lsIter === maxLs) {
    bracket = [0, t];
    bracketF = [f, fNew];
    bracketG = [g, gNew];
  }

  let insufProgress = false;
  let [lowPos, highPos] = bracketF[0] <= bracketF[bracketF.length - 1] ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1] - bracket[0]) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
    const bMax = Math.max(...bracket);
    const bMin = Math.min(...bracket);
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else {
        insufProgress = true;
      }
    } else {
      insufProgress = false;
    }
    [fNew, gNew] = await objFunc(x, t, d);
    lsFuncEvals += 1;
    gtdNew = dot(gNew, d);
    lsIter += 1;

    if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]) {
      bracket[highPos] = t;
      bracketF[highPos] = fNew;
      bracketG[highPos] = gNew.slice();
      bracketGtd[highPos] = gtdNew;
      [lowPos, highPos] = bracketF[0] <= bracketF[1] ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[highPos] - bracket[lowPos]) >= 0) {
        bracket[highPos] = bracket[lowPos];
        bracketF[highPos] = bracketF[lowPos];
        bracketG[highPos] = bracketG[lowPos];
        bracketGtd[highPos] = bracketGtd[lowPos];
      }
      bracket[lowPos] = t;
      bracketF[lowPos] = fNew;
      bracketG[lowPos] = gNew.slice();
      bracketGtd[lowPos] = gtdNew;
    }
  }
  return [bracketF[lowPos], bracketG[lowPos], bracket[lowPos], lsFuncEvals];
}

export interface TorchLbfgsOptions {
  lr?: number;
  maxIter?: number;
  maxEval?: number;
  toleranceGrad?: number;
  toleranceChange?: number;
  historySize?: number;
  lineSearchFn?: 'strong_wolfe' | null;
}

type Closure = () => Promise<{ loss: number; grad: Float32Array }>;

/** torch.optim.LBFGS over a single parameter `param` (modified in place, as torch does). */
export class TorchLBFGS {
  readonly lr: number;
  readonly maxIter: number;
  readonly maxEval: number;
  readonly toleranceGrad: number;
  readonly toleranceChange: number;
  readonly historySize: number;
  readonly lineSearchFn: 'strong_wolfe' | null;
  /** The optimizer's persistent state (torch's self.state[param]). */
  readonly state: {
    funcEvals: number;
    nIter: number;
    d?: Float32Array;
    t?: number;
    oldDirs?: Float32Array[];
    oldStps?: Float32Array[];
    ro?: number[];
    Hdiag?: number;
    prevFlatGrad?: Float32Array;
    prevLoss?: number;
    al?: number[];
  } = { funcEvals: 0, nIter: 0 };
  /** The gradient left by the last closure call (torch reads it from param.grad). */
  private grad: Float32Array;

  constructor(
    readonly param: Float32Array,
    o: TorchLbfgsOptions = {},
  ) {
    this.lr = o.lr ?? 1;
    this.maxIter = o.maxIter ?? 20;
    this.maxEval = o.maxEval ?? Math.floor((this.maxIter * 5) / 4);
    this.toleranceGrad = o.toleranceGrad ?? 1e-7;
    this.toleranceChange = o.toleranceChange ?? 1e-9;
    this.historySize = o.historySize ?? 100;
    this.lineSearchFn = o.lineSearchFn ?? null;
    this.grad = new Float32Array(param.length);
  }

  private async callClosure(closure: Closure): Promise<number> {
    const { loss, grad } = await closure();
    this.grad = grad.slice();
    return loss;
  }

  private gatherFlatGrad(): Float32Array {
    return this.grad.slice(); // torch.cat of one view copies
  }

  private addGrad(stepSize: number, update: Float32Array): void {
    addInPlace(this.param, update, stepSize);
  }

  private async directionalEvaluate(closure: Closure, x: Float32Array, t: number, d: Float32Array): Promise<[number, Float32Array]> {
    this.addGrad(t, d);
    const loss = await this.callClosure(closure);
    const flatGrad = this.gatherFlatGrad();
    this.param.set(x);
    return [loss, flatGrad];
  }

  async step(closure: Closure): Promise<number> {
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = this;
    const state = this.state;

    const origLoss = await this.callClosure(closure);
    let loss = origLoss;
    let currentEvals = 1;
    state.funcEvals += 1;

    let flatGrad = this.gatherFlatGrad();
    let optCond = absMax(flatGrad) <= toleranceGrad;
    if (optCond) return origLoss;

    let d = state.d;
    let t = state.t;
    let oldDirs = state.oldDirs;
    let oldStps = state.oldStps;
    let ro = state.ro;
    let Hdiag = state.Hdiag;
    let prevFlatGrad = state.prevFlatGrad;
    let prevLoss = state.prevLoss;

    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      state.nIter += 1;

      if (state.nIter === 1) {
        d = neg(flatGrad);
        oldDirs = [];
        oldStps = [];
        ro = [];
        Hdiag = 1;
      } else {
        const y = flatGrad.map((v, i) => v - prevFlatGrad![i]);
        const s = d!.map((v) => v * t!);
        const ys = dot(y, s);
        if (ys > 1e-10) {
          if (oldDirs!.length === historySize) {
            oldDirs!.shift();
            oldStps!.shift();
            ro!.shift();
          }
          oldDirs!.push(y);
          oldStps!.push(s);
          ro!.push(f32(1 / ys));
          Hdiag = f32(ys / dot(y, y));
        }
        const numOld = oldDirs!.length;
        state.al ??= new Array<number>(historySize).fill(0);
        const al = state.al;

        const q = neg(flatGrad);
        for (let i = numOld - 1; i >= 0; i--) {
          al[i] = f32(dot(oldStps![i], q) * ro![i]);
          addInPlace(q, oldDirs![i], -al[i]);
        }
        const r = q.map((v) => v * Hdiag!);
        d = r;
        for (let i = 0; i < numOld; i++) {
          const beI = f32(dot(oldDirs![i], r) * ro![i]);
          addInPlace(r, oldStps![i], al[i] - beI);
        }
      }

      if (prevFlatGrad === undefined) prevFlatGrad = flatGrad.slice();
      else prevFlatGrad.set(flatGrad);
      prevLoss = loss;

      t = state.nIter === 1 ? f32(Math.min(1, 1 / absSum(flatGrad)) * lr) : lr;

      const gtd = dot(flatGrad, d!);
      if (gtd > -toleranceChange) break;

      let lsFuncEvals = 0;
      if (lineSearchFn !== null) {
        const xInit = this.param.slice();
        const objFunc: ObjFunc = (x, tt, dd) => this.directionalEvaluate(closure, x, tt, dd);
        [loss, flatGrad, t, lsFuncEvals] = await strongWolfe(objFunc, xInit, t, d!, loss, flatGrad, gtd);
        this.addGrad(t, d!);
        optCond = absMax(flatGrad) <= toleranceGrad;
      } else {
        this.addGrad(t, d!);
        if (nIter !== maxIter) {
          loss = await this.callClosure(closure);
          flatGrad = this.gatherFlatGrad();
          optCond = absMax(flatGrad) <= toleranceGrad;
          lsFuncEvals = 1;
        }
      }
      currentEvals += lsFuncEvals;
      state.funcEvals += lsFuncEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (absMax(d!.map((v) => v * t!)) <= toleranceChange) break;
      if (Math.abs(loss - prevLoss) < toleranceChange) break;
    }

    Object.assign(state, { d, t, oldDirs, oldStps, ro, Hdiag, prevFlatGrad, prevLoss });
    return origLoss;
  }
}

export interface TorchRunResult {
  /** Lowest loss among the evaluations, and the parameter it was evaluated at. */
  loss: number;
  x: Float32Array;
  /** The loss of the last evaluation. */
  lastLoss: number;
  evaluations: number;
}

const BUDGET_SPENT = Symbol('budget spent');

/**
 * Drives TorchLBFGS the way the seed code did: optimizer.step(closure) in a loop, the projection
 * inside the closure (f), until 1 + maxEvaluations closure calls have been made.
 */
export async function runTorchLbfgs(f: Objective, x0: Float32Array, o: TorchLbfgsOptions & { maxEvaluations: number }): Promise<TorchRunResult> {
  const param = Float32Array.from(x0);
  const optimizer = new TorchLBFGS(param, o);
  let evaluations = 0;
  let best = { loss: Infinity, x: param.slice() };
  let lastLoss = NaN;
  const closure: Closure = async () => {
    if (evaluations >= o.maxEvaluations + 1) throw BUDGET_SPENT;
    evaluations++;
    const r = await f(param);
    lastLoss = r.loss;
    if (r.loss < best.loss) best = { loss: r.loss, x: param.slice() };
    return r;
  };
  try {
    for (;;) await optimizer.step(closure);
  } catch (e) {
    if (e !== BUDGET_SPENT) throw e;
  }
  return { loss: best.loss, x: best.x, lastLoss, evaluations };
}
