// Files/buffers in, finished PNG out: checks what the mode needs, decodes every input at the size the
// optimisation uses, runs stylize, restores the content's colours if asked, encodes. Shared by the
// CLI and the job worker process.
import { logger } from '../log.ts';
import type { StyleOptions } from '../options.ts';
import { keepOriginalColors } from './colors.ts';
import { decodeImage, encodePng, fitLongSide, ImageError, imageSize } from './image.ts';
import type { DecodeOptions } from './image.ts';
import { stylize } from './stylize.ts';
import { CancelledError, EngineError } from './types.ts';
import type { Losses, Progress, RGBImage } from './types.ts';
import type { Vgg } from './vgg.ts';

export interface PipelineInput {
  content?: Buffer | string;
  styles: (Buffer | string)[];
  initImage?: Buffer | string;
  options: StyleOptions;
  vgg: Vgg;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Encoded PNG of the current image (original colours applied if set), every options.saveEvery iterations. */
  onPreview?: (iteration: number, png: Buffer) => void;
  maxInputPixels?: number;
}

export interface PipelineResult {
  png: Buffer;
  width: number;
  height: number;
  losses: Losses;
  iterations: number;
  /** Wall time of the whole pipeline: decoding, optimisation and encoding. */
  runtimeMs: number;
}

interface Needs {
  content: boolean;
  styles: boolean;
}

/** Which inputs the mode and init use; inputs it does not use are ignored, not decoded. */
function needs(o: StyleOptions): Needs {
  return {
    content: o.mode !== 'texture' || o.init === 'content',
    styles: o.mode !== 'reconstruct' || o.init === 'style',
  };
}

function checkInputs(input: PipelineInput, need: Needs): void {
  const o = input.options;
  const styleCount = input.styles.length;
  if (o.mode !== 'texture' && !input.content) throw new EngineError(`${o.mode} mode needs a content image`);
  if (o.mode !== 'reconstruct' && styleCount === 0) throw new EngineError(`${o.mode} mode needs at least one style image`);
  if (o.init === 'content' && !input.content) throw new EngineError('init=content needs a content image');
  if (o.init === 'style' && styleCount === 0) throw new EngineError('init=style needs a style image');
  if (o.init === 'image' && !input.initImage) throw new EngineError('init=image needs an initial image (init-image)');
  if (need.styles && o.styleBlend && o.styleBlend.length !== styleCount) {
    const weights = `${o.styleBlend.length} weight${o.styleBlend.length === 1 ? '' : 's'}`;
    throw new EngineError(`style-blend has ${weights} but there ${styleCount === 1 ? 'is 1 style image' : `are ${styleCount} style images`}`);
  }
}

/** Runs an image step for one input, naming the input in any ImageError ("style image 2: not an image (…)"). */
async function asInput<T>(role: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof ImageError) throw new ImageError(`${role}: ${e.message}`);
    throw e;
  }
}

function decodeAs(role: string, source: Buffer | string, o: DecodeOptions): Promise<RGBImage> {
  return asInput(role, () => decodeImage(source, o));
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const start = performance.now();
  const o = input.options;
  const need = needs(o);
  checkInputs(input, need);
  const { signal, maxInputPixels } = input;
  throwIfAborted(signal);

  const content = need.content && input.content ? await decodeAs('content image', input.content, { longSide: o.size, maxInputPixels }) : undefined;
  const styles: RGBImage[] = [];
  if (need.styles) {
    const styleSide = Math.max(1, Math.round(o.size * o.styleScale));
    for (const [i, source] of input.styles.entries()) {
      throwIfAborted(signal);
      const role = input.styles.length === 1 ? 'style image' : `style image ${i + 1}`;
      styles.push(await decodeAs(role, source, { longSide: styleSide, maxInputPixels }));
    }
  }

  // Without content (texture) the output takes the first style's aspect ratio at the full size,
  // from its header rather than the style decoded at styleScale, whose rounding would skew it.
  let outputSize: { width: number; height: number };
  if (content) {
    outputSize = { width: content.width, height: content.height };
  } else if (need.styles) {
    const role = input.styles.length === 1 ? 'style image' : 'style image 1';
    const first = await asInput(role, () => imageSize(input.styles[0], { maxInputPixels }));
    outputSize = fitLongSide(first.width, first.height, o.size);
  } else {
    throw new EngineError(`${o.mode} mode needs a content image`);
  }

  let initImage: RGBImage | undefined;
  if (o.init === 'image' && input.initImage) {
    throwIfAborted(signal);
    initImage = await decodeAs('init image', input.initImage, { ...outputSize, maxInputPixels });
  }
  throwIfAborted(signal);
  logger.debug(
    { mode: o.mode, output: outputSize, styles: styles.map((s) => `${s.width}×${s.height}`), init: o.init },
    'pipeline inputs decoded',
  );

  const recolor = o.originalColors && o.mode === 'transfer' && content ? (img: RGBImage) => keepOriginalColors(img, content) : (img: RGBImage) => img;

  // stylize calls onPreview synchronously; encoding is async, so previews are chained to arrive in
  // order and are all delivered before runPipeline settles. A failed preview must not fail the job.
  let previews: Promise<void> = Promise.resolve();
  const deliver = input.onPreview;
  const onPreview = deliver
    ? (iteration: number, image: RGBImage) => {
        const shown = recolor(image);
        previews = previews
          .then(async () => deliver(iteration, await encodePng(shown)))
          .catch((e: unknown) => logger.warn({ err: (e as Error).message, iteration }, 'preview failed'));
      }
    : undefined;

  let result;
  try {
    result = await stylize(input.vgg, {
      options: o,
      content,
      styles,
      initImage,
      outputSize: content ? undefined : outputSize,
      signal,
      onProgress: input.onProgress,
      onPreview,
    });
  } finally {
    await previews;
  }

  const final = recolor(result.image);
  const png = await encodePng(final);
  return {
    png,
    width: final.width,
    height: final.height,
    losses: result.losses,
    iterations: result.iterations,
    runtimeMs: performance.now() - start,
  };
}
