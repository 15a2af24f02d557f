// The one objective interface every engine implements (tfjs in tfjs/objective.ts, ONNX Runtime in
// onnx/), so the optimisers, previews, cancellation, coarse-to-fine, sheets, the CLI and the job
// workers run on any of them unchanged.
import type { MemoryBudget } from './memory-estimate.ts';
import type { ObjectiveOptions } from './objective-plan.ts';
import type { Losses, RGBImage } from './types.ts';

export type { ObjectiveOptions } from './objective-plan.ts';

export interface Evaluation {
  losses: Losses;
  grad: Float32Array;
}

export interface EngineObjective {
  readonly contentLayers: readonly string[];
  readonly styleLayers: readonly string[];
  /** Loss parts and d(total)/dx of the HWC image x (used as is: clamp before). */
  evaluate(x: Float32Array, width: number, height: number): Promise<Evaluation>;
  dispose(): void;
}

export interface Engine {
  /** The backend it runs on, e.g. "onnx-cpu" or "wasm". */
  readonly backend: string;
  /** Output channels of VGG's 16 convs (the memory estimate's input). */
  readonly channels: readonly number[];
  /** Targets (content features, blended style Grams) are computed here, once per objective. */
  createObjective(
    o: ObjectiveOptions,
    content: RGBImage | undefined,
    styles: readonly RGBImage[],
    outputSize?: { width: number; height: number },
  ): Promise<EngineObjective>;
  /** What a run's peak must fit in; null where it cannot be known (GPU memory). */
  memoryBudget(): MemoryBudget | null;
  dispose(): void | Promise<void>;
}
