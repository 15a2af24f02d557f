// The tfjs engine: VGG-19 on the selected tfjs backend (native-gpu, native-cpu, wasm, cpu) with the
// objective of objective.ts, behind the Engine interface.
import * as tf from '@tensorflow/tfjs-core';
import type { Engine } from '../engine.ts';
import { GramCache } from '../gram-cache.ts';
import { machineMemoryBudget, WASM_HEAP_LIMIT, type MemoryBudget } from '../memory-estimate.ts';
import { createObjective } from './objective.ts';
import type { VggWeights } from '../types.ts';
import { createVgg, type Vgg } from './vgg.ts';

/**
 * The active tfjs backend's memory: wasm's heap ceiling with the tensors already in it, or the
 * machine's memory. Null for the GPU backend, whose device memory tfjs does not report.
 */
export function tfjsMemoryBudget(backend: string): MemoryBudget | null {
  if (tf.getBackend() === 'wasm') return { what: "the wasm backend's 4 GiB heap", limitBytes: WASM_HEAP_LIMIT, usedBytes: tf.memory().numBytes };
  if (backend === 'native-gpu') return null;
  return machineMemoryBudget();
}

/** Wraps a VGG already on the current backend (tests build one directly); style Grams are kept across jobs in `gramCache`. */
export function tfjsEngine(vgg: Vgg, backend: string = tf.getBackend(), gramCache: GramCache = new GramCache()): Engine {
  return {
    backend,
    channels: vgg.channels,
    createObjective: async (o, content, styles, outputSize) => createObjective(vgg, o, content, styles, outputSize, gramCache),
    memoryBudget: () => tfjsMemoryBudget(backend),
    dispose: () => {
      gramCache.clear();
      vgg.dispose();
    },
  };
}

/** Uploads the weights to the backend selectBackend chose. */
export function createTfjsEngine(weights: VggWeights, backend: string): Engine {
  return tfjsEngine(createVgg(weights), backend);
}
