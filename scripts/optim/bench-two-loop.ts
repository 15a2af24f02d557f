// Times one two-loop recursion with a full memory: npx tsx scripts/optim/bench-two-loop.ts [n] [history]
import { LbfgsMemory } from '../../src/engine/optim/lbfgs-memory.ts';
import { random } from '../lib/optim/objectives.ts';

const n = Number(process.argv[2] ?? 256 * 256 * 3);
const history = Number(process.argv[3] ?? 100);
const rnd = random(7);
const memory = new LbfgsMemory(n, history);
const x0 = new Float32Array(n);
const x1 = new Float32Array(n);
const g0 = new Float32Array(n);
const g1 = new Float32Array(n);
while (memory.size < history) {
  for (let i = 0; i < n; i++) {
    x1[i] = x0[i] + rnd() - 0.5;
    g1[i] = g0[i] + (x1[i] - x0[i]) * (1 + i / n) + 0.01 * (rnd() - 0.5);
  }
  memory.update(x1, x0, g1, g0);
}
const q = new Float64Array(n);
const held = new Uint8Array(n).fill(1);
for (let i = 0; i < n; i += 10) held[i] = 0;
for (const [label, free] of [['all free', undefined], ['10% held', held]] as const) {
  const times: number[] = [];
  for (let rep = 0; rep < 8; rep++) {
    for (let i = 0; i < n; i++) q[i] = free && !free[i] ? 0 : rnd() - 0.5;
    const t0 = performance.now();
    memory.applyInverseHessian(q, free);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`two-loop n=${n} history=${history} (${label}): median ${times[4].toFixed(1)} ms, min ${times[0].toFixed(1)} ms`);
}
