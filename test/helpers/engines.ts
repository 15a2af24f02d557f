// The engines the engine-level tests run on: tfjs on wasm (one thread) and ONNX Runtime on the CPU
// (one intra-op thread, so parallel test files do not fight over the two cores).
import { selectBackend } from '../../src/engine/tfjs/tfjs-backend.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { createOnnxEngine } from '../../src/engine/onnx/onnx-engine.ts';
import { tfjsEngine } from '../../src/engine/tfjs/tfjs-engine.ts';
import type { VggWeights } from '../../src/engine/types.ts';
import { createVgg } from '../../src/engine/tfjs/vgg.ts';

export const ENGINE_KINDS = ['wasm', 'onnx-cpu'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

export async function testEngine(kind: EngineKind, weights: VggWeights): Promise<Engine> {
  if (kind === 'onnx-cpu') return createOnnxEngine(weights, { provider: 'cpu', threads: 1 });
  await selectBackend('wasm');
  return tfjsEngine(createVgg(weights), 'wasm');
}
