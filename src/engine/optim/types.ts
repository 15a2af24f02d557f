// The contract between the optimisers (pure JS on Float32Array) and the engine that drives them.

/**
 * Loss and gradient at x. f may modify x in place (the engine clamps the image to [0,1] before
 * each evaluation), so after a call x holds the point that was actually evaluated.
 */
export type Objective = (x: Float32Array) => Promise<{ loss: number; grad: Float32Array }>;

export interface MinimizeResult {
  x: Float32Array;
  /** The loss f returned at x, unchanged (callers match it against what they saw). */
  loss: number;
  /** Calls of f, the initial evaluation included. */
  evaluations: number;
}
