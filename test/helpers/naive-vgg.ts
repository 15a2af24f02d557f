// A plain float64 JS reference of VGG-19 features and the loss definitions, written straight from
// the pinned definitions with loops: slow, obviously correct, independent of tfjs.
import type { RGBImage, VggWeights } from '../../src/engine/types.ts';

/** HWC activations in float64. */
export interface Act {
  h: number;
  w: number;
  c: number;
  data: Float64Array;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const BLOCKS = [2, 2, 4, 4, 4];

export function normalise(img: RGBImage): Act {
  const data = new Float64Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (img.data[i] - MEAN[i % 3]) / STD[i % 3];
  return { h: img.height, w: img.width, c: 3, data };
}

/** 3×3 conv, zero padding 1, stride 1; weight in torchvision layout [cout, cin, 3, 3]. */
export function conv3x3(x: Act, weight: Float32Array, bias: Float32Array, cout: number): Act {
  const { h, w, c: cin } = x;
  const out = new Float64Array(h * w * cout);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let o = 0; o < cout; o++) {
        let s = bias[o];
        for (let ki = 0; ki < 3; ki++) {
          const yy = y + ki - 1;
          if (yy < 0 || yy >= h) continue;
          for (let kj = 0; kj < 3; kj++) {
            const xs = xx + kj - 1;
            if (xs < 0 || xs >= w) continue;
            for (let ci = 0; ci < cin; ci++) s += x.data[(yy * w + xs) * cin + ci] * weight[((o * cin + ci) * 3 + ki) * 3 + kj];
          }
        }
        out[(y * w + xx) * cout + o] = s;
      }
    }
  }
  return { h, w, c: cout, data: out };
}

export function relu(x: Act): Act {
  return { ...x, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

/** 2×2 stride-2 pooling, floor size. */
export function pool(x: Act, kind: 'max' | 'avg'): Act {
  const h = Math.floor(x.h / 2);
  const w = Math.floor(x.w / 2);
  const out = new Float64Array(h * w * x.c);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      for (let c = 0; c < x.c; c++) {
        const v = [0, 1, 2, 3].map((k) => x.data[((2 * y + (k >> 1)) * x.w + 2 * xx + (k & 1)) * x.c + c]);
        out[(y * w + xx) * x.c + c] = kind === 'max' ? Math.max(...v) : (v[0] + v[1] + v[2] + v[3]) / 4;
      }
    }
  }
  return { h, w, c: x.c, data: out };
}

/** Every layer up to the deepest of `layers`, by canonical name. */
export function naiveFeatures(weights: VggWeights, img: RGBImage, layers: string[], kind: 'max' | 'avg'): Record<string, Act> {
  const out: Record<string, Act> = {};
  const wanted = new Set(layers);
  let h = normalise(img);
  let conv = 0;
  for (let b = 0; b < BLOCKS.length && wanted.size > Object.keys(out).length; b++) {
    for (let k = 1; k <= BLOCKS[b]; k++) {
      const wt = weights[conv++];
      const pre = conv3x3(h, wt.weight, wt.bias, wt.cout);
      h = relu(pre);
      if (wanted.has(`conv${b + 1}_${k}`)) out[`conv${b + 1}_${k}`] = pre;
      if (wanted.has(`relu${b + 1}_${k}`)) out[`relu${b + 1}_${k}`] = h;
    }
    h = pool(h, kind);
    if (wanted.has(`pool${b + 1}`)) out[`pool${b + 1}`] = h;
  }
  return out;
}

/** G = F·Fᵀ/(C·H·W) with F = C×(H·W); row-major C×C. */
export function naiveGram(x: Act): Float64Array {
  const { h, w, c } = x;
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let p = 0; p < h * w; p++) s += x.data[p * c + i] * x.data[p * c + j];
      g[i * c + j] = s / (c * h * w);
    }
  }
  return g;
}

export function mse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

export function naiveTv(img: RGBImage): number {
  const { width: w, height: h, data } = img;
  let s = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const v = data[(y * w + x) * 3 + c];
        if (y + 1 < h) s += (data[((y + 1) * w + x) * 3 + c] - v) ** 2;
        if (x + 1 < w) s += (data[(y * w + x + 1) * 3 + c] - v) ** 2;
      }
    }
  }
  return s / (3 * h * w);
}

export interface NaiveLossSpec {
  mode: 'transfer' | 'texture' | 'reconstruct';
  contentLayers: string[];
  styleLayers: string[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  pooling: 'max' | 'avg';
  /** Normalised blend weights, one per style image. */
  blend: number[];
}

export function naiveLosses(weights: VggWeights, spec: NaiveLossSpec, x: RGBImage, content: RGBImage, styles: RGBImage[]) {
  const useContent = spec.mode !== 'texture';
  const useStyle = spec.mode !== 'reconstruct';
  const layers = [...(useContent ? spec.contentLayers : []), ...(useStyle ? spec.styleLayers : [])];
  const fx = naiveFeatures(weights, x, layers, spec.pooling);
  let contentLoss = 0;
  if (useContent) {
    const fc = naiveFeatures(weights, content, spec.contentLayers, spec.pooling);
    for (const l of spec.contentLayers) contentLoss += mse(fx[l].data, fc[l].data);
  }
  let styleLoss = 0;
  if (useStyle) {
    const fs = styles.map((s) => naiveFeatures(weights, s, spec.styleLayers, spec.pooling));
    for (const l of spec.styleLayers) {
      const target = new Float64Array(fx[l].c ** 2);
      fs.forEach((f, i) => naiveGram(f[l]).forEach((v, k) => (target[k] += spec.blend[i] * v)));
      styleLoss += mse(naiveGram(fx[l]), target);
    }
  }
  const tv = naiveTv(x);
  const total =
    (useContent ? spec.contentWeight * contentLoss : 0) + (useStyle ? spec.styleWeight * styleLoss : 0) + spec.tvWeight * tv;
  return { content: contentLoss, style: styleLoss, tv, total };
}
