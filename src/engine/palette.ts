// colors=palette: the style image recoloured to the content image's colour statistics before the
// run (Gatys, Ecker, Bethge, Hertzmann & Shechtman 2017, "Controlling Perceptual Factors in Neural
// Style Transfer", §5.1, colour histogram matching). Every style pixel x becomes A·(x − μs) + μc,
// where A maps the style's covariance Σs onto the content's Σc: A·Σs·Aᵀ = Σc. Of the two transforms
// the paper names, this is the "image analogies" one, A = Σc^½ · Σs^-½ with symmetric matrix square
// roots (a rotation-free A, which changes hues least). Mean and covariance then match exactly.
import { EngineError, type RGBImage } from './types.ts';

type Vec3 = [number, number, number];
/** Row-major 3×3. */
type Mat3 = number[];

/** Eigenvalues below this (per channel variance in [0,1]² units) count as a flat direction. */
const MIN_VARIANCE = 1e-8;

export interface ColorStats {
  mean: Vec3;
  /** Row-major 3×3 covariance (population, divided by the pixel count). */
  cov: Mat3;
}

/** Per-channel mean and 3×3 covariance of an image's RGB values, accumulated in float64. */
export function colorStats(img: RGBImage): ColorStats {
  const { data } = img;
  const n = data.length / 3;
  if (!Number.isInteger(n) || n < 1) throw new EngineError(`colour statistics need at least one pixel, got ${data.length} values`);
  const mean: Vec3 = [0, 0, 0];
  for (let p = 0; p < data.length; p += 3) {
    mean[0] += data[p];
    mean[1] += data[p + 1];
    mean[2] += data[p + 2];
  }
  for (let c = 0; c < 3; c++) mean[c] /= n;
  const cov: Mat3 = new Array<number>(9).fill(0);
  for (let p = 0; p < data.length; p += 3) {
    const d0 = data[p] - mean[0];
    const d1 = data[p + 1] - mean[1];
    const d2 = data[p + 2] - mean[2];
    cov[0] += d0 * d0;
    cov[1] += d0 * d1;
    cov[2] += d0 * d2;
    cov[4] += d1 * d1;
    cov[5] += d1 * d2;
    cov[8] += d2 * d2;
  }
  cov[3] = cov[1];
  cov[6] = cov[2];
  cov[7] = cov[5];
  for (let k = 0; k < 9; k++) cov[k] /= n;
  return { mean, cov };
}

/** Eigen-decomposition of a symmetric 3×3 by cyclic Jacobi rotations: S = V·diag(values)·Vᵀ, V's columns the vectors. */
function symmetricEigen(s: Mat3): { values: Vec3; vectors: Mat3 } {
  const a = [...s];
  const v: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-30) break;
    for (const [p, q] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ] as const) {
      const apq = a[p * 3 + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q * 3 + q] - a[p * 3 + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const sn = t * c;
      // A ← Jᵀ·A·J for the rotation J in the (p, q) plane; V ← V·J.
      for (let k = 0; k < 3; k++) {
        const akp = a[k * 3 + p];
        const akq = a[k * 3 + q];
        a[k * 3 + p] = c * akp - sn * akq;
        a[k * 3 + q] = sn * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p * 3 + k];
        const aqk = a[q * 3 + k];
        a[p * 3 + k] = c * apk - sn * aqk;
        a[q * 3 + k] = sn * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k * 3 + p];
        const vkq = v[k * 3 + q];
        v[k * 3 + p] = c * vkp - sn * vkq;
        v[k * 3 + q] = sn * vkp + c * vkq;
      }
    }
  }
  return { values: [a[0], a[4], a[8]], vectors: v };
}

/** V·diag(f(λ))·Vᵀ of a symmetric matrix: its square root, inverse square root, … */
function symmetricFunction(s: Mat3, f: (lambda: number) => number): Mat3 {
  const { values, vectors: v } = symmetricEigen(s);
  const fl = values.map(f);
  const out: Mat3 = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let sum = 0;
      for (let k = 0; k < 3; k++) sum += v[i * 3 + k] * fl[k] * v[j * 3 + k];
      out[i * 3 + j] = sum;
    }
  }
  return out;
}

function multiply(a: Mat3, b: Mat3): Mat3 {
  const out: Mat3 = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
}

/** A = Σc^½ · Σs^-½. A flat direction of the style (a grey painting has one) cannot be stretched into colour, so it is left flat. */
export function colorTransform(style: ColorStats, content: ColorStats): Mat3 {
  const sqrtContent = symmetricFunction(content.cov, (l) => Math.sqrt(Math.max(0, l)));
  const invSqrtStyle = symmetricFunction(style.cov, (l) => (l > MIN_VARIANCE ? 1 / Math.sqrt(l) : 0));
  return multiply(sqrtContent, invSqrtStyle);
}

/**
 * The style image with the content image's per-channel mean and 3×3 colour covariance. Values are
 * not clamped to [0,1]: clamping would undo the match where the photo's palette is wider than the
 * painting's range allows, and VGG takes any values (the optimised image is clamped as always).
 */
export function matchColorStatistics(style: RGBImage, content: RGBImage): RGBImage {
  const s = colorStats(style);
  const c = colorStats(content);
  const a = colorTransform(s, c);
  const src = style.data;
  const data = new Float32Array(src.length);
  for (let p = 0; p < src.length; p += 3) {
    const d0 = src[p] - s.mean[0];
    const d1 = src[p + 1] - s.mean[1];
    const d2 = src[p + 2] - s.mean[2];
    data[p] = a[0] * d0 + a[1] * d1 + a[2] * d2 + c.mean[0];
    data[p + 1] = a[3] * d0 + a[4] * d1 + a[5] * d2 + c.mean[1];
    data[p + 2] = a[6] * d0 + a[7] * d1 + a[8] * d2 + c.mean[2];
  }
  return { width: style.width, height: style.height, data };
}
