// Frames → one looping animated GIF or WebP. Every frame is scaled to the last frame's size (a
// coarse-to-fine run's early frames are smaller), the last is held longer, and when a byte limit
// is given the film shrinks until it fits: first fewer frames, then fewer pixels.
import sharp from 'sharp';
import { EngineError } from '../types.ts';

export type TimelapseFormat = 'gif' | 'webp';

export interface TimelapseOptions {
  format: TimelapseFormat;
  /** Delay between frames (default 100 ms). */
  frameDelayMs?: number;
  /** How long the last frame stays before the loop starts again (default 2 s). */
  holdLastMs?: number;
  /** Shrink until the file is at most this many bytes. */
  maxBytes?: number;
}

export interface Timelapse {
  data: Buffer;
  format: TimelapseFormat;
  width: number;
  height: number;
  frames: number;
}

export class TimelapseTooLargeError extends EngineError {
  override name = 'TimelapseTooLargeError';
}

/** (pixel scale, keep every k-th frame) in the order tried until the file fits. */
const SHRINK_STEPS: readonly [number, number][] = [
  [1, 1],
  [1, 2],
  [0.75, 2],
  [0.5, 2],
  [0.5, 4],
  [0.35, 4],
  [0.25, 8],
];

export function timelapseFormatOf(file: string): TimelapseFormat | undefined {
  const ext = /\.([a-z0-9]+)$/i.exec(file)?.[1]?.toLowerCase();
  return ext === 'gif' || ext === 'webp' ? ext : undefined;
}

/** Every k-th frame, always keeping the first and the last. */
function thin<T>(frames: readonly T[], k: number): T[] {
  return frames.filter((_, i) => i % k === 0 || i === frames.length - 1);
}

async function encode(frames: readonly Buffer[], width: number, height: number, o: TimelapseOptions): Promise<Buffer> {
  const pages = await Promise.all(frames.map((f) => sharp(f).removeAlpha().resize(width, height, { fit: 'fill' }).raw().toBuffer()));
  const delay = frames.map((_, i) => (i === frames.length - 1 ? (o.holdLastMs ?? 2000) : (o.frameDelayMs ?? 100)));
  const film = sharp(Buffer.concat(pages), { raw: { width, height: height * frames.length, channels: 3, pageHeight: height } });
  return o.format === 'gif' ? film.gif({ loop: 0, delay }).toBuffer() : film.webp({ loop: 0, delay, nearLossless: true, quality: 60 }).toBuffer();
}

export async function encodeTimelapse(frames: readonly Buffer[], o: TimelapseOptions): Promise<Timelapse> {
  const last = frames.at(-1);
  if (!last) throw new EngineError('no frames to make a time-lapse of');
  const { width = 0, height = 0 } = await sharp(last).metadata();
  let smallest = Infinity;
  for (const [scale, k] of o.maxBytes === undefined ? SHRINK_STEPS.slice(0, 1) : SHRINK_STEPS) {
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const kept = thin(frames, k);
    const data = await encode(kept, w, h, o);
    if (o.maxBytes === undefined || data.length <= o.maxBytes) return { data, format: o.format, width: w, height: h, frames: kept.length };
    smallest = Math.min(smallest, data.length);
  }
  throw new TimelapseTooLargeError(`the time-lapse does not fit in ${o.maxBytes} bytes (smallest try: ${smallest} bytes)`);
}
