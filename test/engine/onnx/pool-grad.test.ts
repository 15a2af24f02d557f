// The pool and ReLU gradient subgraphs against a plain loop doing what PyTorch's backward does:
// a max-pool window's gradient goes to its first maximum in raster order, an average-pool window's
// in quarters, nothing to the row or column an odd size drops. Inputs with few distinct values make
// most windows tie; the results must be equal, not close.
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../../src/engine/onnx/graph-builder.ts';
import { sessionOptions } from '../../../src/engine/onnx/onnx-engine.ts';
import { avgPoolBackward, maxPoolBackward } from '../../../src/engine/onnx/pool-grad.ts';
import { mulberry32 } from '../../../src/engine/prng.ts';

const C = 3;

/** x [1, C, H, W], g [1, C, ⌊H/2⌋, ⌊W/2⌋] → the three gradients d/dx. */
function buildModel(): Uint8Array {
  const g = new GraphBuilder('pool_grad_test');
  const x = g.input('x', [1, C, 'H', 'W']);
  const grad = g.input('g', [1, C, 'h', 'w']);
  const inputHw = g.node('Slice', [g.node('Shape', [x]), g.ints([2]), g.ints([4])]);
  const pooledHw = g.node('Div', [inputHw, g.ints([2])]);
  const pooled = g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const dims = [1, C, 'H', 'W'];
  g.output(maxPoolBackward(g, { input: x, pooled, grad, inputHw, pooledHw }), 'max', dims);
  g.output(maxPoolBackward(g, { input: x, pooled, grad, inputHw, pooledHw, reluInput: true }), 'max_relu', dims);
  g.output(avgPoolBackward(g, grad, inputHw, pooledHw), 'avg', dims);
  return g.encode();
}

interface Expected {
  max: Float32Array;
  maxRelu: Float32Array;
  avg: Float32Array;
}

/** The loop: for each window, the first maximum in raster order (strictly greater replaces). */
function reference(x: Float32Array, g: Float32Array, H: number, W: number): Expected {
  const h = Math.floor(H / 2);
  const w = Math.floor(W / 2);
  const max = new Float32Array(C * H * W);
  const maxRelu = new Float32Array(C * H * W);
  const avg = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const gv = g[(c * h + i) * w + j];
        let best = -1;
        for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const at = (c * H + 2 * i + dy) * W + 2 * j + dx;
          if (best < 0 || x[at] > x[best]) best = at;
          avg[at] = gv * 0.25;
        }
        max[best] = gv;
        // Then a ReLU's backward on its output x: pass where x > 0.
        maxRelu[best] = x[best] > 0 ? gv : 0;
      }
    }
  }
  return { max, maxRelu, avg };
}

/** Values from {0, 0.5, 1} (and −0.5 when `negative`): most 2×2 windows hold a tie. */
function tieHeavy(n: number, seed: number, negative: boolean): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.floor(rand() * (negative ? 4 : 3)) * 0.5 - (negative ? 0.5 : 0));
}

/** Every element, with −0 as 0 (a gradient times a 0 mask may be −0; it adds up the same). */
function values(t: ort.Tensor | Float32Array): number[] {
  return Array.from(t instanceof Float32Array ? t : (t.data as Float32Array), (v) => v + 0);
}

describe('pool and ReLU gradients as ONNX subgraphs', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(buildModel(), sessionOptions({ provider: 'cpu', threads: 1 }));
  });
  afterAll(async () => session?.release());

  for (const [W, H] of [[8, 6], [7, 5], [9, 11], [3, 2], [32, 33]]) {
    it(`equal to the first-maximum loop at ${W}×${H} with tied windows`, async () => {
      for (const [seed, negative] of [[1, false], [2, true], [3, false]] as const) {
        const h = Math.floor(H / 2);
        const w = Math.floor(W / 2);
        const x = tieHeavy(C * H * W, seed, negative);
        const g = Float32Array.from(tieHeavy(C * h * w, seed + 100, true), (v, k) => v + k * 1e-3);
        const out = await session.run({ x: new ort.Tensor('float32', x, [1, C, H, W]), g: new ort.Tensor('float32', g, [1, C, h, w]) });
        const e = reference(x, g, H, W);
        expect(out.max.dims).toEqual([1, C, H, W]);
        expect(values(out.max), `max, seed ${seed}`).toEqual(values(e.max));
        expect(values(out.max_relu), `max with ReLU mask, seed ${seed}`).toEqual(values(e.maxRelu));
        expect(values(out.avg), `avg, seed ${seed}`).toEqual(values(e.avg));
      }
    });
  }

  it('the tie-heavy inputs do tie: most windows hold their maximum more than once', () => {
    const x = tieHeavy(C * 8 * 6, 1, false);
    let tied = 0;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 4; j++) {
          const v = [0, 1, 8, 9].map((d) => x[c * 48 + 2 * i * 8 + 2 * j + d]);
          if (v.filter((u) => u === Math.max(...v)).length > 1) tied++;
        }
      }
    }
    expect(tied / (C * 12)).toBeGreaterThan(0.3);
  });
});
