// VGG-19's 16 convs in torchvision's layout (`features.{i}.weight` [out, in, 3, 3], `.bias` [out]), as
// found in torchvision checkpoints and timm's vgg19.tv_in1k. Anything else in the file is ignored.
import type { ConvWeights, VggWeights } from '../types.ts';
import { fileError } from './errors.ts';
import { FLOAT_DTYPES, SafetensorsFile, formatShape, isFloatDtype } from './safetensors.ts';
import type { SafetensorsHeader, TensorInfo } from './safetensors.ts';
import { verifySidecar } from './sidecar.ts';

/** Index in torchvision's `features` Sequential of each conv (the others are ReLU and pooling). */
export const VGG19_CONV_INDICES = [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34] as const;

/** [cin, cout] of each conv. */
export const VGG19_CHANNELS: readonly (readonly [number, number])[] = [
  [3, 64], [64, 64],
  [64, 128], [128, 128],
  [128, 256], [256, 256], [256, 256], [256, 256],
  [256, 512], [512, 512], [512, 512], [512, 512],
  [512, 512], [512, 512], [512, 512], [512, 512],
];

/** The 32 tensor names without prefix, weight then bias per conv, in network order. */
export const VGG19_TENSOR_NAMES: readonly string[] = VGG19_CONV_INDICES.flatMap((i) => [`features.${i}.weight`, `features.${i}.bias`]);

export interface VggTensorPlan {
  /** What precedes `features.` in the key names, e.g. '' or 'model.'. */
  prefix: string;
  /** Per conv, the header entries of its weight and bias. */
  convs: { cin: number; cout: number; weight: TensorInfo; bias: TensorInfo }[];
}

function findPrefix(names: Iterable<string>, source: string): string {
  const prefixes = new Set<string>();
  for (const name of names) {
    if (!name.endsWith('features.0.weight')) continue;
    const prefix = name.slice(0, -'features.0.weight'.length);
    if (prefix === '' || prefix.endsWith('.')) prefixes.add(prefix);
  }
  if (prefixes.size === 0) {
    throw fileError(source, 'missing tensor features.0.weight: no VGG-19 "features.*" convs in this file (expected a torchvision/timm VGG-19 checkpoint)');
  }
  if (prefixes.size > 1) {
    throw fileError(source, `ambiguous: several VGG feature sets (prefixes ${[...prefixes].map((p) => `"${p}"`).join(', ')})`);
  }
  return [...prefixes][0];
}

/**
 * Checks that a header holds VGG-19's 16 convs with the right dtypes and shapes; returns where they are.
 * Works on a remote header too, so a download can be refused before fetching any tensor.
 */
export function planVggTensors(header: SafetensorsHeader, source: string): VggTensorPlan {
  const prefix = findPrefix(header.tensors.keys(), source);
  const missing = VGG19_TENSOR_NAMES.filter((n) => !header.tensors.has(prefix + n));
  if (missing.length > 0) {
    const shown = missing.slice(0, 4).map((n) => prefix + n).join(', ');
    throw fileError(source, `missing tensor${missing.length > 1 ? 's' : ''} ${shown}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} (not a complete VGG-19)`);
  }
  const convs = VGG19_CONV_INDICES.map((index, k) => {
    const [cin, cout] = VGG19_CHANNELS[k];
    const weight = header.tensors.get(`${prefix}features.${index}.weight`)!;
    const bias = header.tensors.get(`${prefix}features.${index}.bias`)!;
    for (const [t, shape] of [[weight, [cout, cin, 3, 3]], [bias, [cout]]] as const) {
      if (!isFloatDtype(t.dtype)) {
        throw fileError(source, `tensor ${t.name} has dtype ${t.dtype}, expected one of ${FLOAT_DTYPES.join(', ')}`);
      }
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw fileError(source, `tensor ${t.name} has shape ${formatShape(t.shape)}, expected ${formatShape(shape)} (VGG-19 conv${k + 1})`);
      }
    }
    return { cin, cout, weight, bias };
  });
  return { prefix, convs };
}

function checkFinite(values: Float32Array, name: string, source: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw fileError(source, `tensor ${name} contains ${values[i]} at element ${i}`);
  }
}

export interface LoadVggOptions {
  /** Check size + sha256 against `<path>.json` when that sidecar exists (default true). */
  verify?: boolean;
}

/**
 * Reads VGG-19's conv weights from a safetensors file (F32, F16 or BF16) into Float32Arrays, reading
 * only those 32 tensors. Every problem is one WeightsError naming the file.
 */
export async function loadVggWeights(path: string, opts: LoadVggOptions = {}): Promise<VggWeights> {
  const file = await SafetensorsFile.open(path);
  try {
    const plan = planVggTensors(file.header, path);
    if (opts.verify ?? true) await verifySidecar(path);
    const out: ConvWeights[] = [];
    for (const c of plan.convs) {
      const weight = await file.readFloat32(c.weight.name);
      const bias = await file.readFloat32(c.bias.name);
      checkFinite(weight, c.weight.name, path);
      checkFinite(bias, c.bias.name, path);
      out.push({ cin: c.cin, cout: c.cout, weight, bias });
    }
    return out;
  } finally {
    await file.close();
  }
}
