// What the style Gram cache saves a job with a library style, on one engine process as the job
// worker runs it: two ONNX engines in this process, one without a cache and one with, each running
// the same job (decode, targets, `--steps` iterations, encode) in turn, interleaved so that load from
// other processes falls on both alike.
//   npm run bench:gram-cache -- --size 256 --runs 7 --steps 0 --threads 1
// Prints per run and then medians: the job's wall and CPU time and its createObjective (targets)
// time on each engine, the saving, and the CPU seconds per wall second of this process and of the whole
// machine while timing (a busy machine makes every figure slower). Weights: STYLIZE_WEIGHTS, else
// random stand-ins of the same shapes (the timings only depend on the shapes).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/engine/engine.ts';
import { GramCache } from '../src/engine/gram-cache.ts';
import { createOnnxEngine } from '../src/engine/onnx/onnx-engine.ts';
import { runPipeline } from '../src/engine/pipeline.ts';
import { loadVggWeights } from '../src/engine/weights/vgg-weights.ts';
import { resolveOptions, type Preset } from '../src/options.ts';
import { readBuiltinStyle } from '../src/styles/builtin.ts';
import { randomVggWeights } from './lib/random-weights.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '256' },
    runs: { type: 'string', default: '7' },
    steps: { type: 'string', default: '0' },
    threads: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'gatys' },
    style: { type: 'string', default: 'starry-night' },
    content: { type: 'string', default: 'shipwreck' },
  },
});

const size = Number(values.size);
const runs = Number(values.runs);
const steps = Number(values.steps);
const threads = Number(values.threads);

/** Busy CPU seconds of the whole machine so far, from /proc/stat (Linux; 0 elsewhere). */
function machineCpuSeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = fields[3] + (fields[4] ?? 0);
    return (fields.reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return 0;
  }
}

async function image(name: string): Promise<Buffer> {
  const bytes = await readBuiltinStyle(name);
  if (!bytes) throw new Error(`no built-in style "${name}"`);
  return bytes;
}

/** The engine with its createObjective timed: that is where the style targets are computed. */
function timed(engine: Engine): { engine: Engine; lastTargetsMs: () => number } {
  let ms = 0;
  return {
    engine: {
      backend: engine.backend,
      channels: engine.channels,
      memoryBudget: () => engine.memoryBudget(),
      dispose: () => engine.dispose(),
      async createObjective(o, content, styles, outputSize) {
        const start = performance.now();
        const objective = await engine.createObjective(o, content, styles, outputSize);
        ms = performance.now() - start;
        return objective;
      },
    },
    lastTargetsMs: () => ms,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const weights = process.env.STYLIZE_WEIGHTS ? await loadVggWeights(process.env.STYLIZE_WEIGHTS) : randomVggWeights(1);
const content = await image(values.content);
const style = await image(values.style);
const options = resolveOptions({ preset: values.preset as Preset, size, steps, optimizer: 'adam', init: 'content', printEvery: 0 });
const cache = new GramCache();
const engines = {
  uncached: timed(await createOnnxEngine(weights, { provider: 'cpu', threads, gramCache: new GramCache(0) })),
  cached: timed(await createOnnxEngine(weights, { provider: 'cpu', threads, gramCache: cache })),
};

type Kind = keyof typeof engines;
const job = async (kind: Kind) => {
  const start = performance.now();
  const cpu = process.cpuUsage();
  await runPipeline({ content, styles: [style], options, engine: engines[kind].engine });
  const used = process.cpuUsage(cpu);
  return { jobMs: performance.now() - start, jobCpuMs: (used.user + used.system) / 1000, targetsMs: engines[kind].lastTargetsMs() };
};

// Warm-up: session creation and the first runs are slow; the cached engine also fills its cache here.
for (const kind of ['uncached', 'cached'] as const) await job(kind);

const results: Record<Kind, { jobMs: number; jobCpuMs: number; targetsMs: number }[]> = { uncached: [], cached: [] };
const cpuStart = process.cpuUsage();
const machineStart = machineCpuSeconds();
const wallStart = performance.now();
for (let i = 0; i < runs; i++) {
  // Alternate which goes first, so neither always follows the other's cache-warming work.
  const order: Kind[] = i % 2 ? ['cached', 'uncached'] : ['uncached', 'cached'];
  for (const kind of order) results[kind].push(await job(kind));
  console.log(
    `run ${i + 1}: job ${results.uncached[i].jobMs.toFixed(0)} → ${results.cached[i].jobMs.toFixed(0)} ms ` +
      `(CPU ${results.uncached[i].jobCpuMs.toFixed(0)} → ${results.cached[i].jobCpuMs.toFixed(0)} ms), ` +
      `targets ${results.uncached[i].targetsMs.toFixed(0)} → ${results.cached[i].targetsMs.toFixed(0)} ms`,
  );
}
const wallS = (performance.now() - wallStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
const processCpu = (cpu.user + cpu.system) / 1e6 / wallS;
const machineCpu = (machineCpuSeconds() - machineStart) / wallS;
for (const e of Object.values(engines)) await e.engine.dispose();

const m = (kind: Kind, key: 'jobMs' | 'jobCpuMs' | 'targetsMs') => median(results[kind].map((r) => r[key]));
const saved = median(results.uncached.map((r, i) => r.jobMs - results.cached[i].jobMs));
console.log(
  JSON.stringify({
    backend: 'onnx-cpu',
    threads,
    size,
    preset: values.preset,
    steps,
    runs,
    style: values.style,
    jobMsUncached: Math.round(m('uncached', 'jobMs')),
    jobMsCached: Math.round(m('cached', 'jobMs')),
    savedMsPerJob: Math.round(saved),
    jobCpuMsUncached: Math.round(m('uncached', 'jobCpuMs')),
    jobCpuMsCached: Math.round(m('cached', 'jobCpuMs')),
    targetsMsUncached: Math.round(m('uncached', 'targetsMs')),
    targetsMsCached: Math.round(m('cached', 'targetsMs')),
    cacheHits: cache.stats().hits,
    processCpuSPerS: Number(processCpu.toFixed(2)),
    machineCpuSPerS: Number(machineCpu.toFixed(2)),
  }),
);
