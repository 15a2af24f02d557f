import { mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VggWeights } from '../../../src/engine/types.ts';
import { WeightsError } from '../../../src/engine/weights/errors.ts';
import { decodeFloats, encodeFloats, readSafetensorsHeader, writeSafetensors } from '../../../src/engine/weights/safetensors.ts';
import type { WritableTensor } from '../../../src/engine/weights/safetensors.ts';
import { sha256File, writeSidecar } from '../../../src/engine/weights/sidecar.ts';
import { VGG19_TENSOR_NAMES, loadVggWeights } from '../../../src/engine/weights/vgg-weights.ts';
import { firstDifference, randomVggWeights, vggTensors, writeRandomWeightsFile } from '../../../scripts/lib/random-weights.ts';

let dir: string;
let reference: VggWeights;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylize-vgg-'));
  reference = randomVggWeights(7);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const CHANNELS = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 256],
  [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512]];

async function expectWeightsError(path: string, message: RegExp): Promise<void> {
  const err = await loadVggWeights(path).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WeightsError);
  expect((err as Error).message).toContain(path);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('\n');
}

/** The real layout as BF16 (half the bytes; these cases fail on the header), edited by `edit`. */
async function variant(name: string, edit: (tensors: [string, WritableTensor][]) => [string, WritableTensor][]): Promise<string> {
  const path = join(dir, name);
  await writeSafetensors(path, edit(vggTensors(reference, { dtype: 'BF16' })));
  return path;
}

describe('loadVggWeights', () => {
  it('loads an F32 file exactly, with the VGG-19 channel plan', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'f32.safetensors'), 7);
    const loaded = await loadVggWeights(path);
    expect(loaded.map((c) => [c.cin, c.cout])).toEqual(CHANNELS);
    loaded.forEach((c, k) => {
      expect(c.weight.length).toBe(c.cout * c.cin * 9);
      expect(firstDifference(c.weight, reference[k].weight)).toBe(-1);
      expect(firstDifference(c.bias, reference[k].bias)).toBe(-1);
    });
  });

  it('accepts a prefix and ignores other tensors (classifier, head)', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'prefixed.safetensors'), 7, {
      prefix: 'model.',
      extraTensors: { 'model.classifier.0.weight': { shape: [16, 8] }, 'head.fc.weight': { shape: [10, 4] } },
    });
    const { header } = await readSafetensorsHeader(path);
    expect(header.tensors.has('model.features.0.weight')).toBe(true);
    expect(header.tensors.has('head.fc.weight')).toBe(true);
    const loaded = await loadVggWeights(path);
    expect(firstDifference(loaded[15].weight, reference[15].weight)).toBe(-1);
    expect(firstDifference(loaded[0].bias, reference[0].bias)).toBe(-1);
  });

  for (const [dtype, relTol] of [['F16', 2 ** -11], ['BF16', 2 ** -8]] as const) {
    it(`decodes ${dtype} to the nearest ${dtype} value of each weight`, async () => {
      const path = await writeRandomWeightsFile(join(dir, `${dtype}.safetensors`), 7, { dtype });
      const loaded = await loadVggWeights(path);
      let changed = 0;
      let worst = 0;
      loaded.forEach((c, k) => {
        const ref = reference[k].weight;
        expect(firstDifference(c.weight, decodeFloats(encodeFloats(ref, dtype), dtype))).toBe(-1);
        // Independent of the codec: every value within half an ulp of the format's precision.
        for (let i = 0; i < ref.length; i++) {
          worst = Math.max(worst, Math.abs(c.weight[i] - ref[i]) - (Math.abs(ref[i]) * relTol + 2 ** -24));
          if (c.weight[i] !== ref[i]) changed++;
        }
      });
      expect(worst).toBeLessThanOrEqual(0);
      expect(changed).toBeGreaterThan(1_000_000);
    });
  }

  it('reports a truncated file', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'truncated.safetensors'), 7, { dtype: 'BF16' });
    await truncate(path, 20_000_000);
    await expectWeightsError(path, /truncated/);
  });

  it('reports a header cut short by truncation', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'cut-header.safetensors'), 7, { dtype: 'BF16' });
    await truncate(path, 100);
    await expectWeightsError(path, /header length \d+ runs past the end of the file \(100 bytes\)/);
  });

  it('reports a header that is not JSON', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'bad-json.safetensors'), 7, { dtype: 'BF16' });
    const fh = await open(path, 'r+');
    await fh.write(Buffer.from('#'), 0, 1, 9);
    await fh.close();
    await expectWeightsError(path, /bad header: not valid JSON/);
  });

  it('reports a missing tensor', async () => {
    const path = await variant('missing.safetensors', (t) => t.filter(([n]) => n !== 'features.34.bias'));
    await expectWeightsError(path, /missing tensor features\.34\.bias/);
  });

  it('reports a file with no VGG features at all', async () => {
    const path = join(dir, 'other.safetensors');
    await writeSafetensors(path, { 'encoder.conv.weight': { shape: [4, 3, 3, 3], data: new Float32Array(108) } });
    await expectWeightsError(path, /missing tensor features\.0\.weight.*VGG-19/);
  });

  it('reports a wrong shape', async () => {
    const path = await variant('shape.safetensors', (t) =>
      t.map(([n, x]) => [n, n === 'features.5.weight' ? { shape: [128, 32, 3, 3], data: new Float32Array(128 * 32 * 9), dtype: 'BF16' } : x]));
    await expectWeightsError(path, /tensor features\.5\.weight has shape \[128, 32, 3, 3\], expected \[128, 64, 3, 3\]/);
  });

  it('reports a wrong rank with the right element count', async () => {
    const path = await variant('rank.safetensors', (t) =>
      t.map(([n, x]) => [n, n === 'features.2.weight' ? { shape: [64, 576], data: (x as { data: Float32Array }).data, dtype: 'BF16' } : x]));
    await expectWeightsError(path, /features\.2\.weight has shape \[64, 576\], expected \[64, 64, 3, 3\]/);
  });

  it('reports a wrong dtype', async () => {
    const path = await variant('dtype.safetensors', (t) =>
      t.map(([n, x]) => [n, n === 'features.0.bias' ? { shape: [64], bytes: new Uint8Array(64 * 8), dtype: 'F64' } : x]));
    await expectWeightsError(path, /tensor features\.0\.bias has dtype F64, expected one of F32, F16, BF16/);
  });

  it('reports non-finite weights', async () => {
    const bad = reference[3].bias.slice();
    bad[17] = NaN;
    const path = join(dir, 'nan.safetensors');
    await writeSafetensors(path, vggTensors(reference.map((c, k) => (k === 3 ? { ...c, bias: bad } : c))));
    await expectWeightsError(path, /tensor features\.7\.bias contains NaN at element 17/);
  });

  it('checks the sidecar: a changed byte or size is refused with advice to delete the file', async () => {
    const path = await writeRandomWeightsFile(join(dir, 'sidecar.safetensors'), 7, { dtype: 'BF16' });
    const bytes = await readFile(path);
    await writeSidecar(path, { size: bytes.byteLength, sha256: await sha256File(path), url: 'test', date: new Date().toISOString() });
    const loaded = await loadVggWeights(path);
    expect(firstDifference(loaded[0].bias, decodeFloats(encodeFloats(reference[0].bias, 'BF16'), 'BF16'))).toBe(-1);

    bytes[bytes.byteLength - 5] ^= 0x01;
    await writeFile(path, bytes);
    await expectWeightsError(path, /sha256 .* differs .* Delete .*sidecar\.safetensors to re-download/);
    await expect(loadVggWeights(path, { verify: false })).resolves.toHaveLength(16);

    await writeFile(path, Buffer.concat([bytes, Buffer.from([0])]));
    await expectWeightsError(path, /size \d+ bytes differs from the \d+ recorded/);

    await writeFile(`${path}.json`, 'not json');
    await expectWeightsError(path, /checksum record .*sidecar\.safetensors\.json is unreadable/);
  });

  it('knows all 32 torchvision tensor names', () => {
    expect(VGG19_TENSOR_NAMES).toHaveLength(32);
    expect(VGG19_TENSOR_NAMES.slice(0, 4)).toEqual(['features.0.weight', 'features.0.bias', 'features.2.weight', 'features.2.bias']);
    expect(VGG19_TENSOR_NAMES.at(-1)).toBe('features.34.bias');
  });
});
