// npm run fetch-weights: download VGG-19 into models/ now (the CLI and the bot would do it on first
// use), e.g. on a connected machine before copying models/ to an offline one.
import { DEFAULT_WEIGHTS_URL } from '../src/engine/weights/download.ts';
import { consoleDownloadProgress } from '../src/engine/weights/progress.ts';
import { resolveWeightsPath } from '../src/engine/weights/resolve.ts';

const url = process.env.STYLIZE_WEIGHTS_URL || DEFAULT_WEIGHTS_URL;
const progress = consoleDownloadProgress(`downloading VGG-19 weights from ${url}`, { log: (line) => console.log(line) });
try {
  const path = await resolveWeightsPath({ url, modelsDir: process.env.STYLIZE_MODELS_DIR || undefined, onProgress: progress.update });
  progress.stop();
  console.log(`VGG-19 weights: ${path}`);
} catch (e) {
  progress.stop();
  console.error(`stylize: ${(e as Error).message}`);
  process.exit(1);
}
