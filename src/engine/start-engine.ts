// Choosing and starting the engine of a process (the CLI, a job worker, a benchmark): ONNX Runtime
// with a GPU or CPU provider, or tfjs. `auto` tries the backends in ENGINE_BACKENDS order and takes
// the first that starts; the choice and why the others were skipped are logged once. A forced
// backend that cannot start is a one-line error naming it ("onnx-webgpu: no GPU adapter found").
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { logger } from '../log.ts';
import { BACKENDS, ENGINE_BACKENDS, isBackendChoice, isOnnxBackend, type EngineBackend, type OnnxBackend, type TfjsBackend } from './backend-names.ts';
import type { Engine } from './engine.ts';
import { keepSoftwareVulkanAway } from './vulkan-drivers.ts';
import type { VggWeights } from './types.ts';

export class BackendError extends Error {
  override name = 'BackendError';
}

/**
 * Threads of an engine process: STYLIZE_ENGINE_THREADS, else STYLIZE_WASM_THREADS (its older name),
 * else `fallback` (every core, for a process that runs nothing else such as the CLI). ONNX Runtime's
 * pool spins on each of them, so processes × threads should not exceed the cores.
 */
export function engineThreads(env: NodeJS.ProcessEnv = process.env, fallback = os.availableParallelism()): number {
  const raw = env.STYLIZE_ENGINE_THREADS || env.STYLIZE_WASM_THREADS;
  const n = Number(raw || fallback);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 64) : 1;
}

const ONNX_PROVIDER: Record<OnnxBackend, 'cuda' | 'webgpu' | 'cpu'> = { 'onnx-cuda': 'cuda', 'onnx-webgpu': 'webgpu', 'onnx-cpu': 'cpu' };

const require = createRequire(import.meta.url);

function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim() || 'unknown error';
}

/** The directory holding onnxruntime-node's native libraries for this platform. */
function ortBinaryDir(): string | undefined {
  try {
    const root = path.dirname(require.resolve('onnxruntime-node/package.json'));
    const bin = path.join(root, 'bin');
    const napi = readdirSync(bin).find((d) => d.startsWith('napi-'));
    return napi ? path.join(bin, napi, process.platform, process.arch) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why `auto` should not even try a GPU provider here, or undefined to try it. Trying costs little,
 * but Dawn prints Vulkan warnings on machines without a GPU, which would greet every CPU user.
 */
function gpuSkipReason(backend: OnnxBackend): string | undefined {
  if (backend === 'onnx-cuda') {
    const dir = ortBinaryDir();
    if (dir && !existsSync(path.join(dir, 'libonnxruntime_providers_cuda.so')) && !existsSync(path.join(dir, 'onnxruntime_providers_cuda.dll'))) {
      return 'the CUDA provider is not installed (ONNXRUNTIME_NODE_INSTALL=cuda12, see the README)';
    }
  }
  if (backend === 'onnx-webgpu' && process.platform === 'linux') {
    const dri = existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
    if (!dri && !existsSync('/dev/nvidia0')) return 'no GPU device (/dev/dri/renderD*, /dev/nvidia0)';
    // A render node does not prove a GPU Vulkan driver: Dawn would settle for lavapipe.
    const software = keepSoftwareVulkanAway();
    if (software) return software;
  }
  return undefined;
}

/** A readable reason from ONNX Runtime's error when a provider cannot start. */
function onnxFailure(backend: OnnxBackend, e: unknown): string {
  const m = firstLine(e);
  if (backend === 'onnx-webgpu' && /adapter/i.test(m)) return `no GPU adapter found (${m.replace(/^.*?(Failed to get a WebGPU adapter)/, '$1')})`;
  if (backend === 'onnx-cuda' && /Failed to load shared library|providers_shared|providers_cuda/i.test(m)) {
    return `the CUDA provider could not be loaded (${m}); it needs CUDA 12 and cuDNN 9, installed with ONNXRUNTIME_NODE_INSTALL=cuda12`;
  }
  return m;
}

/** Creates a one-node session on the provider and runs it: the provider starts, or this throws. */
async function probeOnnx(backend: OnnxBackend): Promise<void> {
  const [{ loadOrt, sessionOptions }, { GraphBuilder }] = await Promise.all([import('./onnx/onnx-engine.ts'), import('./onnx/graph-builder.ts')]);
  let ort: Awaited<ReturnType<typeof loadOrt>>;
  try {
    ort = await loadOrt();
  } catch (e) {
    throw new BackendError(`onnxruntime-node could not be loaded (${firstLine(e)})`);
  }
  const g = new GraphBuilder('probe');
  const x = g.input('x', [1, 3, 2, 2]);
  g.output(g.node('Relu', [x]), 'y', [1, 3, 2, 2]);
  const session = await ort.InferenceSession.create(g.encode(), sessionOptions({ provider: ONNX_PROVIDER[backend], threads: 1 }));
  try {
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(12).fill(-1), [1, 3, 2, 2]) });
    if ((out.y.data as Float32Array)[0] !== 0) throw new Error('the probe graph returned a wrong value');
  } finally {
    await session.release();
  }
}

/**
 * Starts `backend` far enough to know it works (a probe session, or the tfjs backend), or throws
 * why not. `forced` also tries GPU providers that `auto` would skip for lack of a device file.
 */
export async function probeBackend(backend: EngineBackend, threads: number, forced: boolean): Promise<void> {
  const failing = (process.env.STYLIZE_TEST_FAIL_BACKENDS ?? '').split(',').map((s) => s.trim());
  // Test-only: lets the tests see `auto` fall through backends that do start on this machine.
  if (failing.includes(backend)) throw new BackendError('disabled by STYLIZE_TEST_FAIL_BACKENDS');
  if (isOnnxBackend(backend)) {
    if (!forced) {
      const skip = gpuSkipReason(backend);
      if (skip) throw new BackendError(skip);
    }
    try {
      await probeOnnx(backend);
    } catch (e) {
      throw new BackendError(e instanceof BackendError ? e.message : onnxFailure(backend, e));
    }
    return;
  }
  if ((backend === 'native-gpu' || backend === 'native-cpu') && !installed(backend === 'native-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node')) {
    throw new BackendError(
      `${backend === 'native-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node'} is not installed (an optional dependency whose install downloads libtensorflow)`,
    );
  }
  const { selectBackend } = await import('./tfjs/tfjs-backend.ts');
  try {
    await selectBackend(backend, { wasmThreads: threads });
  } catch (e) {
    throw new BackendError(firstLine(e).replace(/^no tfjs backend could start \(.*?: (.*)\)$/, '$1'));
  }
}

let chosen: { backend: EngineBackend; threads: number } | undefined;

/**
 * Picks the process's backend once: `choice`, else STYLIZE_BACKEND, else auto. Idempotent for the
 * same choice (a worker process runs many jobs).
 */
export async function chooseBackend(choice: string | undefined, opts: { threads: number }): Promise<EngineBackend> {
  const wanted = choice || process.env.STYLIZE_BACKEND || 'auto';
  if (!isBackendChoice(wanted)) throw new BackendError(`unknown backend "${wanted}": use one of ${BACKENDS.join(', ')}`);
  if (chosen && (wanted === 'auto' || wanted === chosen.backend)) return chosen.backend;
  if (wanted !== 'auto') {
    try {
      await probeBackend(wanted, opts.threads, true);
    } catch (e) {
      throw new BackendError(`${wanted}: ${firstLine(e)}`);
    }
    chosen = { backend: wanted, threads: opts.threads };
    logger.info({ backend: wanted, threads: opts.threads }, `engine backend: ${wanted} (forced, ${opts.threads} thread${opts.threads === 1 ? '' : 's'})`);
    return wanted;
  }
  const skipped: Record<string, string> = {};
  for (const candidate of ENGINE_BACKENDS) {
    try {
      await probeBackend(candidate, opts.threads, false);
    } catch (e) {
      skipped[candidate] = firstLine(e);
      continue;
    }
    chosen = { backend: candidate, threads: opts.threads };
    const why = Object.entries(skipped).map(([b, r]) => `${b}: ${r}`);
    logger.info(
      { backend: candidate, threads: opts.threads, skipped },
      `engine backend: ${candidate} (${opts.threads} thread${opts.threads === 1 ? '' : 's'})${why.length ? `; skipped ${why.join('; ')}` : ''}`,
    );
    return candidate;
  }
  throw new BackendError(`no engine backend could start (${Object.entries(skipped).map(([b, r]) => `${b}: ${r}`).join('; ')})`);
}

/** The chosen backend, or undefined before chooseBackend ran. */
export function chosenBackend(): EngineBackend | undefined {
  return chosen?.backend;
}

/** The engine on a backend chooseBackend accepted, with the VGG weights loaded into it. */
export async function startEngine(backend: EngineBackend, weights: VggWeights, threads: number): Promise<Engine> {
  if (isOnnxBackend(backend)) {
    const { createOnnxEngine } = await import('./onnx/onnx-engine.ts');
    return createOnnxEngine(weights, { provider: ONNX_PROVIDER[backend], threads });
  }
  const { createTfjsEngine } = await import('./tfjs/tfjs-engine.ts');
  return createTfjsEngine(weights, backend satisfies TfjsBackend);
}
