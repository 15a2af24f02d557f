// Where the CLI's VGG-19 weights come from: --weights, else the shared resolution (STYLIZE_WEIGHTS,
// the models cache, a one-time download) with the download's progress on this terminal.
import { DEFAULT_WEIGHTS_URL } from '../engine/weights/download.ts';
import { consoleDownloadProgress } from '../engine/weights/progress.ts';
import { resolveWeightsPath } from '../engine/weights/resolve.ts';
import type { CliIo } from './io.ts';

export async function obtainWeightsPath(flag: string | undefined, io: CliIo, signal: AbortSignal): Promise<string> {
  const url = io.env.STYLIZE_WEIGHTS_URL || DEFAULT_WEIGHTS_URL;
  // The default reporter logs through pino, which the CLI keeps quiet; print the lines ourselves.
  const progress = consoleDownloadProgress(`downloading VGG-19 weights from ${url}`, {
    stream: io.stderr as NodeJS.WriteStream,
    log: (line) => void io.stdout.write(line + '\n'),
  });
  try {
    return await resolveWeightsPath({
      flag,
      env: io.env,
      // Lets tests and installs without a writable repo keep the cache elsewhere.
      modelsDir: io.env.STYLIZE_MODELS_DIR || undefined,
      url,
      onProgress: progress.update,
      signal,
    });
  } finally {
    progress.stop();
  }
}
