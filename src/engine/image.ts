// Image I/O with sharp: untrusted files/buffers in, RGBImage (HWC Float32 in [0,1]) out, PNG back.
import sharp from 'sharp';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import { EngineError } from './types.ts';
import type { RGBImage } from './types.ts';

/** Default decompression-bomb guard: 50 megapixels, far above any sensible --size. */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;

/** The formats users may send; sharp can read more (SVG, raw vips files) but those are no photos. */
const ACCEPTED_FORMATS = 'JPEG, PNG, WebP, GIF, AVIF or TIFF';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'tiff';

export class ImageError extends EngineError {
  override name = 'ImageError';
}

export interface DecodeOptions {
  /** Resize so the longer side equals this (aspect kept). */
  longSide?: number;
  /** Resize to exactly width×height (both required; wins over longSide). */
  width?: number;
  height?: number;
  /** Refuse inputs with more pixels than this (default DEFAULT_MAX_INPUT_PIXELS). */
  maxInputPixels?: number;
}

export interface ImageInfo {
  /** As displayed, i.e. after the EXIF orientation. */
  width: number;
  height: number;
  format: ImageFormat;
}

type ImageInput = Buffer | string;

function firstLine(message: string): string {
  return message.split('\n')[0].trim();
}

function describeSharpError(e: unknown, input: ImageInput): ImageError {
  const message = firstLine(e instanceof Error ? e.message : String(e));
  if (/Input file is missing/i.test(message)) return new ImageError(`image file not found: ${String(input)}`);
  if (/unsupported image format/i.test(message)) return new ImageError('not an image (unrecognised data)');
  if (/Buffer is empty/i.test(message)) return new ImageError('not an image (empty file)');
  if (/exceeds pixel limit/i.test(message)) return new ImageError('image too large: exceeds the pixel limit');
  return new ImageError(`not an image (${message.replace(/^Input (buffer|file) (has|contains) /i, '')})`);
}

function formatOf(meta: Metadata): ImageFormat {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'gif':
    case 'tiff':
      return meta.format;
    case 'heif':
      if (meta.compression === 'av1') return 'avif';
      throw new ImageError(`unsupported image format HEIC: use ${ACCEPTED_FORMATS}`);
    default:
      throw new ImageError(`unsupported image format ${String(meta.format).toUpperCase()}: use ${ACCEPTED_FORMATS}`);
  }
}

function checkPixels(width: number, height: number, limit: number): void {
  if (width * height > limit) {
    throw new ImageError(`image too large: ${width}×${height} pixels, limit ${limit.toLocaleString('en-US')} pixels`);
  }
}

/** Reads only the header: cheap enough to validate chat attachments before queueing a job. */
async function readMetadata(input: ImageInput): Promise<Metadata> {
  try {
    // The limit is checked by checkPixels with a clearer message; the header read allocates no pixels.
    return await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw describeSharpError(e, input);
  }
}

function pixelLimit(maxInputPixels: number | undefined): number {
  const limit = maxInputPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  if (!Number.isInteger(limit) || limit < 1) throw new ImageError(`maxInputPixels must be a positive whole number, got ${limit}`);
  return limit;
}

/** Width, height (EXIF orientation applied) and format from the header; throws ImageError for non-images. */
export async function imageSize(input: ImageInput, o: { maxInputPixels?: number } = {}): Promise<ImageInfo> {
  const meta = await readMetadata(input);
  const format = formatOf(meta);
  const { width, height } = meta.autoOrient;
  checkPixels(width, height, pixelLimit(o.maxInputPixels));
  return { width, height, format };
}

/** Size with the longer side equal to `longSide` and the aspect ratio kept (each side at least 1). */
export function fitLongSide(width: number, height: number, longSide: number): { width: number; height: number } {
  if (Math.max(width, height) === longSide) return { width, height };
  const scale = longSide / Math.max(width, height);
  return width >= height
    ? { width: longSide, height: Math.max(1, Math.round(height * scale)) }
    : { width: Math.max(1, Math.round(width * scale)), height: longSide };
}

function checkDimension(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ImageError(`${name} must be a positive whole number, got ${v}`);
}

function targetSize(width: number, height: number, o: DecodeOptions): { width: number; height: number } {
  if (o.width !== undefined || o.height !== undefined) {
    if (o.width === undefined || o.height === undefined) throw new ImageError('width and height must be given together');
    checkDimension('width', o.width);
    checkDimension('height', o.height);
    return { width: o.width, height: o.height };
  }
  if (o.longSide !== undefined) {
    checkDimension('longSide', o.longSide);
    return fitLongSide(width, height, o.longSide);
  }
  return { width, height };
}

/** Raw HWC samples (3 or 4 channels, alpha last) → RGBImage, compositing any alpha over white. */
function toRGB(samples: ArrayLike<number>, width: number, height: number, channels: number, max: number): RGBImage {
  const n = width * height;
  const data = new Float32Array(n * 3);
  if (channels === 3) {
    for (let i = 0; i < n * 3; i++) data[i] = samples[i] / max;
  } else if (channels === 4) {
    for (let p = 0; p < n; p++) {
      const a = samples[p * 4 + 3] / max;
      for (let c = 0; c < 3; c++) data[p * 3 + c] = (samples[p * 4 + c] / max) * a + (1 - a);
    }
  } else {
    throw new ImageError(`unexpected channel count ${channels} after colour conversion`);
  }
  return { width, height, data };
}

/**
 * Decodes JPEG/PNG/WebP/GIF (first frame)/AVIF/TIFF: EXIF orientation applied, alpha composited on
 * white, converted to sRGB, resized with lanczos3 to longSide (longer side) or exactly width×height.
 * An image already at the target size is not resampled, so its pixels come through bit-exact.
 */
export async function decodeImage(input: ImageInput, o: DecodeOptions = {}): Promise<RGBImage> {
  const limit = pixelLimit(o.maxInputPixels);
  const meta = await readMetadata(input);
  formatOf(meta);
  const { width: srcW, height: srcH } = meta.autoOrient;
  checkPixels(srcW, srcH, limit);
  const target = targetSize(srcW, srcH, o);

  // 16-bit sources keep their precision; 8-bit ones stay in 8-bit because libvips widens
  // grey→rgb16 by ×256 rather than ×257, which would break the bit-exact as-is rule.
  const wide = meta.depth === 'ushort';
  let out: { data: Buffer; info: OutputInfo };
  try {
    let pipeline: Sharp = sharp(input, { limitInputPixels: limit, failOn: 'error', autoOrient: true });
    if (target.width !== srcW || target.height !== srcH) {
      pipeline = pipeline.resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' });
    }
    // Alpha is kept and composited in toRGB rather than by sharp's flatten, which scales the
    // background wrongly for 16-bit images (white becomes 65280).
    out = await pipeline
      .toColourspace(wide ? 'rgb16' : 'srgb')
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw describeSharpError(e, input);
  }
  const { data, info } = out;
  if (info.width !== target.width || info.height !== target.height) {
    throw new ImageError(`decoded ${info.width}×${info.height}, expected ${target.width}×${target.height}`);
  }
  const samples = wide ? asUint16(data) : data;
  return toRGB(samples, info.width, info.height, info.channels, wide ? 65535 : 255);
}

/** Views a raw ushort buffer as Uint16Array, copying only if it is not 2-byte aligned. */
function asUint16(data: Buffer): Uint16Array {
  const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
  return new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
}

function checkImage(img: RGBImage): void {
  if (img.data.length !== img.width * img.height * 3) {
    throw new EngineError(`image data has ${img.data.length} values, expected ${img.width}×${img.height}×3`);
  }
}

function quantize(img: RGBImage, max: number): Uint8Array | Uint16Array {
  const out = max === 255 ? new Uint8Array(img.data.length) : new Uint16Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i];
    // NaN (a diverged optimisation) becomes black rather than garbage.
    out[i] = Number.isNaN(v) ? 0 : Math.round(Math.min(1, Math.max(0, v)) * max);
  }
  return out;
}

/** 8-bit sRGB PNG of an image (values clamped to [0,1]). */
export async function encodePng(img: RGBImage): Promise<Buffer> {
  checkImage(img);
  return sharp(quantize(img, 255), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** Lanczos3 resample to exactly width×height, in 16 bits so repeated resizes lose little; same size = copy. */
export async function resizeImage(img: RGBImage, width: number, height: number): Promise<RGBImage> {
  checkImage(img);
  checkDimension('width', width);
  checkDimension('height', height);
  if (width === img.width && height === img.height) return { width, height, data: img.data.slice() };
  // sharp has no float path that survives its sRGB output conversion; rgb16 does.
  const { data, info } = await sharp(quantize(img, 65535), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .toColourspace('rgb16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  return toRGB(asUint16(data), info.width, info.height, info.channels, 65535);
}
