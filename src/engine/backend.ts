// Run-time backend choice. The native bindings are optionalDependencies (their install downloads
// libtensorflow, which can fail), so each is tried in turn: native-gpu → native-cpu → wasm → cpu.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself and its ESM gradient files cannot be loaded by Node
// (extensionless imports); the @tensorflow/tfjs bundle registers them all on the shared registry.
import '@tensorflow/tfjs';
import os from 'node:os';
import { logger } from '../log.ts';
import { enableWasmThreads } from './wasm-threads.ts';

export const BACKENDS = ['auto', 'native-gpu', 'native-cpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

const TFJS_NAME: Record<Exclude<BackendChoice, 'auto'>, string> = {
  'native-gpu': 'tensorflow',
  'native-cpu': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

async function load(choice: Exclude<BackendChoice, 'auto'>): Promise<void> {
  switch (choice) {
    case 'native-gpu':
      await import('@tensorflow/tfjs-node-gpu' as string);
      return;
    case 'native-cpu':
      await import('@tensorflow/tfjs-node' as string);
      return;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
  }
}

let selected: Exclude<BackendChoice, 'auto'> | undefined;

/** The chosen backend, or undefined before selectBackend ran. */
export function currentBackend(): Exclude<BackendChoice, 'auto'> | undefined {
  return selected;
}

/**
 * Threads for the wasm backend in a process that owns its globals (the CLI, the engine worker):
 * STYLIZE_WASM_THREADS, else every core.
 */
export function engineProcessWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.STYLIZE_WASM_THREADS ?? os.availableParallelism());
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 64) : 1;
}

/**
 * Selects and initialises a tfjs backend once per process. `choice` (or STYLIZE_BACKEND) forces one;
 * a forced backend that cannot load is an error rather than a silent fallback. `wasmThreads` > 1
 * patches process globals (see wasm-threads.ts): only processes that run nothing but the engine ask for it.
 */
export async function selectBackend(
  choice?: string,
  opts: { wasmThreads?: number } = {},
): Promise<Exclude<BackendChoice, 'auto'>> {
  const wanted = (choice ?? process.env.STYLIZE_BACKEND ?? 'auto') as BackendChoice;
  if (!BACKENDS.includes(wanted)) throw new Error(`unknown backend "${wanted}": use one of ${BACKENDS.join(', ')}`);
  if (selected && (wanted === 'auto' || wanted === selected)) return selected;
  const order: Exclude<BackendChoice, 'auto'>[] = wanted === 'auto' ? ['native-gpu', 'native-cpu', 'wasm', 'cpu'] : [wanted];
  const failures: string[] = [];
  for (const candidate of order) {
    let threadsReady: (() => void) | undefined;
    try {
      const threads = candidate === 'wasm' ? (opts.wasmThreads ?? 1) : 1;
      if (threads > 1) threadsReady = await enableWasmThreads(threads);
      await load(candidate);
      if (!(await tf.setBackend(TFJS_NAME[candidate]))) throw new Error('setBackend returned false');
      await tf.ready();
      threadsReady?.();
      selected = candidate;
      logger.info({ backend: candidate, tfjs: tf.getBackend(), threads }, `tfjs backend: ${candidate}${threads > 1 ? ` (${threads} threads)` : ''}`);
      return candidate;
    } catch (e) {
      failures.push(`${candidate}: ${(e as Error).message.split('\n')[0]}`);
      logger.debug({ candidate, err: (e as Error).message }, 'backend unavailable');
    }
  }
  throw new Error(`no tfjs backend could start (${failures.join('; ')})`);
}
