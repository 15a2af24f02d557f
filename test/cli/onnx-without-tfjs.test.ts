// The engine boundary as a user meets it: on onnx-cpu, a run from any starting image (--init noise,
// content, style, image) works and the process never loads tfjs. Loading tfjs there is the bug this
// guards: tfjs-core without a registered backend fails with "No backend found in registry."
// Each run is a fresh spawned CLI whose loaded modules are recorded by a preload
// (fixtures/record-modules.mjs); a wasm run checks that the recorder does see tfjs when it is loaded.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { INITS, type Init } from '../../src/options.ts';
import { makePng } from '../../scripts/lib/png.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { spawnCli, type CliResult } from './spawn-cli.ts';

const RECORDER = pathToFileURL(join(import.meta.dirname, 'fixtures/record-modules.mjs')).href;

let dir: string;
let weights: string;
let content: string;
let style: string;
let initImage: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-cli-no-tfjs-'));
  weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
  // Every start needs a resize: content 64×48 → 32×24; the style (80×50) and the init image (40×40) are stretched to it.
  [content, style, initImage] = await Promise.all(
    ([['content', 64, 48, 1], ['style', 80, 50, 2], ['init', 40, 40, 3]] as const).map(async ([name, w, h, seed]) => {
      const file = join(dir, `${name}.png`);
      writeFileSync(file, await makePng(w, h, seed));
      return file;
    }),
  );
});

/** The CLI on `backend` with the module recorder preloaded: its result and every module it loaded. */
async function runRecorded(name: string, backend: string, args: string[]): Promise<{ r: CliResult; modules: string[]; output: string }> {
  const log = join(dir, `${name}.modules`);
  const output = join(dir, `${name}.png`);
  const r = await spawnCli(
    ['--content', content, '--style', style, '--weights', weights, '--size', '32', '--steps', '1', '--backend', backend, '-o', output, ...args],
    { env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${RECORDER}`.trim(), STYLIZE_TEST_MODULE_LOG: log } },
  );
  return { r, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean), output };
}

const tensorflow = (modules: string[]) => modules.filter((m) => m.includes('/@tensorflow/'));

function initArgs(init: Init): string[] {
  return init === 'image' ? ['--init', 'image', '--init-image', initImage] : ['--init', init];
}

describe('onnx-cpu never loads tfjs (spawned CLI, modules recorded)', () => {
  it.each(INITS)('--init %s runs on onnx-cpu without loading @tensorflow/*', async (init) => {
    const { r, modules, output } = await runRecorded(`onnx-${init}`, 'onnx-cpu', initArgs(init));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^iter 1\/1 {2}total \S+/m);
    const meta = await sharp(output).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 32, 24]);
    // The recorder saw the engine that ran (both through import and require), so an empty list means no tfjs.
    expect(modules.some((m) => m.startsWith('import ') && m.includes('/onnxruntime-node/'))).toBe(true);
    expect(modules.some((m) => m.startsWith('require ') && m.includes('/onnxruntime-node/'))).toBe(true);
    expect(tensorflow(modules)).toEqual([]);
  });

  it('the recorder sees tfjs when a run loads it (wasm)', async () => {
    const { r, modules } = await runRecorded('wasm-style', 'wasm', initArgs('style'));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    const seen = tensorflow(modules);
    expect(seen.some((m) => m.startsWith('import ') && m.includes('/@tensorflow/tfjs-core/'))).toBe(true);
    expect(seen.some((m) => m.startsWith('require ') && m.includes('/@tensorflow/tfjs-core/'))).toBe(true);
    expect(modules.some((m) => m.includes('/onnxruntime-node/'))).toBe(false);
  });
});
