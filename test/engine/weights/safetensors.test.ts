import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/engine/weights/errors.ts';
import {
  SafetensorsFile,
  copySafetensorsSubset,
  decodeFloats,
  encodeFloats,
  readSafetensorsHeader,
  writeSafetensors,
} from '../../../src/engine/weights/safetensors.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylize-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function u16Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(2 * i, v, true));
  return out;
}

/** A file made of an 8-byte length, the given header text and `dataBytes` zero bytes. */
async function rawFile(name: string, headerText: string, dataBytes: number, declaredLength?: number): Promise<string> {
  const header = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + header.byteLength + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(declaredLength ?? header.byteLength), true);
  bytes.set(header, 8);
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe('F16 / BF16 decoding', () => {
  it('decodes F16 bit patterns per IEEE 754 binary16', () => {
    // 1, -2, max finite, min subnormal, min normal, -0, +inf, 1/3 rounded, 0.5 + 2^-11
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x8000, 0x7c00, 0x3555, 0x3801];
    const out = decodeFloats(u16Bytes(bits), 'F16');
    expect(Array.from(out)).toEqual([1, -2, 65504, 2 ** -24, 2 ** -14, -0, Infinity, 1365 / 4096, 0.5 + 2 ** -11]);
    expect(Object.is(out[5], -0)).toBe(true);
    expect(Number.isNaN(decodeFloats(u16Bytes([0x7e00]), 'F16')[0])).toBe(true);
  });

  it('decodes BF16 as the upper half of a float32', () => {
    // 1, -2, 3.140625 (0x4049), 2^-126 (0x0080), -inf
    const out = decodeFloats(u16Bytes([0x3f80, 0xc000, 0x4049, 0x0080, 0xff80]), 'BF16');
    expect(Array.from(out)).toEqual([1, -2, 3.140625, 2 ** -126, -Infinity]);
  });

  it('encodes with round-to-nearest-even and survives a round trip', () => {
    const values = new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -25, 3 * 2 ** -26, -1e-10, 0.1]);
    const half = decodeFloats(encodeFloats(values, 'F16'), 'F16');
    // ties to even: 1+2^-11 → 1, 1+3·2^-11 → 1+2^-9; overflow → inf; 2^-25 (a tie with 0) → 0
    expect(Array.from(half.slice(0, 5))).toEqual([1, 1 + 2 ** -9, Infinity, 0, 2 ** -24]);
    expect(Object.is(half[5], -0)).toBe(true);
    expect(Math.abs(half[6] - 0.1)).toBeLessThan(0.1 * 2 ** -11);
    const bf = decodeFloats(encodeFloats(new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 0.1]), 'BF16'), 'BF16');
    expect(bf[0]).toBe(1);
    expect(bf[1]).toBe(1 + 2 ** -6);
    expect(Math.abs(bf[2] - 0.1)).toBeLessThan(0.1 * 2 ** -8);
  });
});

describe('writeSafetensors + SafetensorsFile', () => {
  it('round-trips F32, F16 and BF16 tensors, keeps metadata, pads the header to 8 bytes', async () => {
    const path = join(dir, 'rt.safetensors');
    const a = new Float32Array([0.5, -1.25, 3, 1e-3, 7, 8]);
    await writeSafetensors(path, {
      a: { shape: [2, 3], data: a },
      h: { shape: [4], data: new Float32Array([1, 2, -0.5, 1024]), dtype: 'F16' },
      b: { shape: [2], data: new Float32Array([1.5, -3]), dtype: 'BF16' },
      raw: { shape: [3], bytes: new Uint8Array([1, 2, 3]), dtype: 'U8' },
    }, { metadata: { format: 'pt' } });
    const f = await SafetensorsFile.open(path);
    try {
      expect(f.header.headerLength % 8).toBe(0);
      expect([...f.header.tensors.keys()]).toEqual(['a', 'h', 'b', 'raw']);
      expect(f.header.metadata).toEqual({ format: 'pt' });
      expect(f.tensor('a')).toMatchObject({ dtype: 'F32', shape: [2, 3] });
      expect(Array.from(await f.readFloat32('a'))).toEqual(Array.from(a));
      expect(Array.from(await f.readFloat32('h'))).toEqual([1, 2, -0.5, 1024]);
      expect(Array.from(await f.readFloat32('b'))).toEqual([1.5, -3]);
      expect(Array.from(await f.readBytes('raw'))).toEqual([1, 2, 3]);
      await expect(f.readFloat32('raw')).rejects.toThrow(/dtype U8/);
      await expect(f.readFloat32('nope')).rejects.toThrow(/missing tensor "nope"/);
    } finally {
      await f.close();
    }
  });

  it('copies a subset of tensors byte for byte', async () => {
    const src = join(dir, 'src.safetensors');
    const dest = join(dir, 'subset.safetensors');
    await writeSafetensors(src, [
      ['x', { shape: [3], data: new Float32Array([1, 2, 3]) }],
      ['drop', { shape: [1000], data: new Float32Array(1000).fill(9) }],
      ['y', { shape: [2], data: new Float32Array([4, 5]), dtype: 'F16' }],
    ]);
    await copySafetensorsSubset(src, dest, ['y', 'x'], { metadata: { source: 'test' } });
    const { header, fileSize } = await readSafetensorsHeader(dest);
    expect([...header.tensors.keys()]).toEqual(['x', 'y']);
    expect(fileSize).toBe(header.dataStart + 12 + 4);
    const f = await SafetensorsFile.open(dest);
    expect(Array.from(await f.readFloat32('y'))).toEqual([4, 5]);
    expect(Array.from(await f.readFloat32('x'))).toEqual([1, 2, 3]);
    await f.close();
  });

  it('refuses data that does not fit the shape', async () => {
    await expect(writeSafetensors(join(dir, 'bad.safetensors'), { a: { shape: [2, 2], data: new Float32Array(3) } })).rejects.toThrow(/do not fit shape \[2, 2\]/);
  });
});

describe('header errors: one WeightsError naming the file', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['a file shorter than 8 bytes', async () => {
      const p = join(dir, 'tiny.safetensors');
      await writeFile(p, new Uint8Array([1, 2, 3]));
      return p;
    }, /truncated: 3 bytes/],
    ['a header length past the end of the file', () => rawFile('past.safetensors', '{}', 0, 5000), /header length 5000 runs past the end of the file/],
    ['a header that is not JSON', () => rawFile('nojson.safetensors', '{"a": [1, 2', 0), /not valid JSON/],
    ['a JSON array header', () => rawFile('array.safetensors', '[1, 2, 3]', 0), /not an object/],
    ['offsets outside the data section', () => rawFile('outside.safetensors', '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', 8), /tensor "a" ends at byte 16 of the data section, which holds only 8 bytes/],
    ['offsets that disagree with the shape', () => rawFile('span.safetensors', '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}}', 12), /needs 16 bytes but its data_offsets span 12/],
    ['reversed offsets', () => rawFile('rev.safetensors', '{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', 8), /invalid data_offsets/],
    ['a missing shape', () => rawFile('noshape.safetensors', '{"a":{"dtype":"F32","data_offsets":[0,4]}}', 4), /invalid shape/],
    ['a zip (PyTorch .pth)', async () => {
      const p = join(dir, 'model.pth');
      await writeFile(p, Buffer.from('PK\x03\x04 not really a zip but enough bytes'));
      return p;
    }, /zip archive/],
    ['a huge header length', async () => {
      const p = join(dir, 'huge.safetensors');
      await writeFile(p, Buffer.from('GIF89a..........'));
      return p;
    }, /impossible — not a safetensors file/],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}`, async () => {
      const path = await make();
      const err = await SafetensorsFile.open(path).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(WeightsError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('names a missing file and a directory plainly', async () => {
    await expect(SafetensorsFile.open(join(dir, 'absent.safetensors'))).rejects.toThrow(/absent\.safetensors: no such file/);
    await expect(SafetensorsFile.open(dir)).rejects.toThrow(/is a directory/);
  });

  it('reads a file written by the reference layout (unpadded header, tensors out of name order)', async () => {
    // Handcrafted, not from writeSafetensors: the reader must not depend on our writer's choices.
    const header = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const path = await rawFile('ref.safetensors', header, 12);
    const bytes = new Uint8Array(await readFile(path));
    const dv = new DataView(bytes.buffer);
    const start = 8 + header.length;
    dv.setFloat32(start, 42, true);
    dv.setFloat32(start + 4, -1, true);
    dv.setFloat32(start + 8, 2.5, true);
    await writeFile(path, bytes);
    const f = await SafetensorsFile.open(path);
    expect(Array.from(await f.readFloat32('w'))).toEqual([-1, 2.5]);
    expect(Array.from(await f.readFloat32('b'))).toEqual([42]);
    await f.close();
  });
});
