// This CPU's FMA peak in GFLOP/s, for "% of peak" beside the engine's GFLOP/s: builds fma-peak.c with
// the machine's C compiler (-march=native: AVX-512 where the CPU has it) and runs it in `runs`
// separate processes, returning the median. Null where no C compiler is installed.
//   npm run bench:peak [-- --threads 2 --runs 3]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];

export function measureFmaPeak(threads: number, runs = 3): { gflops: number; lanes: number; all: number[] } | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fma-peak-'));
  try {
    const exe = path.join(dir, 'fma-peak');
    try {
      execFileSync('cc', ['-O2', '-march=native', '-pthread', path.join(import.meta.dirname, 'fma-peak.c'), '-o', exe], { stdio: 'ignore' });
    } catch {
      return null;
    }
    const all: number[] = [];
    let lanes = 0;
    for (let i = 0; i < runs; i++) {
      const r = JSON.parse(execFileSync(exe, [String(threads), '1'], { encoding: 'utf8' })) as { gflops: number; lanes: number };
      all.push(r.gflops);
      lanes = r.lanes;
    }
    return { gflops: median(all), lanes, all };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { threads: { type: 'string', default: String(os.availableParallelism()) }, runs: { type: 'string', default: '3' } },
  });
  for (const threads of [1, Number(values.threads)].filter((t, i, a) => a.indexOf(t) === i)) {
    const peak = measureFmaPeak(threads, Number(values.runs));
    if (!peak) {
      console.error('no C compiler (cc) found: install gcc to measure the FMA peak');
      process.exit(1);
    }
    console.log(`${threads} thread${threads === 1 ? '' : 's'}: FMA peak ${peak.gflops.toFixed(0)} GFLOP/s (${peak.lanes * 32}-bit vectors; runs ${peak.all.map((g) => g.toFixed(0)).join(', ')})`);
  }
}
