// Input attachments: checked from the interaction payload before anything is queued (type, bytes,
// pixels), then downloaded from the CDN with a byte cap and checked again on the real bytes, since
// the payload's content type and dimensions come from the uploading client.
import sharp, { type Metadata } from 'sharp';

export interface AttachmentInfo {
  name: string;
  url: string;
  size: number;
  contentType: string | null;
  width: number | null;
  height: number | null;
}

export interface AttachmentLimits {
  maxUploadBytes: number;
  maxInputPixels: number;
}

/** What sharp decodes and the engine accepts; SVG is left out (a renderer, not an image). */
export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif', 'image/tiff'] as const;
const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif', 'heif', 'tiff']);

export class AttachmentError extends Error {
  override name = 'AttachmentError';
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

function pixelText(n: number): string {
  return n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')} megapixels` : `${n.toLocaleString('en-US')} pixels`;
}

/** Checks what the payload says; returns a one-line refusal or undefined. */
export function checkAttachment(role: string, a: AttachmentInfo, limits: AttachmentLimits): string | undefined {
  const type = (a.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (!(ACCEPTED_TYPES as readonly string[]).includes(type)) {
    return `The ${role} attachment "${a.name}" is ${type ? `a ${type} file` : 'not an image'}; send a PNG, JPEG, WebP, GIF, AVIF or TIFF image.`;
  }
  if (a.size > limits.maxUploadBytes) {
    return `The ${role} image "${a.name}" is ${formatBytes(a.size)}; the limit is ${formatBytes(limits.maxUploadBytes)}.`;
  }
  if (a.width !== null && a.height !== null && a.width * a.height > limits.maxInputPixels) {
    return `The ${role} image "${a.name}" is ${a.width}×${a.height} (${pixelText(a.width * a.height)}); the limit is ${pixelText(limits.maxInputPixels)}.`;
  }
  return undefined;
}

/** Downloads with a byte cap (the body is not trusted to match the declared size). */
export async function downloadAttachment(role: string, a: AttachmentInfo, limits: AttachmentLimits, timeoutMs: number): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(a.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    throw new AttachmentError(`Could not download the ${role} image "${a.name}" (${(e as Error).name === 'TimeoutError' ? 'timed out' : 'network error'}); try again.`);
  }
  if (!res.ok || !res.body) throw new AttachmentError(`Could not download the ${role} image "${a.name}" (HTTP ${res.status}); try again.`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > limits.maxUploadBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new AttachmentError(`The ${role} image "${a.name}" is over the ${formatBytes(limits.maxUploadBytes)} limit.`);
    }
    chunks.push(Buffer.from(chunk));
  }
  const data = Buffer.concat(chunks);
  await checkImageBytes(role, a.name, data, limits);
  return data;
}

/** Reads only the header: enough to refuse non-images and decompression bombs without decoding. */
export async function checkImageBytes(role: string, name: string, data: Buffer, limits: AttachmentLimits): Promise<void> {
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch {
    throw new AttachmentError(`The ${role} attachment "${name}" is not a readable image.`);
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    throw new AttachmentError(`The ${role} attachment "${name}" is ${meta.format ? `a ${meta.format} file` : 'not an image'}; send a PNG, JPEG, WebP, GIF, AVIF or TIFF image.`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > limits.maxInputPixels) {
    throw new AttachmentError(`The ${role} image "${name}" is ${width}×${height} (${pixelText(width * height)}); the limit is ${pixelText(limits.maxInputPixels)}.`);
  }
}
