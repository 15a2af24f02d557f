// FLOPs of one loss + gradient evaluation, the way the benchmarks count them: each conv up to the
// deepest layer forward and its input gradient (2·2·H·W·9·cin·cout), Grams forward and backward.
import { VGG_LAYER_NAMES, type StyleOptions } from '../src/options.ts';
import type { VggWeights } from '../src/engine/types.ts';

export function flopsPerEvaluation(o: StyleOptions, width: number, height: number, weights: VggWeights): number {
  const used = [...(o.mode === 'texture' ? [] : o.contentLayers), ...(o.mode === 'reconstruct' ? [] : o.styleLayers)];
  const deepest = Math.max(...used.map((l) => VGG_LAYER_NAMES.indexOf(l)));
  let h = height;
  let w = width;
  let conv = 0;
  let channels = 3;
  let flops = 0;
  for (let i = 0; i <= deepest; i++) {
    const name = VGG_LAYER_NAMES[i];
    if (name.startsWith('conv')) {
      const { cin, cout } = weights[conv++];
      flops += 2 * 2 * h * w * 9 * cin * cout;
      channels = cout;
    } else if (name.startsWith('pool')) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
    if (o.mode !== 'reconstruct' && o.styleLayers.includes(name)) flops += 2 * 2 * h * w * channels * channels;
  }
  return flops;
}
