// A style image on its way into the library: checked as chat attachments are (a readable image of
// an accepted type, within the byte and pixel limits) and re-encoded once, at most 1024 px on its
// long side, so a library style costs the same to store and to use whatever was uploaded.
import sharp from 'sharp';
import { DEFAULT_MAX_INPUT_PIXELS } from '../engine/image.ts';
import { MAX_INPUT_BYTES, Refusal } from './job-rules.ts';

/** Long side of a saved style (the built-ins are at most this too). */
export const SAVED_STYLE_MAX_SIDE = 1024;

const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'heif', 'tiff']);

export interface EncodedStyle {
  image: Buffer;
  width: number;
  height: number;
}

/** JPEG (quality 90) of the image, or Refusal with a one-line message; nothing is stored either way. */
export async function encodeStyleImage(data: Buffer, maxInputPixels = DEFAULT_MAX_INPUT_PIXELS): Promise<EncodedStyle> {
  if (data.byteLength === 0) throw new Refusal('the style image is empty');
  if (data.byteLength > MAX_INPUT_BYTES) throw new Refusal(`the style image is ${(data.byteLength / 1048576).toFixed(1)} MB; the most is ${MAX_INPUT_BYTES / 1048576} MB`);
  let format: string | undefined;
  let pixels = 0;
  try {
    const meta = await sharp(data, { limitInputPixels: false }).metadata();
    format = meta.format;
    pixels = (meta.width ?? 0) * (meta.height ?? 0);
  } catch {
    throw new Refusal('the style image is not a readable image: send a PNG, JPEG, WebP, GIF, AVIF or TIFF');
  }
  if (!format || !ACCEPTED_FORMATS.has(format)) throw new Refusal(`the style image is ${format ? `a ${format} file` : 'not an image'}: send a PNG, JPEG, WebP, GIF, AVIF or TIFF`);
  if (pixels > maxInputPixels) throw new Refusal(`the style image has ${pixels.toLocaleString('en-US')} pixels; the most is ${maxInputPixels.toLocaleString('en-US')}`);
  try {
    const { data: image, info } = await sharp(data, { limitInputPixels: maxInputPixels })
      .rotate()
      .resize(SAVED_STYLE_MAX_SIDE, SAVED_STYLE_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: 90 })
      .toBuffer({ resolveWithObject: true });
    return { image, width: info.width, height: info.height };
  } catch (e) {
    throw new Refusal(`the style image could not be decoded: ${(e as Error).message.split('\n')[0]}`);
  }
}
