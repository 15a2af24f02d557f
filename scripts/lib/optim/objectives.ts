// Test objectives for the optimisers (their tests and scripts/optim/): float32 at the interface,
// double inside. Projected ones clamp x to [0,1] in place before evaluating, as the engine does.
import type { Objective } from '../../../src/engine/optim/types.ts';

export interface TestProblem {
  name: string;
  n: number;
  x0: () => Float32Array;
  f: Objective;
}

/** Deterministic uniform [0,1) numbers (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clamp01(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(1, Math.max(0, x[i]));
}

/**
 * Chained Rosenbrock Σ 100(x_{i+1} − x_i²)² + (1 − x_i)², from (−1.2, 1, −1.2, 1, …), or with a
 * seed, from that point plus uniform noise in ±0.5.
 */
export function rosenbrock(n: number, seed?: number): TestProblem {
  const rnd = random(seed ?? 0);
  const start = Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1) + (seed === undefined ? 0 : rnd() - 0.5));
  return {
    name: `rosenbrock n=${n}${seed === undefined ? '' : ` seed=${seed}`}`,
    n,
    x0: () => start.slice(),
    f: async (x) => {
      const grad = new Float64Array(n);
      let loss = 0;
      for (let i = 0; i < n - 1; i++) {
        const a = x[i + 1] - x[i] * x[i];
        const b = 1 - x[i];
        loss += 100 * a * a + b * b;
        grad[i] += -400 * x[i] * a - 2 * b;
        grad[i + 1] += 200 * a;
      }
      return { loss, grad: Float32Array.from(grad) };
    },
  };
}

/** ½ Σ λᵢ (xᵢ − cᵢ)², λ log-spaced over [1, cond]: L-BFGS is rotation invariant, so diagonal loses nothing. */
export function illConditionedQuadratic(n: number, cond: number, seed = 1): TestProblem {
  const rnd = random(seed);
  const lambda = Float64Array.from({ length: n }, (_, i) => cond ** (i / (n - 1)));
  const c = Float64Array.from({ length: n }, () => rnd() * 2 - 1);
  const start = Float32Array.from({ length: n }, () => rnd() * 2 - 1);
  return {
    name: `quadratic n=${n} cond=${cond}`,
    n,
    x0: () => start.slice(),
    f: async (x) => {
      const grad = new Float32Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const r = x[i] - c[i];
        loss += 0.5 * lambda[i] * r * r;
        grad[i] = lambda[i] * r;
      }
      return { loss, grad };
    },
  };
}

/**
 * ½ Σ λᵢ (xᵢ − cᵢ)² + ½ μ Σ (x_{i+1} − xᵢ)² over the box [0,1]ⁿ (clamped in place), with targets
 * c in [−0.5, 1.5] so that about half the coordinates end on a bound.
 */
export function boxConstrained(n: number, seed = 2): TestProblem {
  const rnd = random(seed);
  const lambda = Float64Array.from({ length: n }, () => 10 ** (2 * rnd()));
  const c = Float64Array.from({ length: n }, () => rnd() * 2 - 0.5);
  const mu = 10;
  return {
    name: `box-constrained n=${n}`,
    n,
    x0: () => new Float32Array(n).fill(0.5),
    f: async (x) => {
      clamp01(x);
      const grad = new Float64Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const r = x[i] - c[i];
        loss += 0.5 * lambda[i] * r * r;
        grad[i] += lambda[i] * r;
        if (i + 1 < n) {
          const e = x[i + 1] - x[i];
          loss += 0.5 * mu * e * e;
          grad[i + 1] += mu * e;
          grad[i] -= mu * e;
        }
      }
      return { loss, grad: Float32Array.from(grad) };
    },
  };
}

/** Non-convex: Σ sin(3xᵢ) + 0.1 (xᵢ − 1)² + 0.5 sin(xᵢ − x_{i+1}); many local minima. */
export function sumOfSines(n: number, seed = 3): TestProblem {
  const rnd = random(seed);
  const start = Float32Array.from({ length: n }, () => rnd() * 4 - 2);
  return {
    name: `sum of sines n=${n}`,
    n,
    x0: () => start.slice(),
    f: async (x) => {
      const grad = new Float64Array(n);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        loss += Math.sin(3 * x[i]) + 0.1 * (x[i] - 1) ** 2;
        grad[i] += 3 * Math.cos(3 * x[i]) + 0.2 * (x[i] - 1);
        if (i + 1 < n) {
          const u = x[i] - x[i + 1];
          loss += 0.5 * Math.sin(u);
          grad[i] += 0.5 * Math.cos(u);
          grad[i + 1] -= 0.5 * Math.cos(u);
        }
      }
      return { loss, grad: Float32Array.from(grad) };
    },
  };
}

/**
 * A miniature style loss: X (C×N, clamped to [0,1]) should have the Gram matrix XXᵀ/N of a random
 * target; loss = mean of the squared Gram differences, as the engine's style loss.
 */
export function gramMatching(channels: number, pixels: number, seed = 4, weight = 1): TestProblem {
  const rnd = random(seed);
  const C = channels;
  const N = pixels;
  const gram = (x: ArrayLike<number>) => {
    const g = new Float64Array(C * C);
    for (let a = 0; a < C; a++)
      for (let b = a; b < C; b++) {
        let s = 0;
        for (let j = 0; j < N; j++) s += x[a * N + j] * x[b * N + j];
        g[a * C + b] = g[b * C + a] = s / N;
      }
    return g;
  };
  const target = gram(Float64Array.from({ length: C * N }, () => rnd() ** 2));
  const start = Float32Array.from({ length: C * N }, () => rnd());
  return {
    name: `gram matching ${C}×${N}${weight === 1 ? '' : ` ×${weight}`}`,
    n: C * N,
    x0: () => start.slice(),
    f: async (x) => {
      clamp01(x);
      const e = gram(x).map((v, i) => v - target[i]);
      const loss = (weight * e.reduce((s, v) => s + v * v, 0)) / (C * C);
      const grad = new Float32Array(C * N);
      const k = (4 * weight) / (C * C * N);
      for (let a = 0; a < C; a++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let b = 0; b < C; b++) s += e[a * C + b] * x[b * N + j];
          grad[a * N + j] = k * s;
        }
      return { loss, grad };
    },
  };
}

export const COMPARISON_PROBLEMS: readonly TestProblem[] = [
  rosenbrock(2),
  rosenbrock(100),
  illConditionedQuadratic(1000, 1e4),
  boxConstrained(500),
  sumOfSines(10),
  gramMatching(8, 64),
];

/** Wraps f to count its calls. */
export function counted(f: Objective): { f: Objective; calls: () => number } {
  let calls = 0;
  return {
    f: (x) => {
      calls++;
      return f(x);
    },
    calls: () => calls,
  };
}
