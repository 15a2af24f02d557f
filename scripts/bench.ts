// npm run bench [-- --sizes 128,256,512 --presets gatys,seed --backends onnx-cpu,wasm --steps 4 --threads 2]
// ms per loss + gradient evaluation, GFLOP/s and peak RSS of each backend at each size and preset,
// and onnx-cpu's time as a fraction of wasm's in the same run. Each cell runs in its own process
// (scripts/bench-engine.ts), one after the other, so peak RSS is the cell's and no two engines share
// the cores. "cpu/s" is CPU seconds per wall second while timing: ONNX Runtime's threads spin, so a
// 2-thread run that got both cores shows about 2.0, and less when other processes took some.
// Weights: STYLIZE_WEIGHTS if set, else random ones in the real VGG-19 shapes (speed does not depend
// on the values).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256,512' },
    presets: { type: 'string', default: 'gatys,seed' },
    backends: { type: 'string', default: 'onnx-cpu,wasm' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    optimizer: { type: 'string', default: 'adam' },
  },
});

interface Cell {
  backend: string;
  threads: number;
  preset: string;
  width: number;
  height: number;
  msPerEval: number;
  gflop: number;
  gflops: number;
  cpuPerWall: number;
  peakRssMb: number;
}

const repo = path.resolve(import.meta.dirname, '..');
const backends = values.backends.split(',');
const cells: Cell[] = [];
console.log(`${values.steps} timed evaluations after 2 warm-up ones, ${values.threads} threads, optimizer ${values.optimizer}, tubingen + starry night`);
console.log('backend    size  preset   WxH        ms/eval  GFLOP/eval  GFLOP/s  cpu/s  peak RSS');
for (const size of values.sizes.split(',')) {
  for (const preset of values.presets.split(',')) {
    for (const backend of backends) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/bench-engine.ts', '--backend', backend, '--size', size, '--preset', preset, '--steps', values.steps, '--threads', values.threads, '--optimizer', values.optimizer],
        { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STYLIZE_LOG_LEVEL: 'error' } },
      );
      const cell = JSON.parse(out.trim().split('\n').at(-1)!) as Cell;
      cells.push(cell);
      console.log(
        `${backend.padEnd(10)} ${size.padStart(4)}  ${preset.padEnd(7)}  ${`${cell.width}×${cell.height}`.padEnd(9)}  ${cell.msPerEval.toFixed(0).padStart(7)}  ${cell.gflop.toFixed(2).padStart(10)}  ${cell.gflops.toFixed(1).padStart(7)}  ${cell.cpuPerWall.toFixed(2).padStart(5)}  ${(cell.peakRssMb / 1024).toFixed(2)} GB`,
      );
    }
  }
}

const find = (b: string, size: number, preset: string) => cells.find((c) => c.backend === b && Math.max(c.width, c.height) === size && c.preset === preset);
if (backends.includes('onnx-cpu') && backends.includes('wasm')) {
  console.log('\nonnx-cpu time / wasm time per evaluation (goal ≤ 0.25 at 256 px):');
  for (const size of values.sizes.split(',').map(Number)) {
    for (const preset of values.presets.split(',')) {
      const a = find('onnx-cpu', size, preset);
      const b = find('wasm', size, preset);
      if (a && b) console.log(`  ${String(size).padStart(4)} ${preset.padEnd(6)} ${(a.msPerEval / b.msPerEval).toFixed(3)}  (${(b.msPerEval / a.msPerEval).toFixed(1)}× faster)`);
    }
  }
}
