// U1–U4: continue one candidate of a grid at the full size. The candidate's PNG is the initial image
// (the pipeline upsamples it with sharp's lanczos3 to the first scale), the run uses the candidate's
// strength and style scale, and coarse-to-fine scales fill a large size gap (upscaleOptions).
import type { StyleOptions } from '../../options.ts';
import type { Engine } from '../engine.ts';
import { runPipeline, type PipelineInput, type PipelineResult } from '../pipeline.ts';
import { upscaleOptions, type GridSpec } from './plan.ts';

export interface UpscaleInput extends Omit<PipelineInput, 'options' | 'initImage' | 'content'> {
  content: Buffer | string;
  /** The request's resolved options: size and steps are the upscale's. */
  options: StyleOptions;
  /** The grid the candidate came from, and which one (0-based). */
  spec: GridSpec;
  index: number;
  /** The candidate's PNG (GridCandidate.png). */
  candidatePng: Buffer | string;
  engine: Engine;
}

/** A normal pipeline run (progress, previews, frames, cancellation as usual) from the candidate. */
export function runUpscale(input: UpscaleInput): Promise<PipelineResult> {
  const { spec, index, candidatePng, options, ...rest } = input;
  return runPipeline({ ...rest, options: upscaleOptions(options, spec, index), initImage: candidatePng });
}
