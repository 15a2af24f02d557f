// Downloads over real HTTP from a local server serving a full-layout checkpoint (features + a large
// head that a range download must skip).
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { VggWeights } from '../../../src/engine/types.ts';
import { downloadVggWeights } from '../../../src/engine/weights/download.ts';
import { WeightsError } from '../../../src/engine/weights/errors.ts';
import { readSafetensorsHeader, writeSafetensors } from '../../../src/engine/weights/safetensors.ts';
import type { WritableTensor } from '../../../src/engine/weights/safetensors.ts';
import { readSidecar, sha256File } from '../../../src/engine/weights/sidecar.ts';
import { loadVggWeights } from '../../../src/engine/weights/vgg-weights.ts';
import { deadUrl, startFileServer } from '../../helpers/file-server.ts';
import type { FileServer } from '../../helpers/file-server.ts';
import { firstDifference, randomVggWeights, vggTensors, writeRandomWeightsFile } from '../../../scripts/lib/random-weights.ts';

const SEED = 11;
let dir: string;
let source: string;
let sourceSize: number;
/** Data bytes of the 32 conv tensors in the source (F16). */
let featureBytes: number;
let expected: VggWeights;
let server: FileServer | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylize-dl-'));
  source = await writeRandomWeightsFile(join(dir, 'source.safetensors'), SEED, {
    dtype: 'F16',
    // 8 MB of classifier after features, as in timm's file (where it is 495 MB).
    extraTensors: { 'head.fc.weight': { shape: [1000, 2048], dtype: 'F16' }, 'head.fc.bias': { shape: [1000] } },
  });
  sourceSize = (await stat(source)).size;
  const { header } = await readSafetensorsHeader(source);
  featureBytes = [...header.tensors.values()].filter((t) => t.name.startsWith('features.')).reduce((s, t) => s + t.end - t.begin, 0);
  expected = await loadVggWeights(source);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

let caseNo = 0;
async function freshDir(): Promise<string> {
  const d = join(dir, `case-${++caseNo}`);
  await rm(d, { recursive: true, force: true });
  await mkdir(d);
  return d;
}

async function expectSameWeights(path: string): Promise<void> {
  const got = await loadVggWeights(path);
  got.forEach((c, k) => {
    expect(firstDifference(c.weight, expected[k].weight)).toBe(-1);
    expect(firstDifference(c.bias, expected[k].bias)).toBe(-1);
  });
}

async function downloadError(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WeightsError);
  expect((err as Error).message).not.toContain('\n');
  return err as Error;
}

describe('downloadVggWeights', () => {
  it('fetches only the header and the conv tensors when the server honours Range', async () => {
    server = await startFileServer({ file: source });
    const out = await freshDir();
    const dest = join(out, 'vgg19.safetensors');
    const progress: [number, number][] = [];
    const result = await downloadVggWeights({ url: server.url, dest, onProgress: (d, t) => progress.push([d, t]) });

    expect(result.mode).toBe('ranges');
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    expect(server.requests.every((r) => r.range !== undefined && r.status === 206)).toBe(true);
    expect(server.requests[0].range).toBe('bytes=0-7');
    expect(server.requests.every((r) => r.acceptEncoding === 'identity')).toBe(true);
    // Header + features only: the 4 MB head never crosses the wire.
    expect(server.bytesSent()).toBeGreaterThanOrEqual(featureBytes);
    expect(server.bytesSent()).toBeLessThan(featureBytes + 64 * 1024);
    expect(server.bytesSent()).toBeLessThan(sourceSize - 4_000_000);
    expect(result.bytesReceived).toBe(server.bytesSent());

    const { header } = await readSafetensorsHeader(dest);
    expect([...header.tensors.keys()].every((n) => n.startsWith('features.'))).toBe(true);
    expect(header.tensors.size).toBe(32);
    await expectSameWeights(dest);

    const sidecar = await readSidecar(dest);
    expect(sidecar).toMatchObject({ size: (await stat(dest)).size, sha256: await sha256File(dest), url: server.url, mode: 'ranges' });
    expect(Number.isNaN(Date.parse(sidecar!.date))).toBe(false);
    expect((await readdir(out)).sort()).toEqual(['vgg19.safetensors', 'vgg19.safetensors.json']);

    const [lastDone, lastTotal] = progress[progress.length - 1];
    expect(lastDone).toBe(lastTotal);
    expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1][0])).toBe(true);
  });

  it('downloads the whole file, streamed, when the server ignores Range, and keeps only the convs', async () => {
    server = await startFileServer({ file: source, ranges: false });
    const out = await freshDir();
    const dest = join(out, 'vgg19.safetensors');
    const progress: [number, number][] = [];
    const result = await downloadVggWeights({ url: server.url, dest, onProgress: (d, t) => progress.push([d, t]) });

    expect(result.mode).toBe('full');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ range: 'bytes=0-7', status: 200 });
    expect(server.bytesSent()).toBe(sourceSize);
    expect(progress[progress.length - 1]).toEqual([sourceSize, sourceSize]);
    const { header } = await readSafetensorsHeader(dest);
    expect(header.tensors.has('head.fc.weight')).toBe(false);
    await expectSameWeights(dest);
    expect((await readSidecar(dest))?.mode).toBe('full');
    expect((await readdir(out)).sort()).toEqual(['vgg19.safetensors', 'vgg19.safetensors.json']);
  });

  it('follows redirects and sends Range to every hop', async () => {
    server = await startFileServer({ file: source, redirects: 2 });
    const out = await freshDir();
    const dest = join(out, 'vgg19.safetensors');
    const result = await downloadVggWeights({ url: server.url, dest });
    expect(result.mode).toBe('ranges');
    const cdn = server.requests.filter((r) => r.path === '/cdn/model.safetensors');
    const hops = server.requests.filter((r) => r.path !== '/cdn/model.safetensors');
    expect(cdn.length).toBeGreaterThanOrEqual(3);
    expect(hops.every((r) => r.status === 302 && r.range !== undefined)).toBe(true);
    expect(cdn.every((r) => r.status === 206 && r.range !== undefined)).toBe(true);
    expect(server.bytesSent()).toBeLessThan(featureBytes + 64 * 1024);
    await expectSameWeights(dest);
  });

  it('fetches interleaved tensors in several ranges and skips what lies between them', async () => {
    // Classifier chunks of 256 KB before every 4th conv: with no gap allowance each block is a request.
    const tensors: [string, WritableTensor][] = [];
    const convs = vggTensors(randomVggWeights(SEED), { dtype: 'BF16' });
    for (let i = 0; i < convs.length; i++) {
      if (i % 8 === 0) tensors.push([`junk.${i}`, { shape: [65536], data: new Float32Array(65536).fill(i) }]);
      tensors.push(convs[i]);
    }
    const file = join(dir, 'interleaved.safetensors');
    await writeSafetensors(file, tensors);
    const inFile = await loadVggWeights(file);
    server = await startFileServer({ file });
    const dest = join(await freshDir(), 'vgg19.safetensors');
    await downloadVggWeights({ url: server.url, dest, maxGapBytes: 0 });
    expect(server.requests).toHaveLength(2 + 4);
    const got = await loadVggWeights(dest);
    got.forEach((c, k) => {
      expect(firstDifference(c.weight, inFile[k].weight)).toBe(-1);
      expect(firstDifference(c.bias, inFile[k].bias)).toBe(-1);
    });
    const junkBytes = 4 * 65536 * 4;
    expect(server.bytesSent()).toBeLessThanOrEqual((await stat(file)).size - junkBytes);

    // With a gap allowance the same file takes one data request, the junk fetched and dropped.
    await server.close();
    server = await startFileServer({ file });
    const dest2 = join(await freshDir(), 'vgg19.safetensors');
    await downloadVggWeights({ url: server.url, dest: dest2, maxGapBytes: 1 << 20 });
    expect(server.requests).toHaveLength(2 + 1);
    const dataOf = async (p: string): Promise<Buffer> => (await readFile(p)).subarray((await readSafetensorsHeader(p)).header.dataStart);
    expect(Buffer.compare(await dataOf(dest), await dataOf(dest2))).toBe(0);
  });

  for (const ranges of [true, false]) {
    it(`fails cleanly when the connection is cut mid-way (${ranges ? 'range' : 'full'} download)`, async () => {
      server = await startFileServer({ file: source, ranges, cutAfterBytes: 3_000_000 });
      const out = await freshDir();
      const dest = join(out, 'vgg19.safetensors');
      const err = await downloadError(downloadVggWeights({ url: server.url, dest }));
      expect(err.message).toContain(server.url);
      expect(err.message).toContain(dest);
      expect(err.message).toMatch(/connection (lost|closed)/);
      expect(await readdir(out)).toEqual([]);
    });
  }

  it('aborts a stalled connection after the configured time', async () => {
    server = await startFileServer({ file: source, stallAfterBytes: 1_000_000 });
    const out = await freshDir();
    const dest = join(out, 'vgg19.safetensors');
    const started = Date.now();
    const err = await downloadError(downloadVggWeights({ url: server.url, dest, stallTimeoutMs: 400 }));
    expect(err.message).toMatch(/stalled: no data for 0.4 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await readdir(out)).toEqual([]);
  });

  it('reports an HTTP error status with the URL and where to put the file', async () => {
    server = await startFileServer({ file: source, status: 404 });
    const out = await freshDir();
    const dest = join(out, 'vgg19.safetensors');
    const err = await downloadError(downloadVggWeights({ url: server.url, dest, manualHint: 'or point STYLIZE_WEIGHTS at it' }));
    expect(err.message).toMatch(/HTTP 404/);
    expect(err.message).toContain(`could not download the VGG-19 weights from ${server.url}`);
    expect(err.message).toContain(`save it as ${dest}, or point STYLIZE_WEIGHTS at it`);
    expect(await readdir(out)).toEqual([]);
  });

  it('reports an unreachable server', async () => {
    const url = await deadUrl();
    const out = await freshDir();
    const err = await downloadError(downloadVggWeights({ url, dest: join(out, 'vgg19.safetensors') }));
    expect(err.message).toMatch(/connection failed \(ECONNREFUSED\)/);
    expect(err.message).toContain(url);
  });

  it('refuses a file that is not VGG-19 after reading only its header', async () => {
    const file = join(dir, 'not-vgg.safetensors');
    await writeSafetensors(file, { 'encoder.weight': { shape: [1024, 1024], data: new Float32Array(1024 * 1024) } });
    server = await startFileServer({ file });
    const out = await freshDir();
    const err = await downloadError(downloadVggWeights({ url: server.url, dest: join(out, 'vgg19.safetensors') }));
    expect(err.message).toMatch(/missing tensor features\.0\.weight/);
    expect(server.bytesSent()).toBeLessThan(1000);
    expect(await readdir(out)).toEqual([]);
  });

  it('writes a sidecar that catches later corruption on load', async () => {
    server = await startFileServer({ file: source });
    const dest = join(await freshDir(), 'vgg19.safetensors');
    await downloadVggWeights({ url: server.url, dest });
    const bytes = await readFile(dest);
    bytes[Math.floor(bytes.byteLength / 2)] ^= 0x40;
    await writeFile(dest, bytes);
    const err = await downloadError(loadVggWeights(dest));
    expect(err.message).toMatch(/sha256 .* differs .* Delete .*vgg19\.safetensors to re-download/);
  });

  it('stops on cancellation without leaving files', async () => {
    server = await startFileServer({ file: source, stallAfterBytes: 1_000_000 });
    const out = await freshDir();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(downloadVggWeights({ url: server.url, dest: join(out, 'vgg19.safetensors'), signal: ac.signal })).rejects.toThrow('cancelled');
    expect(await readdir(out)).toEqual([]);
  });
});
