// The backends a user can name (--backend, STYLIZE_BACKEND), in the order `auto` tries them:
// GPUs first, then ONNX Runtime on the CPU, then the tfjs chain. Kept free of imports so parsing a
// command line loads no tensor library.
//
// Why this order: onnx-cuda runs the whole loss graph on cuDNN and CUDA 12, today's stack;
// native-gpu (tfjs-node-gpu) needs the older CUDA 11.2 + cuDNN 8 and only installs where that
// exists, but where it does it is a tested CUDA path; onnx-webgpu needs no toolkit (any Vulkan,
// Metal or D3D12 driver) but its generic shaders are slower than cuDNN. On a CPU, onnx-cpu is about
// 6× the wasm backend (MLAS convs with AVX2/AVX-512 against 128-bit wasm SIMD).
export const ENGINE_BACKENDS = ['onnx-cuda', 'native-gpu', 'onnx-webgpu', 'onnx-cpu', 'native-cpu', 'wasm', 'cpu'] as const;
export const BACKENDS = ['auto', ...ENGINE_BACKENDS] as const;

export type BackendChoice = (typeof BACKENDS)[number];
export type EngineBackend = (typeof ENGINE_BACKENDS)[number];
export type TfjsBackend = 'native-gpu' | 'native-cpu' | 'wasm' | 'cpu';
export type OnnxBackend = 'onnx-cuda' | 'onnx-webgpu' | 'onnx-cpu';

export function isOnnxBackend(b: EngineBackend): b is OnnxBackend {
  return b.startsWith('onnx-');
}

export function isBackendChoice(name: string): name is BackendChoice {
  return (BACKENDS as readonly string[]).includes(name);
}
