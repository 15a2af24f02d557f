// The real executable, spawned: argument handling, the engine (mostly on the wasm backend, once on the
// default onnx-cpu) with stand-in weights, files written, exit codes. Kept to a handful of tiny runs (each spawn costs seconds).
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatLoss } from '../../src/cli/format.ts';
import { OPTION_SPECS, PRESET_VALUES } from '../../src/options.ts';
import { writeRandomWeightsFile } from '../../scripts/lib/random-weights.ts';
import { readLog, type LogLine } from './read-log.ts';
import { IMAGES, spawnCli, type CliResult } from './spawn-cli.ts';

const CONTENT = join(IMAGES, 'tubingen.jpg'); // 1024×768 → 32×24
const STYLE = join(IMAGES, 'starry_night.jpg'); // 1024×640 → 32×20
const STYLE2 = join(IMAGES, 'shipwreck.jpg');
const INIT = join(IMAGES, 'the_scream.jpg');

let dir: string;
let weights: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stylize-cli-e2e-'));
  weights = await writeRandomWeightsFile(join(dir, 'vgg19-random.safetensors'), 7);
});

function fresh(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  return d;
}

function expectCleanLog(log: LogLine[], steps: number): void {
  expect(log.map((l) => l.iter)).toEqual(Array.from({ length: steps + 1 }, (_, k) => k));
  for (const l of log) {
    expect(Object.keys(l)).toEqual(['iter', 'content', 'style', 'tv', 'total', 'ms']);
    for (const v of [l.content, l.style, l.tv, l.total, l.ms]) expect(Number.isFinite(v), JSON.stringify(l)).toBe(true);
    expect(l.ms).toBeGreaterThan(0);
  }
}

async function imageMeta(file: string): Promise<[string | undefined, number | undefined, number | undefined]> {
  const m = await sharp(file).metadata();
  return [m.format, m.width, m.height];
}

/** The printed line of an iteration, matched field by field. */
function progressLine(r: CliResult, iter: number, steps: number): RegExpExecArray {
  const m = new RegExp(
    `^iter ${iter}/${steps}  total (\\S+)  content (\\S+)  style (\\S+)  tv (\\S+)  \\((\\d+\\.\\d\\d) s/it\\)$`,
    'm',
  ).exec(r.stdout);
  expect(m, `line for iteration ${iter} in:\n${r.stdout}`).not.toBeNull();
  return m!;
}

/** total = the weighted sum of the reported parts, to float32 precision. */
function expectWeightedTotal(l: LogLine, cw: number, sw: number, tvw: number): void {
  const expected = cw * l.content + sw * l.style + tvw * l.tv;
  expect(Math.abs(l.total - expected), JSON.stringify(l)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(expected)));
}

function expectDone(r: CliResult, output: string): void {
  expect(r.stdout).toMatch(new RegExp(`^done in \\d+\\.\\d s → ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
}

function expectOk(r: CliResult): void {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
}

describe('stylize (spawned)', () => {
  it('transfer, gatys preset, L-BFGS: PNG, progress lines, --log-json, --save-every', async () => {
    const d = fresh('transfer');
    const out = join(d, 'out.png');
    const log = join(d, 'log.jsonl');
    const r = await spawnCli([
      '--content', CONTENT, '--style', STYLE, '--weights', weights, '--size', '32', '--steps', '3', '-o', out,
      '--backend', 'wasm', '--log-json', log, '--save-every', '2', '--print-every', '2',
    ]);
    expectOk(r);
    expect(await imageMeta(out)).toEqual(['png', 32, 24]);
    expect(await imageMeta(join(d, 'out_2.png'))).toEqual(['png', 32, 24]);
    // Nothing else: no temporary files, no preview at iterations that are not multiples of 2.
    expect(readdirSync(d).sort()).toEqual(['log.jsonl', 'out.png', 'out_2.png']);

    const lines = readLog(log);
    expectCleanLog(lines, 3);
    const { contentWeight, styleWeight } = PRESET_VALUES.gatys;
    for (const l of lines) expectWeightedTotal(l, contentWeight, styleWeight, 0);
    // First, every 2nd and last iteration printed, with the same numbers as the log.
    expect(r.stdout.match(/^iter \d+/gm)).toEqual(['iter 0', 'iter 2', 'iter 3']);
    for (const k of [0, 2, 3]) {
      const m = progressLine(r, k, 3);
      expect(m.slice(1, 5)).toEqual([lines[k].total, lines[k].content, lines[k].style, lines[k].tv].map(formatLoss));
    }
    expectDone(r, out);
  });

  it('with no --backend flag and no GPU backend: runs on onnx-cpu, and its losses match the same run on wasm', async () => {
    const d = fresh('default-backend');
    const args = ['--content', CONTENT, '--style', STYLE, '--weights', weights, '--size', '32', '--steps', '3', '--optimizer', 'adam', '--print-every', '0'];
    const onnx = await spawnCli([...args, '-o', join(d, 'onnx.png'), '--log-json', join(d, 'onnx.jsonl')], {
      // The GPU backends fail explicitly: on a machine with a GPU, auto would rightly take it.
      env: { STYLIZE_LOG_LEVEL: 'info', STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cuda,native-gpu,onnx-webgpu' },
    });
    expect({ code: onnx.code, stderr: onnx.stderr }).toEqual({ code: 0, stderr: '' });
    expect(onnx.stdout).toMatch(/"msg":"engine backend: onnx-cpu \(1 thread\); skipped onnx-cuda: [^"]+; native-gpu: [^"]+; onnx-webgpu: [^"]+"/);
    const wasm = await spawnCli([...args, '-o', join(d, 'wasm.png'), '--log-json', join(d, 'wasm.jsonl'), '--backend', 'wasm']);
    expectOk(wasm);
    const a = readLog(join(d, 'onnx.jsonl'));
    const b = readLog(join(d, 'wasm.jsonl'));
    expect(a).toHaveLength(4);
    a.forEach((l, k) => expect(Math.abs(l.total - b[k].total) / b[k].total, `iteration ${k}`).toBeLessThan(1e-4));
    expect(await imageMeta(join(d, 'onnx.png'))).toEqual(['png', 32, 24]);
  });

  it('texture mode, seed preset, Adam', async () => {
    const d = fresh('texture');
    const out = join(d, 'texture.png');
    const log = join(d, 'log.jsonl');
    const r = await spawnCli([
      '--mode', 'texture', '--style', STYLE, '--preset', 'seed', '--optimizer', 'adam', '--lr', '0.05', '--weights', weights,
      '--size', '32', '--steps', '3', '--print-every', '1', '--output', out, '--backend', 'wasm', '--log-json', log, '--seed', '3',
    ]);
    expectOk(r);
    expect(await imageMeta(out)).toEqual(['png', 32, 20]);
    const lines = readLog(log);
    expectCleanLog(lines, 3);
    expect(lines.every((l) => l.content === 0)).toBe(true);
    expect(lines.every((l) => l.style > 0)).toBe(true);
    expect(r.stdout.match(/^iter \d+\/3/gm)).toEqual(['iter 0/3', 'iter 1/3', 'iter 2/3', 'iter 3/3']);
    expectDone(r, out);
  });

  it('reconstruct mode, tutorial preset, L-BFGS', async () => {
    const d = fresh('reconstruct');
    const out = join(d, 'recon.png');
    const log = join(d, 'log.jsonl');
    const r = await spawnCli([
      '--mode', 'reconstruct', '--content', CONTENT, '--preset', 'tutorial', '--optimizer', 'lbfgs', '--weights', weights,
      '--size', '32', '--steps', '3', '-o', out, '--backend', 'wasm', '--log-json', log,
    ]);
    expectOk(r);
    expect(await imageMeta(out)).toEqual(['png', 32, 24]);
    const lines = readLog(log);
    expectCleanLog(lines, 3);
    expect(lines.every((l) => l.style === 0 && l.content > 0)).toBe(true);
    // From noise, three L-BFGS evaluations must find a lower content loss than the start.
    expect(Math.min(...lines.slice(1).map((l) => l.content))).toBeLessThan(lines[0].content);
    expectDone(r, out);
  });

  it('two blended styles, --init-image, --original-colors, avg pooling, TV weight, JPEG output', async () => {
    const d = fresh('blend');
    const out = join(d, 'blend.jpg');
    const log = join(d, 'log.jsonl');
    const r = await spawnCli([
      '--content', CONTENT, '--style', `${STYLE},${STYLE2}`, '--style-blend', '3,1', '--init-image', INIT, '--original-colors',
      '--pooling', 'avg', '--tv-weight', '10', '--preset', 'seed', '--style-weight', '1000', '--weights', weights,
      '--size', '32', '--steps', '2', '-o', out, '--backend', 'wasm', '--log-json', log, '--print-every', '0',
    ]);
    expectOk(r);
    expect(await imageMeta(out)).toEqual(['jpeg', 32, 24]);
    const lines = readLog(log);
    expectCleanLog(lines, 2);
    for (const l of lines) expectWeightedTotal(l, 1, 1000, 10);
    // --print-every 0: no iteration lines, only the result.
    expect(r.stdout).toMatch(/^done in \d+\.\d s → \S+\n$/);
    expectDone(r, out);
  });

  it('--help lists every flag and exits 0; a bad flag exits 2 with one line and the hint', async () => {
    // Neither loads the engine, so they can share the wait.
    const [help, bad] = await Promise.all([spawnCli(['--help']), spawnCli(['--content', CONTENT, '--style', STYLE, '--steps', '99999'])]);
    expect(help.code).toBe(0);
    for (const s of OPTION_SPECS) expect(help.stdout).toContain(`--${s.flag}`);
    expect(bad).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `stylize: --steps: got "99999", expected a whole number from 0 to 10000\nTry 'stylize --help'.\n`,
    });
  });

  it('without weights and with the download unreachable: exit 1, one line naming the URL and the path', async () => {
    const port = await new Promise<number>((done) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => done(port));
      });
    });
    const url = `http://127.0.0.1:${port}/vgg19.safetensors`;
    const models = fresh('models');
    const out = join(models, 'out.png');
    const args = ['--content', CONTENT, '--style', STYLE, '--size', '32', '--steps', '1', '-o', out, '--backend', 'wasm'];
    const r = await spawnCli([...args, '--log-json', join(models, 'log.jsonl')], {
      env: { STYLIZE_WEIGHTS_URL: url, STYLIZE_MODELS_DIR: models },
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^stylize: could not download the VGG-19 weights from /);
    expect(lines[0]).toContain(url);
    expect(lines[0]).toContain(join(models, 'vgg19.safetensors'));
    // No partial download, no output, no empty log.
    expect(readdirSync(models)).toEqual([]);
  });

  it('Ctrl-C aborts the run: exit 130, no output image, a complete log', async () => {
    const d = fresh('sigint');
    const out = join(d, 'out.png');
    const log = join(d, 'log.jsonl');
    let sent = false;
    const r = await spawnCli(
      [
        '--content', CONTENT, '--style', STYLE, '--preset', 'seed', '--weights', weights, '--size', '16', '--steps', '10000',
        '--print-every', '1', '-o', out, '--backend', 'wasm', '--log-json', log,
      ],
      {
        onStdout(stdout, child) {
          if (!sent && /^iter 2\//m.test(stdout)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 130, stderr: 'stylize: cancelled\n' });
    expect(r.stdout).not.toMatch(/^done/m);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(d)).toEqual(['log.jsonl']);
    const lines = readLog(log);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThan(10000);
  });
});
