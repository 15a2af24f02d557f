// Getting the images users attach: Slack file objects → bytes, with the size and pixel limits
// enforced before and after the download. Only bytes are checked here (sharp reads the header);
// decoding into pixels is the engine's business.
import sharp from 'sharp';
import type { Metadata } from 'sharp';
import type { webApi } from '@slack/bolt';
import type { SlackConfig } from './adapter-config.ts';

/** The fields of a Slack file object this adapter reads (events, view state and files.info all carry them). */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  original_w?: number;
  original_h?: number;
  /** 'check_file_info' in Slack Connect channels: the event carries only the id. */
  file_access?: string;
}

/** A problem with what the user sent; the message is shown to them as is. */
export class SlackInputError extends Error {
  override name = 'SlackInputError';
}

/** Slack filetypes offered in the modal's file pickers. */
export const IMAGE_FILETYPES = ['png', 'jpg', 'jpeg', 'gif', 'webp'] as const;
// Raster formats sharp decodes; SVG is refused (it is a document that sharp would rasterise).
const DECODABLE_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);
const EXTRA_FILETYPES = new Set(['tiff', 'tif', 'avif', 'heic', 'heif']);

export type DownloadLimits = Pick<SlackConfig, 'maxUploadBytes' | 'maxInputPixels'>;

function mb(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  const v = bytes / (1024 * 1024);
  return `${v >= 10 ? Math.round(v) : Number(v.toFixed(1))} MB`;
}

function megapixels(px: number): string {
  return `${Number((px / 1e6).toFixed(1))} megapixels`;
}

function fileLabel(file: SlackFile, label: string): string {
  return `${label} "${file.name ?? file.title ?? file.id}"`;
}

function notAnImage(file: SlackFile, label: string, what?: string): SlackInputError {
  return new SlackInputError(`${fileLabel(file, label)} is not an image${what ? ` (${what})` : ''}: attach a PNG, JPEG, WebP or GIF.`);
}

/**
 * Checks what the file object already tells (type, size, original_w/original_h) without downloading.
 * Returns a one-line message for the user, or undefined when the file may be fetched.
 */
export function precheckFile(file: SlackFile, limits: DownloadLimits, label: string): string | undefined {
  const mime = file.mimetype?.toLowerCase();
  const type = file.filetype?.toLowerCase();
  if (mime) {
    if (!mime.startsWith('image/') || mime.includes('svg')) return notAnImage(file, label, mime).message;
  } else if (type && !(IMAGE_FILETYPES as readonly string[]).includes(type) && !EXTRA_FILETYPES.has(type)) {
    return notAnImage(file, label, type).message;
  }
  if (file.size !== undefined && file.size > limits.maxUploadBytes) {
    return `${fileLabel(file, label)} is ${mb(file.size)}; the limit is ${mb(limits.maxUploadBytes)}.`;
  }
  if (file.original_w && file.original_h && file.original_w * file.original_h > limits.maxInputPixels) {
    return (
      `${fileLabel(file, label)} is ${file.original_w}×${file.original_h} px (${megapixels(file.original_w * file.original_h)}); ` +
      `the limit is ${megapixels(limits.maxInputPixels)}.`
    );
  }
  return undefined;
}

/**
 * The bot token only goes to Slack's file hosts, or to the host of a configured API base URL (a proxy
 * or a local fake Slack), never to whatever URL a file object names.
 */
export function isTrustedFileUrl(url: string, apiUrl?: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:' && (u.hostname === 'slack.com' || u.hostname.endsWith('.slack.com') || u.hostname.endsWith('.slack-edge.com'))) {
    return true;
  }
  if (apiUrl) {
    try {
      return new URL(apiUrl).origin === u.origin;
    } catch {
      return false;
    }
  }
  return false;
}

export interface DownloadOptions {
  botToken: string;
  /** Used for files.info when the file object lacks its URL. */
  client: webApi.WebClient;
  limits: DownloadLimits;
  /** "The content image", "The style image", … */
  label: string;
  apiUrl?: string;
  timeoutMs?: number;
}

async function completeFileObject(file: SlackFile, client: webApi.WebClient): Promise<SlackFile> {
  if ((file.url_private_download || file.url_private) && file.file_access !== 'check_file_info') return file;
  const info = await client.files.info({ file: file.id });
  if (!info.ok || !info.file) throw new SlackInputError(`could not read file ${file.id} from Slack (${info.error ?? 'no file'})`);
  return { ...file, ...(info.file as SlackFile) };
}

async function readCapped(res: Response, limit: number, describe: () => string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new SlackInputError(`${describe()} is ${mb(declared)}; the limit is ${mb(limit)}.`);
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > limit) throw new SlackInputError(`${describe()} is larger than the limit of ${mb(limit)}.`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Checks downloaded bytes: a raster image sharp can read, within the pixel limit. */
export async function checkImageBytes(bytes: Buffer, file: SlackFile, limits: DownloadLimits, label: string): Promise<void> {
  let meta: Metadata;
  try {
    // Only the header is read; limitInputPixels is checked below with a clearer message.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw notAnImage(file, label);
  }
  if (!meta.format || !DECODABLE_FORMATS.has(meta.format)) throw notAnImage(file, label, meta.format);
  const w = meta.width ?? 0;
  const h = meta.pageHeight ?? meta.height ?? 0;
  if (w <= 0 || h <= 0) throw notAnImage(file, label);
  if (w * h > limits.maxInputPixels) {
    throw new SlackInputError(`${fileLabel(file, label)} is ${w}×${h} px (${megapixels(w * h)}); the limit is ${megapixels(limits.maxInputPixels)}.`);
  }
}

/** Downloads one attached image with the bot token; throws SlackInputError with a one-line message. */
export async function downloadSlackImage(input: SlackFile, opts: DownloadOptions): Promise<Buffer> {
  const file = await completeFileObject(input, opts.client);
  const problem = precheckFile(file, opts.limits, opts.label);
  if (problem) throw new SlackInputError(problem);
  const url = file.url_private_download ?? file.url_private;
  if (!url) throw new SlackInputError(`${fileLabel(file, opts.label)} has no download URL.`);
  if (!isTrustedFileUrl(url, opts.apiUrl)) throw new SlackInputError(`${fileLabel(file, opts.label)} is not hosted by Slack; refusing to download it.`);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { Authorization: `Bearer ${opts.botToken}` },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000),
    });
  } catch (e) {
    throw new SlackInputError(`could not download ${fileLabel(file, opts.label)} from Slack: ${(e as Error).message}`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    const hint = res.status === 401 || res.status === 403 ? ' (does the app have the files:read scope?)' : '';
    throw new SlackInputError(`could not download ${fileLabel(file, opts.label)} from Slack: HTTP ${res.status}${hint}`);
  }
  // Without a valid token Slack answers with its login page, not an error status.
  if ((res.headers.get('content-type') ?? '').includes('text/html')) {
    await res.body?.cancel();
    throw new SlackInputError(`Slack sent a web page instead of ${fileLabel(file, opts.label)}: check the bot token and the files:read scope.`);
  }
  const bytes = await readCapped(res, opts.limits.maxUploadBytes, () => fileLabel(file, opts.label));
  await checkImageBytes(bytes, file, opts.limits, opts.label);
  return bytes;
}
