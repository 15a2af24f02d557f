// Backend choice in a fresh process each time: `auto` takes the fastest backend that starts and logs
// why it skipped the others; a forced backend that cannot start is a one-line error naming it.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineThreads } from '../../src/engine/start-engine.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Whether onnxruntime-node's CUDA provider library was downloaded (ONNXRUNTIME_NODE_INSTALL=cuda12). */
function cudaProviderInstalled(): boolean {
  const bin = path.join(path.dirname(require.resolve('onnxruntime-node/package.json')), 'bin');
  return readdirSync(bin, { recursive: true, encoding: 'utf8' }).some((f) => /onnxruntime_providers_cuda\.(so|dll)$/.test(f));
}

interface Outcome {
  backend?: string;
  error?: string;
  logs: { msg?: string; backend?: string; skipped?: Record<string, string> }[];
}

function choose(choice: string, env: Record<string, string> = {}): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/engine/fixtures/choose-backend.ts', choice], {
    cwd: REPO,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STYLIZE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      const lines = out.trim().split('\n').filter((l) => l.startsWith('{'));
      const last = JSON.parse(err.trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as Outcome;
      resolve({ ...last, logs: lines.map((l) => JSON.parse(l) as Outcome['logs'][number]) });
    });
  });
}

describe('engine backend choice', () => {
  // The GPU backends are failed explicitly: on a machine with a GPU (or a software Vulkan driver)
  // they might start, and what these tests check is the choice logic, not this machine.
  const NO_GPU = { STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cuda,native-gpu,onnx-webgpu' };

  it('auto takes the first backend that starts (onnx-cpu when the GPU ones fail) and logs once why each was skipped', async () => {
    const r = await choose('auto', NO_GPU);
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('onnx-cpu');
    const chosen = r.logs.filter((l) => l.msg?.startsWith('engine backend:'));
    expect(chosen, JSON.stringify(r.logs)).toHaveLength(1);
    expect(Object.keys(chosen[0].skipped ?? {})).toEqual(['onnx-cuda', 'native-gpu', 'onnx-webgpu']);
    expect(chosen[0].skipped?.['native-gpu']).toBe('disabled by STYLIZE_TEST_FAIL_BACKENDS');
    expect(chosen[0].msg ?? '').toMatch(/^engine backend: onnx-cpu \(1 thread\); skipped onnx-cuda: .+; native-gpu: .+; onnx-webgpu: .+$/);
  });

  it('auto falls through to the tfjs chain when the ONNX providers fail', async () => {
    const r = await choose('auto', { STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cuda,native-gpu,onnx-webgpu,onnx-cpu,native-cpu' });
    expect(r.backend).toBe('wasm');
    const chosen = r.logs.find((l) => l.msg?.startsWith('engine backend:'));
    expect(chosen?.skipped?.['onnx-cpu']).toBe('disabled by STYLIZE_TEST_FAIL_BACKENDS');
    expect(Object.keys(chosen?.skipped ?? {})).toEqual(['onnx-cuda', 'native-gpu', 'onnx-webgpu', 'onnx-cpu', 'native-cpu']);
  });

  it('auto with every backend failing names each one', async () => {
    const r = await choose('auto', { STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cuda,native-gpu,onnx-webgpu,onnx-cpu,native-cpu,wasm,cpu' });
    expect(r.error).toMatch(/^no engine backend could start \(onnx-cuda: .+; native-gpu: .+; onnx-webgpu: .+; onnx-cpu: .+; native-cpu: .+; wasm: .+; cpu: .+\)$/);
  });

  it('a forced backend that cannot start is a one-line error naming it', async () => {
    for (const backend of ['onnx-cuda', 'native-gpu', 'onnx-webgpu']) {
      const r = await choose(backend, NO_GPU);
      expect(r.error).toBe(`${backend}: disabled by STYLIZE_TEST_FAIL_BACKENDS`);
    }
    expect((await choose('tpu')).error).toMatch(/^unknown backend "tpu": use one of auto, onnx-cuda, native-gpu, onnx-webgpu, onnx-cpu, native-cpu, wasm, cpu$/);
  });

  it.runIf(process.platform === 'linux')('onnx-webgpu with no Vulkan driver at all: "no GPU adapter found", on one line', async () => {
    // Pointing the Vulkan loader at a driver list that does not exist takes every driver away,
    // GPU or software, so Dawn really finds no adapter on any Linux machine.
    const r = await choose('onnx-webgpu', { VK_DRIVER_FILES: '/nonexistent/none.json', VK_ICD_FILENAMES: '/nonexistent/none.json' });
    expect(r.error).toMatch(/^onnx-webgpu: no GPU adapter found \(Failed to get a WebGPU adapter/);
    expect(r.error).not.toContain('\n');
  });

  // Only where the pieces are missing (most machines): with them installed these backends may start.
  it.runIf(!cudaProviderInstalled())('forced onnx-cuda without its provider library: the install hint', async () => {
    expect((await choose('onnx-cuda')).error).toMatch(/^onnx-cuda: the CUDA provider could not be loaded [^\n]+$/);
  });

  it.runIf(!installed('@tensorflow/tfjs-node-gpu'))('forced native-gpu without tfjs-node-gpu: says it is not installed', async () => {
    expect((await choose('native-gpu')).error).toMatch(/^native-gpu: @tensorflow\/tfjs-node-gpu is not installed[^\n]+$/);
  });

  it('forced onnx-cpu and wasm start', async () => {
    expect((await choose('onnx-cpu')).backend).toBe('onnx-cpu');
    expect((await choose('wasm')).backend).toBe('wasm');
  });

  it('STYLIZE_BACKEND is the default choice', async () => {
    expect((await choose('', { STYLIZE_BACKEND: 'wasm' })).backend).toBe('wasm');
  });

  it('engine threads: STYLIZE_ENGINE_THREADS, then STYLIZE_WASM_THREADS, then every core', () => {
    expect(engineThreads({ STYLIZE_ENGINE_THREADS: '3', STYLIZE_WASM_THREADS: '2' })).toBe(3);
    expect(engineThreads({ STYLIZE_WASM_THREADS: '2' })).toBe(2);
    expect(engineThreads({})).toBeGreaterThanOrEqual(1);
    expect(engineThreads({ STYLIZE_ENGINE_THREADS: 'x' })).toBe(1);
  });
});
