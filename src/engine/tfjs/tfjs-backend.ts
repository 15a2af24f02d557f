// The tfjs backends. The native bindings are optionalDependencies (their install downloads
// libtensorflow, which can fail), so each is tried in turn: native-gpu → native-cpu → wasm → cpu.
// Which engine a process uses (ONNX Runtime or tfjs) is start-engine.ts's choice; this file only
// starts tfjs on the backend it is given.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself and its ESM gradient files cannot be loaded by Node
// (extensionless imports); the @tensorflow/tfjs bundle registers them all on the shared registry.
import '@tensorflow/tfjs';
import { logger } from '../../log.ts';
import type { TfjsBackend } from '../backend-names.ts';
import { enableWasmThreads } from './wasm-threads.ts';

const TFJS_BACKENDS = ['native-gpu', 'native-cpu', 'wasm', 'cpu'] as const;
type TfjsChoice = TfjsBackend | 'auto';

const TFJS_NAME: Record<TfjsBackend, string> = {
  'native-gpu': 'tensorflow',
  'native-cpu': 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

async function load(choice: TfjsBackend): Promise<void> {
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

let selected: TfjsBackend | undefined;

/** The chosen tfjs backend, or undefined before selectBackend ran. */
export function currentBackend(): TfjsBackend | undefined {
  return selected;
}

/**
 * Selects and initialises a tfjs backend once per process. `choice` forces one (default: the tfjs
 * chain in order); a forced backend that cannot load is an error rather than a silent fallback. `wasmThreads` > 1
 * patches process globals (see wasm-threads.ts): only processes that run nothing but the engine ask for it.
 */
export async function selectBackend(
  choice: TfjsChoice = 'auto',
  opts: { wasmThreads?: number } = {},
): Promise<TfjsBackend> {
  const wanted = choice;
  if (wanted !== 'auto' && !TFJS_BACKENDS.includes(wanted)) throw new Error(`unknown tfjs backend "${wanted as string}": use one of ${TFJS_BACKENDS.join(', ')}`);
  if (selected && (wanted === 'auto' || wanted === selected)) return selected;
  const order: TfjsBackend[] = wanted === 'auto' ? [...TFJS_BACKENDS] : [wanted];
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
