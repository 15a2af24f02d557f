// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian u64
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?},
// then the data section; offsets are relative to its start. Reading goes through a file handle so
// only the tensors asked for are ever in memory (a full VGG-19 checkpoint is 575 MB, its convs 80 MB).
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { WeightsError, fileError } from './errors.ts';

/** Bytes per element of every dtype the format defines; unknown dtypes are tolerated but not decoded. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** The float dtypes this project decodes to (and encodes from) Float32Array. */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

/** One tensor's header entry; begin/end are byte offsets into the data section. */
export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes. */
  headerLength: number;
  /** Absolute file offset of the data section: 8 + N. */
  dataStart: number;
  /** In header order. */
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string> | undefined;
}

/** safetensors itself refuses headers above 100 MB; anything bigger means this is not such a file. */
export const MAX_HEADER_LENGTH = 100 * 1024 * 1024;

const LITTLE_ENDIAN = endianness() === 'LE';

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Decodes the u64 header length from a file's first 8 bytes and rejects impossible values. `fileSize`
 * is the whole file's (or remote resource's) size when known.
 */
export function parseHeaderLength(first8: Uint8Array, source: string, fileSize?: number): number {
  if (first8.byteLength < 8) {
    throw fileError(source, `truncated: ${first8.byteLength} bytes, too short to hold a safetensors header`);
  }
  if (first8[0] === 0x50 && first8[1] === 0x4b) {
    throw fileError(source, 'bad header: this is a zip archive (a PyTorch .pth/.bin checkpoint?), not safetensors');
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(MAX_HEADER_LENGTH)) {
    throw fileError(source, `bad header: header length ${n} is impossible — not a safetensors file`);
  }
  const headerLength = Number(n);
  if (fileSize !== undefined && 8 + headerLength > fileSize) {
    throw fileError(source, `bad header: header length ${headerLength} runs past the end of the file (${fileSize} bytes) — truncated or not a safetensors file`);
  }
  return headerLength;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Parses and checks the JSON header. With `dataLength` (file size − 8 − N) every tensor's bytes must lie
 * inside the data section; a file cut short fails here, before any tensor is read.
 */
export function parseSafetensorsHeader(
  json: Uint8Array,
  opts: { source: string; headerLength?: number; dataLength?: number },
): SafetensorsHeader {
  const { source } = opts;
  const headerLength = opts.headerLength ?? json.byteLength;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw fileError(source, 'bad header: not valid JSON — not a safetensors file, or a corrupt one');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw fileError(source, 'bad header: the JSON header is not an object');
  }
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> | undefined;
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw fileError(source, 'bad header: __metadata__ is not an object');
      }
      metadata = {};
      for (const [k, v] of Object.entries(entry)) if (typeof v === 'string') metadata[k] = v;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== 'object' || e === null) throw fileError(source, `bad header: entry "${name}" is not an object`);
    if (typeof e.dtype !== 'string') throw fileError(source, `bad header: tensor "${name}" has no dtype`);
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegativeInt)) {
      throw fileError(source, `bad header: tensor "${name}" has an invalid shape`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt) || offsets[0] > offsets[1]) {
      throw fileError(source, `bad header: tensor "${name}" has invalid data_offsets`);
    }
    const info: TensorInfo = { name, dtype: e.dtype, shape: e.shape as number[], begin: offsets[0], end: offsets[1] };
    const size = DTYPE_SIZES[info.dtype];
    if (size !== undefined && elementCount(info.shape) * size !== info.end - info.begin) {
      throw fileError(source, `bad header: tensor "${name}" (${info.dtype} ${formatShape(info.shape)}) needs ${elementCount(info.shape) * size} bytes but its data_offsets span ${info.end - info.begin}`);
    }
    if (opts.dataLength !== undefined && info.end > opts.dataLength) {
      throw fileError(source, `truncated or bad header: tensor "${name}" ends at byte ${info.end} of the data section, which holds only ${opts.dataLength} bytes`);
    }
    tensors.set(name, info);
  }
  return { headerLength, dataStart: 8 + headerLength, tensors, metadata };
}

let f16Table: Float32Array | undefined;

/** All 65536 half-precision values, so decoding is one table lookup per element. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

function u16View(bytes: Uint8Array): Uint16Array {
  const n = bytes.byteLength >> 1;
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint16Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, true);
  return out;
}

/** Little-endian F32/F16/BF16 bytes → Float32Array (F32 aligned on a little-endian host: no copy). */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const size = DTYPE_SIZES[dtype];
  if (bytes.byteLength % size !== 0) throw new WeightsError(`${dtype} data of ${bytes.byteLength} bytes is not a whole number of elements`);
  const n = bytes.byteLength / size;
  switch (dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
      const out = new Float32Array(n);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const src = u16View(bytes);
      const table = halfTable();
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = table[src[i]];
      return out;
    }
    case 'BF16': {
      // bf16 is the upper half of an f32: shifting the bits back is exact.
      const src = u16View(bytes);
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
      return out;
    }
  }
}

function floatToHalfBits(f32bits: number): number {
  const sign = (f32bits >>> 16) & 0x8000;
  const exp = (f32bits >>> 23) & 0xff;
  const mant = f32bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the mantissa (with its implicit 1) and round to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Float32Array → little-endian bytes of `dtype`, rounding to nearest even for F16 and BF16. */
export function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) dv.setFloat32(4 * i, data[i], true);
    return out;
  }
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint16Array(data.length);
  if (dtype === 'F16') {
    for (let i = 0; i < data.length; i++) out[i] = floatToHalfBits(bits[i]);
  } else {
    for (let i = 0; i < data.length; i++) {
      const b = bits[i];
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
  }
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(out.buffer);
    for (let i = 0; i < out.length; i++) dv.setUint16(2 * i, out[i], true);
  }
  return new Uint8Array(out.buffer);
}

export interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
}

/**
 * Builds the 8-byte length + JSON header for tensors packed in the given order. The JSON is padded with
 * spaces to a multiple of 8 (as the reference writer does) so the data section stays aligned.
 * Returns the bytes and each tensor's [begin, end) in the data section.
 */
export function encodeSafetensorsHeader(
  entries: readonly HeaderEntry[],
  metadata?: Record<string, string>,
): { bytes: Uint8Array; offsets: Map<string, [number, number]>; dataLength: number } {
  const json: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) json.__metadata__ = metadata;
  const offsets = new Map<string, [number, number]>();
  let pos = 0;
  for (const e of entries) {
    if (e.name === '__metadata__' || offsets.has(e.name)) throw new WeightsError(`cannot write tensor "${e.name}": reserved or duplicate name`);
    const size = DTYPE_SIZES[e.dtype];
    if (size !== undefined && elementCount(e.shape) * size !== e.byteLength) {
      throw new WeightsError(`cannot write tensor "${e.name}": ${e.dtype} ${formatShape(e.shape)} needs ${elementCount(e.shape) * size} bytes, got ${e.byteLength}`);
    }
    offsets.set(e.name, [pos, pos + e.byteLength]);
    json[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [pos, pos + e.byteLength] };
    pos += e.byteLength;
  }
  let text = JSON.stringify(json);
  const raw = new TextEncoder().encode(text);
  text += ' '.repeat((8 - (raw.byteLength % 8)) % 8);
  const body = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + body.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(body.byteLength), true);
  bytes.set(body, 8);
  return { bytes, offsets, dataLength: pos };
}

/** A tensor to write: floats (encoded to `dtype`, default F32) or raw little-endian bytes of any dtype. */
export type WritableTensor =
  | { shape: number[]; data: Float32Array; dtype?: FloatDtype }
  | { shape: number[]; bytes: Uint8Array; dtype: string };

/** A unique sibling path, so a rename onto `path` is atomic and never crosses file systems. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
}

async function writeAll(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Writes a safetensors file, tensors in the given order, via a temp file renamed into place (readers
 * never see half a file).
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, WritableTensor> | Iterable<[string, WritableTensor]>,
  opts: { metadata?: Record<string, string> } = {},
): Promise<void> {
  const list = Symbol.iterator in tensors ? [...(tensors as Iterable<[string, WritableTensor]>)] : Object.entries(tensors);
  const encoded = list.map(([name, t]) => {
    if ('data' in t) {
      const dtype = t.dtype ?? 'F32';
      if (t.data.length !== elementCount(t.shape)) {
        throw new WeightsError(`cannot write tensor "${name}": ${t.data.length} values do not fit shape ${formatShape(t.shape)}`);
      }
      return { name, dtype, shape: t.shape, bytes: encodeFloats(t.data, dtype) };
    }
    return { name, dtype: t.dtype, shape: t.shape, bytes: t.bytes };
  });
  const header = encodeSafetensorsHeader(
    encoded.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape, byteLength: e.bytes.byteLength })),
    opts.metadata,
  );
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await writeAll(fh, header.bytes, 0);
      let pos = header.bytes.byteLength;
      for (const e of encoded) {
        await writeAll(fh, e.bytes, pos);
        pos += e.bytes.byteLength;
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** An open safetensors file whose header has been read and checked against its size. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    readonly fileSize: number,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw fileError(path, code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open (${code ?? (e as Error).message})`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw fileError(path, st.isDirectory() ? 'is a directory, not a file' : 'not a regular file');
      const fileSize = st.size;
      const first8 = await readExactly(fh, path, 0, Math.min(8, fileSize));
      const headerLength = parseHeaderLength(first8, path, fileSize);
      const json = await readExactly(fh, path, 8, headerLength);
      const header = parseSafetensorsHeader(json, { source: path, headerLength, dataLength: fileSize - 8 - headerLength });
      return new SafetensorsFile(path, header, fileSize, fh);
    } catch (e) {
      await fh.close();
      if (e instanceof WeightsError) throw e;
      throw fileError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }

  tensor(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info) throw fileError(this.path, `missing tensor "${name}"`);
    return info;
  }

  /** The tensor's raw bytes, read from disk on demand. */
  async readBytes(name: string): Promise<Uint8Array> {
    const info = this.tensor(name);
    return readExactly(this.fh, this.path, this.header.dataStart + info.begin, info.end - info.begin);
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const info = this.tensor(name);
    if (!isFloatDtype(info.dtype)) {
      throw fileError(this.path, `tensor "${name}" has dtype ${info.dtype}, expected one of ${FLOAT_DTYPES.join(', ')}`);
    }
    return decodeFloats(await this.readBytes(name), info.dtype);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readExactly(fh: FileHandle, path: string, position: number, length: number): Promise<Uint8Array> {
  // A fresh ArrayBuffer per read keeps Float32Array views aligned.
  const out = new Uint8Array(new ArrayBuffer(length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw fileError(path, `truncated: expected ${length} bytes at offset ${position}, the file ends after ${done}`);
    done += bytesRead;
  }
  return out;
}

/** Reads just the header of a safetensors file. */
export async function readSafetensorsHeader(path: string): Promise<{ header: SafetensorsHeader; fileSize: number }> {
  const f = await SafetensorsFile.open(path);
  await f.close();
  return { header: f.header, fileSize: f.fileSize };
}

/**
 * Copies some tensors of `src` (bytes untouched, relative order kept) into a new safetensors file at
 * `dest`, e.g. VGG-19's convs out of a full checkpoint.
 */
export async function copySafetensorsSubset(
  src: string,
  dest: string,
  names: readonly string[],
  opts: { metadata?: Record<string, string> } = {},
): Promise<void> {
  const f = await SafetensorsFile.open(src);
  try {
    const infos = names.map((n) => f.tensor(n)).sort((a, b) => a.begin - b.begin);
    const header = encodeSafetensorsHeader(
      infos.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.end - t.begin })),
      opts.metadata,
    );
    const tmp = tempPathFor(dest);
    try {
      const out = await open(tmp, 'w');
      try {
        await writeAll(out, header.bytes, 0);
        let pos = header.bytes.byteLength;
        for (const t of infos) {
          const bytes = await f.readBytes(t.name);
          await writeAll(out, bytes, pos);
          pos += bytes.byteLength;
        }
      } finally {
        await out.close();
      }
      await rename(tmp, dest);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  } finally {
    await f.close();
  }
}
