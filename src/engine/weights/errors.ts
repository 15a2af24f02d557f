import { EngineError } from '../types.ts';

/**
 * Any problem finding, downloading, reading or validating the VGG-19 weights. The message is one line
 * that names the file (or URL) and the problem, so the CLI and the bots can show it as is.
 * It extends EngineError so callers that already report engine failures cleanly also cover it.
 */
export class WeightsError extends EngineError {
  override name = 'WeightsError';

  constructor(
    message: string,
    /** The problem without the file name, for callers that name the file themselves. */
    readonly problem?: string,
  ) {
    super(message);
  }
}

/** `weights file <path>: <problem>`: the one shape every file-level message has. */
export function fileError(file: string, problem: string): WeightsError {
  return new WeightsError(`weights file ${file}: ${problem}`, problem);
}
