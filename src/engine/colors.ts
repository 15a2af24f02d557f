// neural-style's `-original_colors 1`: the stylised image's luminance with the content's chroma.
// Same YUV matrices as torch's image.rgb2yuv / image.yuv2rgb, which neural-style uses.
import { EngineError } from './types.ts';
import type { RGBImage } from './types.ts';

/** Luminance (Y) of the output, chroma (U,V) of the content, back to RGB clamped to [0,1]. */
export function keepOriginalColors(output: RGBImage, content: RGBImage): RGBImage {
  if (output.width !== content.width || output.height !== content.height) {
    throw new EngineError(
      `original colours need images of the same size: output ${output.width}×${output.height}, content ${content.width}×${content.height}`,
    );
  }
  const n = output.width * output.height;
  if (output.data.length !== n * 3 || content.data.length !== n * 3) {
    throw new EngineError(`original colours: image data must hold ${n * 3} values`);
  }
  const o = output.data;
  const c = content.data;
  const data = new Float32Array(n * 3);
  for (let p = 0; p < n * 3; p += 3) {
    const y = 0.299 * o[p] + 0.587 * o[p + 1] + 0.114 * o[p + 2];
    const u = -0.14713 * c[p] - 0.28886 * c[p + 1] + 0.436 * c[p + 2];
    const v = 0.615 * c[p] - 0.51499 * c[p + 1] - 0.10001 * c[p + 2];
    data[p] = clamp01(y + 1.13983 * v);
    data[p + 1] = clamp01(y - 0.39465 * u - 0.5806 * v);
    data[p + 2] = clamp01(y + 2.03211 * u);
  }
  return { width: output.width, height: output.height, data };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
