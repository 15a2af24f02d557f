// Time-lapse frames: which iterations are kept and the small PNG each becomes. A run keeps about
// FRAME_TARGET frames however long it is (over all scales of a coarse-to-fine run), plus its
// initial image and the last image of every scale, so the film always starts and ends right.
import sharp from 'sharp';
import type { RGBImage } from '../types.ts';

/** Longer side of a stored frame: small enough that a job's frames stay well under a megabyte or two. */
export const FRAME_MAX_SIDE = 256;
/** Frames kept in between the first and the last. */
export const FRAME_TARGET = 40;

/** What the pipeline reports: the image as it is at `iteration` (counted across scales). */
export interface Frame {
  iteration: number;
  /** 1-based scale of a coarse-to-fine run (1 otherwise). */
  scale: number;
  image: RGBImage;
}

export interface FramePng {
  iteration: number;
  scale: number;
  png: Buffer;
}

/** Every how many iterations a frame is kept, for a run of `totalIterations`. */
export function frameInterval(totalIterations: number, target = FRAME_TARGET): number {
  return Math.max(1, Math.ceil(totalIterations / target));
}

/** 8-bit RGB, shrunk (lanczos) so the longer side is at most maxSide. */
export async function framePng(image: RGBImage, maxSide = FRAME_MAX_SIDE): Promise<Buffer> {
  const { width, height, data } = image;
  const bytes = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    bytes[i] = Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  const scale = Math.min(1, maxSide / Math.max(width, height));
  let img = sharp(bytes, { raw: { width, height, channels: 3 } });
  if (scale < 1) img = img.resize(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)), { fit: 'fill' });
  return img.png().toBuffer();
}

/**
 * Collects the frames a pipeline reports, encoding each as it comes (the pipeline hands over a copy
 * of the image, so the optimisation never waits for an encoder). A repeated iteration (the last
 * evaluation and the result) keeps the later image.
 */
export class FrameRecorder {
  private readonly pending: { key: string; frame: Promise<FramePng> }[] = [];

  add(frame: Frame): void {
    const key = `${frame.scale}:${frame.iteration}`;
    const i = this.pending.findIndex((p) => p.key === key);
    if (i >= 0) this.pending.splice(i, 1);
    this.pending.push({ key, frame: framePng(frame.image).then((png) => ({ iteration: frame.iteration, scale: frame.scale, png })) });
  }

  get count(): number {
    return this.pending.length;
  }

  frames(): Promise<FramePng[]> {
    return Promise.all(this.pending.map((p) => p.frame));
  }
}
