// The optimisation's starting image, at the output size. Plain JS, no tensor library: the loop is
// shared by every engine, and an ONNX process must not load tfjs (it would have no backend).
import type { Init } from '../options.ts';
import { noiseImage } from './prng.ts';
import { EngineError, type RGBImage } from './types.ts';

/** Where output pixel `i` of `outSize` samples the source: the two neighbours and the weight of the second. */
function samplePoints(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const ratio = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const at = ratio * (i + 0.5) - 0.5;
    lo[i] = Math.max(0, Math.floor(at));
    hi[i] = Math.min(inSize - 1, Math.ceil(at));
    frac[i] = at - lo[i];
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize (half-pixel centres, as PyTorch's align_corners=False); a copy when the size matches.
 * The arithmetic is tfjs's resizeBilinear kernel (halfPixelCenters), so starts are what they were when
 * this ran on tfjs.
 */
export function resizeRGB(image: RGBImage, width: number, height: number): Float32Array {
  if (image.data.length !== image.width * image.height * 3) {
    throw new EngineError(`image has ${image.data.length} values, expected ${image.width}×${image.height}×3`);
  }
  if (image.width === width && image.height === height) return image.data.slice();
  const src = image.data;
  const rows = samplePoints(image.height, height);
  const cols = samplePoints(image.width, width);
  const out = new Float32Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const top = rows.lo[y] * image.width * 3;
    const bottom = rows.hi[y] * image.width * 3;
    const fy = rows.frac[y];
    for (let x = 0; x < width; x++) {
      const left = cols.lo[x] * 3;
      const right = cols.hi[x] * 3;
      const fx = cols.frac[x];
      for (let c = 0; c < 3; c++) {
        const tl = src[top + left + c];
        const tr = src[top + right + c];
        const bl = src[bottom + left + c];
        const br = src[bottom + right + c];
        const upper = tl + (tr - tl) * fx;
        const lower = bl + (br - bl) * fx;
        out[o++] = upper + (lower - upper) * fy;
      }
    }
  }
  return out;
}

export interface InitSources {
  content?: RGBImage;
  styles: readonly RGBImage[];
  initImage?: RGBImage;
  seed: number;
}

export function initialImage(init: Init, width: number, height: number, src: InitSources): Float32Array {
  switch (init) {
    case 'noise':
      return noiseImage(width, height, src.seed);
    case 'content':
      if (!src.content) throw new EngineError('init=content needs a content image');
      return resizeRGB(src.content, width, height);
    case 'style':
      if (!src.styles[0]) throw new EngineError('init=style needs a style image');
      return resizeRGB(src.styles[0], width, height);
    case 'image':
      if (!src.initImage) throw new EngineError('init=image needs an initial image (--init-image)');
      return resizeRGB(src.initImage, width, height);
  }
}
