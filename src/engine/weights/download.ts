// Downloads VGG-19's conv weights. The published checkpoint (timm/vgg19.tv_in1k) is 575 MB, 495 MB of
// which is the classifier this project never uses; when the server honours HTTP Range (Hugging Face's
// CDN does) only the safetensors header and the 32 `features.*` tensors (~80 MB) are fetched and
// written as a small, valid safetensors file. Otherwise the whole file is streamed to disk and the
// convs extracted from it. Either way the result appears at `dest` only once complete and checked.
import { open, rename, rm, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CancelledError } from '../types.ts';
import { WeightsError } from './errors.ts';
import {
  SafetensorsFile,
  copySafetensorsSubset,
  encodeSafetensorsHeader,
  parseHeaderLength,
  parseSafetensorsHeader,
  tempPathFor,
} from './safetensors.ts';
import type { TensorInfo } from './safetensors.ts';
import { sha256File, writeSidecar } from './sidecar.ts';
import { planVggTensors } from './vgg-weights.ts';

export const DEFAULT_WEIGHTS_URL = 'https://huggingface.co/timm/vgg19.tv_in1k/resolve/main/model.safetensors';

/** Bytes received so far and the expected total (0 when the server did not say). */
export type DownloadProgressFn = (done: number, total: number) => void;

export interface DownloadOptions {
  url: string;
  /** Final path of the weights file; its sidecar goes to `<dest>.json`. */
  dest: string;
  onProgress?: DownloadProgressFn;
  fetchImpl?: typeof fetch;
  /** Abort when no byte arrives for this long (default 30 s). */
  stallTimeoutMs?: number;
  signal?: AbortSignal;
  /** Gaps up to this size between wanted tensors are fetched and dropped rather than cost another request. */
  maxGapBytes?: number;
  /** Named in the failure message as the alternative to a manual download at `dest`. */
  manualHint?: string;
}

export interface DownloadResult {
  path: string;
  size: number;
  sha256: string;
  /** 'ranges' when only the convs were fetched, 'full' when the server sent the whole file. */
  mode: 'ranges' | 'full';
  /** Body bytes received over the network. */
  bytesReceived: number;
}

const MAX_REDIRECTS = 10;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** A reason for the failure message; the wrapper adds URL and manual-download advice. */
class DownloadFailure extends Error {}

interface OpenResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /** Next body chunk, or undefined at the end. Re-arms the stall watchdog on each chunk. */
  read(): Promise<Uint8Array | undefined>;
  cancel(): Promise<void>;
}

class Downloader {
  bytesReceived = 0;
  /** Responses not yet read to the end: cancelled on failure so no timer or socket outlives us. */
  private readonly open = new Set<OpenResponse>();
  private readonly fetchImpl: typeof fetch;
  private readonly stallMs: number;

  constructor(private readonly opts: DownloadOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
    this.stallMs = opts.stallTimeoutMs ?? 30_000;
  }

  /**
   * GET with an optional Range, following redirects by hand so the Range header is sent again to
   * every hop (the hub answers with a redirect to its CDN).
   */
  async request(range?: string): Promise<OpenResponse> {
    let url = this.opts.url;
    for (let hop = 0; ; hop++) {
      const res = await this.requestOnce(url, range);
      if (!REDIRECT_STATUSES.has(res.status)) return res;
      await res.cancel();
      const location = res.headers.get('location');
      if (!location) throw new DownloadFailure(`HTTP ${res.status} redirect without a Location header`);
      if (hop >= MAX_REDIRECTS) throw new DownloadFailure(`more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url).toString();
    }
  }

  private async requestOnce(url: string, range: string | undefined): Promise<OpenResponse> {
    const ac = new AbortController();
    let stalled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        ac.abort();
      }, this.stallMs);
    };
    const disarm = (): void => {
      if (timer) clearTimeout(timer);
      timer = undefined;
      this.opts.signal?.removeEventListener('abort', onCancel);
    };
    const onCancel = (): void => ac.abort();
    if (this.opts.signal?.aborted) throw new CancelledError();
    this.opts.signal?.addEventListener('abort', onCancel, { once: true });
    const explain = (e: unknown): Error => {
      disarm();
      if (this.opts.signal?.aborted) return new CancelledError();
      if (stalled) return new DownloadFailure(`stalled: no data for ${this.stallMs / 1000} s`);
      return e instanceof Error ? e : new Error(String(e));
    };
    arm();
    let res: Response;
    try {
      // fetch itself adds `Accept-Encoding: identity` to Range requests (Fetch spec), so ranges
      // address the file's bytes, not a compressed rendering of them.
      res = await this.fetchImpl(url, { headers: range ? { Range: range } : {}, redirect: 'manual', signal: ac.signal });
    } catch (e) {
      throw explain(e);
    }
    const reader = res.body?.getReader();
    const response: OpenResponse = {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      read: async () => {
        if (!reader) {
          disarm();
          return undefined;
        }
        arm();
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw explain(e);
        }
        if (chunk.done) {
          disarm();
          this.open.delete(response);
          return undefined;
        }
        this.bytesReceived += chunk.value.byteLength;
        return chunk.value;
      },
      cancel: async () => {
        disarm();
        this.open.delete(response);
        await reader?.cancel().catch(() => undefined);
      },
    };
    this.open.add(response);
    return response;
  }

  async cancelAll(): Promise<void> {
    await Promise.all([...this.open].map((r) => r.cancel()));
  }
}

function httpFailure(res: OpenResponse): DownloadFailure {
  return new DownloadFailure(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
}

/** The next body chunk; a dropped connection is reported with how far the transfer got. */
async function nextChunk(res: OpenResponse, received: number, expected: number | undefined): Promise<Uint8Array | undefined> {
  try {
    return await res.read();
  } catch (e) {
    if (e instanceof DownloadFailure || e instanceof CancelledError) throw e;
    throw new DownloadFailure(`connection lost after ${received} of ${expected || 'unknown'} bytes`);
  }
}

/** `Content-Range: bytes a-b/total` → numbers (total undefined for `*`). */
function parseContentRange(res: OpenResponse): { start: number; end: number; total: number | undefined } {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(res.headers.get('content-range')?.trim() ?? '');
  if (!m) throw new DownloadFailure('HTTP 206 without a valid Content-Range header');
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? undefined : Number(m[3]) };
}

/** Reads a whole (small) partial response, which must be exactly `length` bytes from `start`. */
async function readRange(res: OpenResponse, start: number, length: number): Promise<{ bytes: Uint8Array; total: number | undefined }> {
  const cr = parseContentRange(res);
  if (cr.start !== start) throw new DownloadFailure(`asked for bytes from ${start}, the server sent from ${cr.start}`);
  const bytes = new Uint8Array(length);
  let done = 0;
  for (let chunk = await nextChunk(res, 0, length); chunk; chunk = await nextChunk(res, done, length)) {
    if (done + chunk.byteLength > length) {
      await res.cancel();
      throw new DownloadFailure(`the server sent more than the ${length} bytes asked for`);
    }
    bytes.set(chunk, done);
    done += chunk.byteLength;
  }
  if (done < length) throw new DownloadFailure(`connection closed after ${done} of ${length} bytes`);
  return { bytes, total: cr.total };
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Wanted tensors grouped into byte ranges of the data section, one request each. */
interface Run {
  begin: number;
  end: number;
  tensors: TensorInfo[];
}

function groupRuns(sorted: TensorInfo[], maxGap: number): Run[] {
  const runs: Run[] = [];
  for (const t of sorted) {
    const last = runs[runs.length - 1];
    if (last && t.begin >= last.end && t.begin - last.end <= maxGap) {
      last.end = Math.max(last.end, t.end);
      last.tensors.push(t);
    } else {
      runs.push({ begin: t.begin, end: t.end, tensors: [t] });
    }
  }
  return runs;
}

/** The whole file came back (no Range support): stream it to disk, then keep only the convs. */
async function downloadFull(res: OpenResponse, opts: DownloadOptions, tmpOut: string): Promise<'full'> {
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isSafeInteger(length) ? length : 0;
  const tmpFull = tempPathFor(opts.dest);
  try {
    const fh = await open(tmpFull, 'w');
    let done = 0;
    try {
      for (let chunk = await nextChunk(res, 0, total); chunk; chunk = await nextChunk(res, done, total)) {
        await writeAll(fh, chunk, done);
        done += chunk.byteLength;
        opts.onProgress?.(done, total);
      }
    } finally {
      await res.cancel();
      await fh.close();
    }
    if (total && done !== total) throw new DownloadFailure(`connection closed after ${done} of ${total} bytes`);
    // Checked before extracting so a wrong file fails with what is wrong with it, not a copy error.
    let names: string[];
    const file = await SafetensorsFile.open(tmpFull);
    try {
      const plan = planVggTensors(file.header, opts.url);
      names = plan.convs.flatMap((c) => [c.weight.name, c.bias.name]);
    } finally {
      await file.close();
    }
    await copySafetensorsSubset(tmpFull, tmpOut, names, { metadata: { format: 'pt', source: opts.url } });
    return 'full';
  } finally {
    await rm(tmpFull, { force: true });
  }
}

/**
 * Range path: header first, then only the wanted tensors, written straight into their places in the
 * new file. Falls back to a full download as soon as a Range request is answered with 200.
 */
async function download(d: Downloader, opts: DownloadOptions, tmpOut: string): Promise<'ranges' | 'full'> {
  const first = await d.request('bytes=0-7');
  if (first.status === 200) return downloadFull(first, opts, tmpOut);
  if (first.status !== 206) {
    await first.cancel();
    throw httpFailure(first);
  }
  const head = await readRange(first, 0, 8);
  const total = head.total;
  const headerLength = parseHeaderLength(head.bytes, opts.url, total);

  const second = await d.request(`bytes=8-${8 + headerLength - 1}`);
  if (second.status === 200) return downloadFull(second, opts, tmpOut);
  if (second.status !== 206) {
    await second.cancel();
    throw httpFailure(second);
  }
  const json = await readRange(second, 8, headerLength);
  if (json.total !== total) throw new DownloadFailure('the file changed on the server during the download');
  const header = parseSafetensorsHeader(json.bytes, {
    source: opts.url,
    headerLength,
    dataLength: total === undefined ? undefined : total - 8 - headerLength,
  });
  const plan = planVggTensors(header, opts.url);
  const wanted = plan.convs.flatMap((c) => [c.weight, c.bias]).sort((a, b) => a.begin - b.begin);
  const runs = groupRuns(wanted, opts.maxGapBytes ?? 1 << 20);
  const out = encodeSafetensorsHeader(
    wanted.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.end - t.begin })),
    { format: 'pt', source: opts.url },
  );
  const outDataStart = out.bytes.byteLength;
  const progressTotal = 8 + headerLength + runs.reduce((s, r) => s + r.end - r.begin, 0);
  let done = 8 + headerLength;
  opts.onProgress?.(done, progressTotal);

  const fh = await open(tmpOut, 'w');
  try {
    await writeAll(fh, out.bytes, 0);
    for (const run of runs) {
      const length = run.end - run.begin;
      const absStart = header.dataStart + run.begin;
      const res = await d.request(`bytes=${absStart}-${absStart + length - 1}`);
      if (res.status === 200) {
        await fh.close().catch(() => undefined);
        return await downloadFull(res, opts, tmpOut);
      }
      if (res.status !== 206) {
        await res.cancel();
        throw httpFailure(res);
      }
      const cr = parseContentRange(res);
      if (cr.start !== absStart || cr.end !== absStart + length - 1) {
        await res.cancel();
        throw new DownloadFailure(`asked for bytes ${absStart}-${absStart + length - 1}, the server sent ${cr.start}-${cr.end}`);
      }
      if (cr.total !== total) {
        await res.cancel();
        throw new DownloadFailure('the file changed on the server during the download');
      }
      let pos = run.begin;
      let k = 0;
      for (let chunk = await nextChunk(res, 0, length); chunk; chunk = await nextChunk(res, pos - run.begin, length)) {
        if (pos + chunk.byteLength > run.end) {
          await res.cancel();
          throw new DownloadFailure(`the server sent more than the ${length} bytes asked for`);
        }
        let off = 0;
        while (off < chunk.byteLength) {
          const t = run.tensors[k];
          if (pos < t.begin) {
            // A gap between tensors: fetched to save a request, not kept.
            const n = Math.min(t.begin - pos, chunk.byteLength - off);
            pos += n;
            off += n;
            continue;
          }
          const n = Math.min(t.end - pos, chunk.byteLength - off);
          await writeAll(fh, chunk.subarray(off, off + n), outDataStart + out.offsets.get(t.name)![0] + (pos - t.begin));
          pos += n;
          off += n;
          if (pos === t.end) k++;
        }
        done += chunk.byteLength;
        opts.onProgress?.(done, progressTotal);
      }
      if (pos !== run.end) throw new DownloadFailure(`connection closed after ${pos - run.begin} of ${length} bytes`);
    }
  } finally {
    await fh.close().catch(() => undefined);
  }
  return 'ranges';
}

function reasonOf(e: unknown): string {
  if (e instanceof DownloadFailure) return e.message;
  if (e instanceof WeightsError) return e.problem ?? e.message;
  const err = e as Error & { cause?: { code?: string; message?: string }; code?: string };
  const cause = err.cause?.code ?? err.cause?.message;
  if (err.message === 'fetch failed') return `connection failed${cause ? ` (${cause})` : ''}`;
  if (err.message === 'terminated') return `connection lost${cause ? ` (${cause})` : ''}`;
  return `${err.code ?? err.message}${cause ? ` (${cause})` : ''}`;
}

/**
 * Downloads VGG-19's conv weights from `url` into `dest` (atomically, via a temp file in the same
 * directory) and records size + sha256 in `<dest>.json`. Every failure is one WeightsError that names
 * the URL and where a manually downloaded file goes; nothing is left behind.
 */
export async function downloadVggWeights(opts: DownloadOptions): Promise<DownloadResult> {
  const d = new Downloader(opts);
  const tmpOut = tempPathFor(opts.dest);
  try {
    const mode = await download(d, opts, tmpOut);
    // The file was just written from checked offsets; reopening it proves it parses as what we want.
    const check = await SafetensorsFile.open(tmpOut);
    try {
      planVggTensors(check.header, tmpOut);
    } finally {
      await check.close();
    }
    const sha256 = await sha256File(tmpOut);
    const { size } = await stat(tmpOut);
    const result: DownloadResult = { path: opts.dest, size, sha256, mode, bytesReceived: d.bytesReceived };
    // Sidecar first: a crash before the rename leaves a sidecar without a file, which the next
    // download simply overwrites; the reverse would leave a file that is never checked.
    await writeSidecar(opts.dest, { size: result.size, sha256, url: opts.url, date: new Date().toISOString(), mode });
    await rename(tmpOut, opts.dest);
    return result;
  } catch (e) {
    await d.cancelAll();
    await rm(tmpOut, { force: true });
    if (e instanceof CancelledError) throw e;
    const manual = `Download it by hand and save it as ${opts.dest}${opts.manualHint ? `, ${opts.manualHint}` : ''}.`;
    throw new WeightsError(`could not download the VGG-19 weights from ${opts.url}: ${reasonOf(e)}. ${manual}`);
  }
}
