// Adam with torch.optim.Adam's semantics (defaults, no weight decay, no amsgrad): bias-corrected
// moments and eps added after sqrt(v̂), i.e. x −= lr/(1−β1ᵗ) · m / (sqrt(v)/sqrt(1−β2ᵗ) + eps).
import { EngineError } from '../types.ts';
import { callObjective, checkCount, nonFiniteGradient } from './objective-call.ts';
import type { MinimizeResult, Objective } from './types.ts';

export interface AdamOptions {
  steps: number;
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Applied to x after each update (the engine clamps to [0,1]). */
  project?: (x: Float32Array) => void;
  signal?: AbortSignal;
}

/** Evaluates x0, then `steps` × (update, project, evaluate): steps+1 evaluations. Returns the last point. */
export async function minimizeAdam(f: Objective, x0: Float32Array, o: AdamOptions): Promise<MinimizeResult> {
  const { steps, lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, project, signal } = o;
  checkCount('Adam', 'steps', steps);
  if (!(lr > 0) || !Number.isFinite(lr)) throw new EngineError(`Adam: lr must be a positive number, got ${lr}`);
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new EngineError(`Adam: betas must be in [0,1), got ${beta1}, ${beta2}`);
  if (!(eps >= 0)) throw new EngineError(`Adam: eps must be ≥ 0, got ${eps}`);

  const n = x0.length;
  const x = Float32Array.from(x0);
  // Moments in double: 16 bytes per parameter is small next to the network's activations.
  const m = new Float64Array(n);
  const v = new Float64Array(n);

  let { loss, grad } = await callObjective(f, x, signal, 'Adam', 0);
  for (let step = 1; step <= steps; step++) {
    const stepSize = lr / (1 - beta1 ** step);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** step);
    let check = 0;
    for (let i = 0; i < n; i++) {
      const g = grad[i];
      check += g * 0; // NaN iff some g is NaN or ±Infinity
      const mi = (m[i] = beta1 * m[i] + (1 - beta1) * g);
      const vi = (v[i] = beta2 * v[i] + (1 - beta2) * g * g);
      x[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
    if (check !== 0) throw nonFiniteGradient('Adam', step - 1);
    project?.(x);
    ({ loss, grad } = await callObjective(f, x, signal, 'Adam', step));
  }
  return { x, loss, evaluations: steps + 1 };
}
