// npm run bench [-- --sizes 128,256,512 --presets gatys,seed --backends onnx-cpu,wasm --runs 3 --steps 4 --threads 2]
// ms per loss + gradient evaluation, GFLOP/s and peak RSS of each backend at each size and preset,
// and onnx-cpu's time as a fraction of wasm's. Each cell runs in `--runs` separate processes
// (scripts/bench-engine.ts), the cells interleaved round by round, one process at a time: the same
// graph varies by up to ~25 % between processes while each process is stable, and a slow moment of
// the machine should hit every cell alike. Printed: the median over the processes with min–max.
// "cpu/s" is CPU seconds per wall second while timing: ONNX Runtime's threads spin, so a 2-thread
// run that got both cores shows about 2.0, and less when other processes took some (then the
// figures are low). The CPU model and clock come from /proc/cpuinfo; "of peak" divides GFLOP/s by this
// CPU's FMA peak at the same thread count, measured before the cells (scripts/peak/fma-peak.ts; needs
// a C compiler), so figures from different CPUs can be compared.
// Weights: STYLIZE_WEIGHTS if set, else random ones in the real VGG-19 shapes (speed does not depend
// on the values).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureFmaPeak } from './peak/fma-peak.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '128,256,512' },
    presets: { type: 'string', default: 'gatys,seed' },
    backends: { type: 'string', default: 'onnx-cpu,wasm' },
    runs: { type: 'string', default: '3' },
    steps: { type: 'string', default: '4' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    optimizer: { type: 'string', default: 'adam' },
  },
});

interface Run {
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

interface Cell {
  backend: string;
  size: number;
  preset: string;
  runs: Run[];
}

/** CPU model, logical CPUs and clock as /proc/cpuinfo states them (a VM's clock may be its nominal one). */
function describeCpu(): string {
  let info = '';
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} logical CPUs`;
  }
  const field = (name: string) => [...info.matchAll(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'gm'))].map((m) => m[1].trim());
  const model = field('model name')[0] ?? 'unknown CPU';
  const mhz = field('cpu MHz').map(Number).filter((v) => v > 0);
  const clock = mhz.length ? `${(Math.min(...mhz) / 1000).toFixed(2)}–${(Math.max(...mhz) / 1000).toFixed(2)} GHz` : 'clock not reported';
  const flags = field('flags')[0] ?? '';
  const simd = ['avx512f', 'avx2'].find((f) => flags.split(' ').includes(f)) ?? 'no AVX2';
  return `${model}, ${mhz.length || os.availableParallelism()} logical CPUs at ${clock} (/proc/cpuinfo), ${simd}`;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** "median (min–max)" with `digits` decimals. */
const spread = (v: number[], digits: number) => `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)})`;

const repo = path.resolve(import.meta.dirname, '..');
const backends = values.backends.split(',');
const sizes = values.sizes.split(',').map(Number);
const presets = values.presets.split(',');
const runs = Math.max(1, Number(values.runs));
const cells: Cell[] = [];
for (const size of sizes) for (const preset of presets) for (const backend of backends) cells.push({ backend, size, preset, runs: [] });

console.log(`CPU: ${describeCpu()}; load average ${os.loadavg()[0].toFixed(2)} at the start`);
const peak = measureFmaPeak(Number(values.threads));
console.log(
  peak
    ? `FMA peak at ${values.threads} threads: ${peak.gflops.toFixed(0)} GFLOP/s (${peak.lanes * 32}-bit vectors, median of ${peak.all.map((g) => g.toFixed(0)).join(', ')})`
    : 'FMA peak: not measured (no C compiler)',
);
console.log(
  `${runs} processes per cell, interleaved; in each, ${values.steps} timed evaluations after 2 warm-up ones; ${values.threads} threads, optimizer ${values.optimizer}, tubingen + starry night`,
);
for (let round = 1; round <= runs; round++) {
  for (const cell of cells) {
    process.stderr.write(`\rround ${round}/${runs}: ${cell.backend} ${cell.size} ${cell.preset}            `);
    const out = execFileSync(
      process.execPath,
      [
        '--import', 'tsx', 'scripts/bench-engine.ts', '--backend', cell.backend, '--size', String(cell.size), '--preset', cell.preset,
        '--steps', values.steps, '--threads', values.threads, '--optimizer', values.optimizer,
      ],
      { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, STYLIZE_LOG_LEVEL: 'error' } },
    );
    cell.runs.push(JSON.parse(out.trim().split('\n').at(-1)!) as Run);
  }
}
process.stderr.write('\r'.padEnd(60) + '\r');

console.log('\nmedian (min–max) over the processes');
console.log(`${'backend'.padEnd(10)} ${'size'.padStart(4)}  ${'preset'.padEnd(7)}  ${'WxH'.padEnd(9)}  ${'ms/eval'.padEnd(20)}  GFLOP/eval  ${'GFLOP/s'.padEnd(23)}  ${'cpu/s'.padEnd(17)}  of peak  peak RSS`);
for (const c of cells) {
  const r0 = c.runs[0];
  console.log(
    [
      c.backend.padEnd(10),
      String(c.size).padStart(4),
      ` ${c.preset.padEnd(7)}`,
      ` ${`${r0.width}×${r0.height}`.padEnd(9)}`,
      ` ${spread(c.runs.map((r) => r.msPerEval), 0).padEnd(20)}`,
      ` ${r0.gflop.toFixed(2).padStart(10)}`,
      ` ${spread(c.runs.map((r) => r.gflops), 1).padEnd(23)}`,
      ` ${spread(c.runs.map((r) => r.cpuPerWall), 2).padEnd(17)}`,
      ` ${(peak && c.backend === 'onnx-cpu' ? `${((100 * median(c.runs.map((r) => r.gflops))) / peak.gflops).toFixed(0)} %` : '-').padStart(7)}`,
      ` ${(Math.max(...c.runs.map((r) => r.peakRssMb)) / 1024).toFixed(2)} GB`,
    ].join(' '),
  );
}

const find = (b: string, size: number, preset: string) => cells.find((c) => c.backend === b && c.size === size && c.preset === preset);
if (backends.includes('onnx-cpu') && backends.includes('wasm')) {
  console.log('\nonnx-cpu time / wasm time per evaluation, medians (goal ≤ 0.25 at 256 px):');
  for (const size of sizes) {
    for (const preset of presets) {
      const a = find('onnx-cpu', size, preset);
      const b = find('wasm', size, preset);
      if (!a || !b) continue;
      const [ma, mb] = [median(a.runs.map((r) => r.msPerEval)), median(b.runs.map((r) => r.msPerEval))];
      console.log(`  ${String(size).padStart(4)} ${preset.padEnd(6)} ${(ma / mb).toFixed(3)}  (${(mb / ma).toFixed(1)}× faster)`);
    }
  }
}
