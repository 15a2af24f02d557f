// Plain data shared by the engine's units. No tensors cross these types, so callers (CLI, worker
// process) never need tfjs.
import type { StyleOptions } from '../options.ts';

/** An RGB image, row-major HWC, values in [0,1]. */
export interface RGBImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** One conv of VGG-19 in torchvision layout: weight [cout, cin, 3, 3], bias [cout]. */
export interface ConvWeights {
  cin: number;
  cout: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** The 16 convs of VGG-19's `features`, in order (features.0, 2, 5, 7, 10, …, 34). */
export type VggWeights = ConvWeights[];

/** Reported losses: content/style/tv are unweighted sums over layers; total is the weighted sum. */
export interface Losses {
  content: number;
  style: number;
  tv: number;
  total: number;
}

export interface Progress {
  /** 0 = the initial image's loss; k = after k updates (Adam) or the k-th evaluation (L-BFGS). */
  iteration: number;
  steps: number;
  losses: Losses;
  /** This iteration's time (evaluation + update). */
  iterationMs: number;
  elapsedMs: number;
  etaMs: number;
  /** Coarse-to-fine runs only: this scale (1-based) of `scales`; iteration and steps are this scale's, elapsedMs and etaMs the whole run's. */
  scale?: number;
  scales?: number;
}

export interface StylizeRequest {
  options: StyleOptions;
  /** Required by transfer and reconstruct, and by init=content. */
  content?: RGBImage;
  /** At least one for transfer and texture; blended with options.styleBlend. */
  styles: RGBImage[];
  /** For init=image: already at the output's size. */
  initImage?: RGBImage;
  /** Output size when there is no content image (texture mode): defaults to the first style's size. */
  outputSize?: { width: number; height: number };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Called every options.saveEvery iterations with the current image. */
  onPreview?: (iteration: number, image: RGBImage) => void;
}

export interface StylizeResult {
  image: RGBImage;
  losses: Losses;
  iterations: number;
  runtimeMs: number;
}

export class EngineError extends Error {
  override name = 'EngineError';
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}
