// One guarded call of the objective, shared by the optimisers: cancellation first, then a clear
// message for results that would otherwise turn the optimisation silently into NaN.
import { EngineError } from '../types.ts';
import type { Objective } from './types.ts';

export async function callObjective(
  f: Objective,
  x: Float32Array,
  signal: AbortSignal | undefined,
  optimizer: string,
  evaluation: number,
): Promise<{ loss: number; grad: Float32Array }> {
  signal?.throwIfAborted();
  const r = await f(x);
  if (typeof r?.loss !== 'number' || !Number.isFinite(r.loss)) {
    throw new EngineError(`${optimizer}: the objective returned loss ${String(r?.loss)} at evaluation ${evaluation} (the loss must be a finite number)`);
  }
  if (!(r.grad instanceof Float32Array) || r.grad.length !== x.length) {
    throw new EngineError(`${optimizer}: the objective returned a gradient of length ${r.grad?.length} for ${x.length} parameters at evaluation ${evaluation}`);
  }
  return r;
}

export function nonFiniteGradient(optimizer: string, evaluation: number): EngineError {
  return new EngineError(`${optimizer}: the objective returned a gradient with NaN or infinite entries at evaluation ${evaluation}`);
}

export function checkCount(optimizer: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new EngineError(`${optimizer}: ${name} must be a whole number ≥ 0, got ${value}`);
}
