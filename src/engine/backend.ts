// Run-time backend choice. The native bindings are optionalDependencies (their install downloads
// libtensorflow, which can fail), so each is tried in turn: native-gpu → native-cpu → wasm → cpu.
import * as tf from '@tensorflow/tfjs-core';
import { logger } from '../log.ts';

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
 * Selects and initialises a tfjs backend once per process. `choice` (or STYLIZE_BACKEND) forces one;
 * a forced backend that cannot load is an error rather than a silent fallback.
 */
export async function selectBackend(choice?: string): Promise<Exclude<BackendChoice, 'auto'>> {
  const wanted = (choice ?? process.env.STYLIZE_BACKEND ?? 'auto') as BackendChoice;
  if (!BACKENDS.includes(wanted)) throw new Error(`unknown backend "${wanted}": use one of ${BACKENDS.join(', ')}`);
  if (selected && (wanted === 'auto' || wanted === selected)) return selected;
  const order: Exclude<BackendChoice, 'auto'>[] = wanted === 'auto' ? ['native-gpu', 'native-cpu', 'wasm', 'cpu'] : [wanted];
  const failures: string[] = [];
  for (const candidate of order) {
    try {
      await load(candidate);
      if (!(await tf.setBackend(TFJS_NAME[candidate]))) throw new Error('setBackend returned false');
      await tf.ready();
      selected = candidate;
      logger.info({ backend: candidate, tfjs: tf.getBackend() }, `tfjs backend: ${candidate}`);
      return candidate;
    } catch (e) {
      failures.push(`${candidate}: ${(e as Error).message.split('\n')[0]}`);
      logger.debug({ candidate, err: (e as Error).message }, 'backend unavailable');
    }
  }
  throw new Error(`no tfjs backend could start (${failures.join('; ')})`);
}
