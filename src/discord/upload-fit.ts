// Bots may upload only so much per file (10 MiB unless the guild is boosted). A result over the cap
// is re-encoded: first as a smaller PNG (tighter compression, then fewer pixels), then as JPEG.
import sharp from 'sharp';
import type { OutgoingFile } from './discord-io.ts';

export interface FittedUpload {
  file: OutgoingFile;
  /** Set when the upload is not the original PNG: a short note for the message. */
  note?: string;
}

const PNG_SCALES = [1, 0.75, 0.5];
const JPEG_STEPS: { scale: number; quality: number }[] = [
  { scale: 1, quality: 92 },
  { scale: 1, quality: 80 },
  { scale: 0.75, quality: 80 },
  { scale: 0.5, quality: 75 },
  { scale: 0.35, quality: 70 },
  { scale: 0.25, quality: 65 },
];

export class UploadTooLargeError extends Error {
  override name = 'UploadTooLargeError';
}

/** Returns the first encoding that fits in limitBytes; throws UploadTooLargeError if none does. */
export async function fitForUpload(png: Buffer, limitBytes: number, baseName = 'stylized'): Promise<FittedUpload> {
  if (png.length <= limitBytes) return { file: { name: `${baseName}.png`, data: png, contentType: 'image/png' } };
  const { width = 0, height = 0 } = await sharp(png).metadata();
  const size = (scale: number) => ({ w: Math.max(1, Math.round(width * scale)), h: Math.max(1, Math.round(height * scale)) });

  for (const scale of PNG_SCALES) {
    const { w, h } = size(scale);
    const data = await sharp(png).resize(w, h).png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
    if (data.length <= limitBytes) {
      const note = scale === 1 ? undefined : `downscaled to ${w}×${h} to fit Discord's upload limit`;
      return { file: { name: `${baseName}.png`, data, contentType: 'image/png' }, ...(note ? { note } : {}) };
    }
  }
  for (const { scale, quality } of JPEG_STEPS) {
    const { w, h } = size(scale);
    const data = await sharp(png).resize(w, h).jpeg({ quality, mozjpeg: true }).toBuffer();
    if (data.length <= limitBytes) {
      const note = `sent as JPEG${scale === 1 ? '' : ` at ${w}×${h}`} to fit Discord's upload limit`;
      return { file: { name: `${baseName}.jpg`, data, contentType: 'image/jpeg' }, note };
    }
  }
  throw new UploadTooLargeError(`the result does not fit in ${limitBytes} bytes even as a small JPEG`);
}
