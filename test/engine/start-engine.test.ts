// Backend choice in a fresh process each time: `auto` takes the fastest backend that starts and logs
// why it skipped the others; a forced backend that cannot start is a one-line error naming it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineThreads } from '../../src/engine/start-engine.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

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
  it('auto picks onnx-cpu here and logs once why each GPU backend was skipped', async () => {
    const r = await choose('auto');
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('onnx-cpu');
    const chosen = r.logs.filter((l) => l.msg?.startsWith('engine backend:'));
    expect(chosen, JSON.stringify(r.logs)).toHaveLength(1);
    expect(Object.keys(chosen[0].skipped ?? {})).toEqual(['onnx-cuda', 'native-gpu', 'onnx-webgpu']);
    expect(chosen[0].skipped?.['native-gpu']).toMatch(/tfjs-node-gpu is not installed/);
    expect(chosen[0].msg ?? '').toMatch(/^engine backend: onnx-cpu \(1 thread\); skipped onnx-cuda: .+; native-gpu: .+; onnx-webgpu: .+$/);
  });

  it('auto falls through to the tfjs chain when the ONNX providers fail', async () => {
    const r = await choose('auto', { STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cpu' });
    expect(r.backend).toBe('wasm');
    const chosen = r.logs.find((l) => l.msg?.startsWith('engine backend:'));
    expect(chosen?.skipped?.['onnx-cpu']).toBe('disabled by STYLIZE_TEST_FAIL_BACKENDS');
    expect(Object.keys(chosen?.skipped ?? {})).toEqual(['onnx-cuda', 'native-gpu', 'onnx-webgpu', 'onnx-cpu', 'native-cpu']);
  });

  it('auto with every backend failing names each one', async () => {
    const r = await choose('auto', { STYLIZE_TEST_FAIL_BACKENDS: 'onnx-cpu,wasm,cpu' });
    expect(r.error).toMatch(/^no engine backend could start \(onnx-cuda: .+; native-gpu: .+; onnx-webgpu: .+; onnx-cpu: .+; native-cpu: .+; wasm: .+; cpu: .+\)$/);
  });

  it('a forced backend that cannot start is a one-line error naming it', async () => {
    const webgpu = await choose('onnx-webgpu');
    expect(webgpu.error).toMatch(/^onnx-webgpu: no GPU adapter found/);
    const cuda = await choose('onnx-cuda');
    expect(cuda.error).toMatch(/^onnx-cuda: the CUDA provider could not be loaded/);
    const gpu = await choose('native-gpu');
    expect(gpu.error).toMatch(/^native-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
    for (const r of [webgpu, cuda, gpu]) expect(r.error).not.toContain('\n');
    expect((await choose('tpu')).error).toMatch(/^unknown backend "tpu": use one of auto, onnx-cuda, native-gpu, onnx-webgpu, onnx-cpu, native-cpu, wasm, cpu$/);
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
