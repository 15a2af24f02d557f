// `stylize grid …` (also `stylize --grid …`) and `stylize upscale …`: a strength grid from the command
// line and the continuation of one of its candidates.
//   stylize grid --content A --style B -o grid.png        → grid.png, grid_1.png … grid_4.png, grid.json
//   stylize grid --from-grid grid.json --vary 2 -o v.png   → a Vary grid around candidate 2
//   stylize upscale --from-grid grid.json --pick 2 -o out.png [--size 1024 --steps 300 …]
// Every other flag goes through the ordinary argument parser, so option values are checked exactly as
// for a single run. grid.json keeps the inputs, the spec and the candidates' files for the next step.
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Engine } from '../engine/engine.ts';
import { planGrid, planVary, runGrid, runUpscale, gridCell, type GridSpec } from '../engine/grid/index.ts';
import { chooseBackend, engineThreads, startEngine } from '../engine/start-engine.ts';
import { CancelledError, type Losses, type Progress } from '../engine/types.ts';
import { loadVggWeights } from '../engine/weights/vgg-weights.ts';
import { parseCliArgs, type RunArgs } from './args.ts';
import { EXIT_OK, UsageError } from './errors.ts';
import { formatLoss, formatSeconds } from './format.ts';
import { checkInputFiles } from './input-files.ts';
import type { CliIo } from './io.ts';
import { writeFileAtomic, writeImageFile } from './output.ts';
import { createBarReporter, createLineReporter, type ProgressReporter } from './progress.ts';
import { reportRunFailure, reportUsageError } from './report.ts';
import { obtainWeightsPath } from './weights.ts';

/** grid.json: what `--from-grid` reads back. Paths are relative to the file. */
export interface GridFile {
  content: string;
  styles: string[];
  spec: GridSpec;
  candidates: { index: number; file: string; styleWeight: number; styleScale: number; losses: Losses }[];
}

interface Extracted {
  fromGrid?: string;
  pick?: number;
  vary?: number;
  rest: string[];
}

const OWN_FLAGS = ['from-grid', 'pick', 'vary'] as const;

/** Takes this command's own flags out of argv (`--flag value` and `--flag=value`); the rest passes through. */
function extractFlags(argv: readonly string[]): Extracted {
  const out: Extracted = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.rest.push(...argv.slice(i));
      break;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    const flag = m?.[1] as (typeof OWN_FLAGS)[number] | undefined;
    if (!m || !flag || !OWN_FLAGS.includes(flag)) {
      out.rest.push(a);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${flag} needs a value`);
    if (flag === 'from-grid') out.fromGrid = value;
    else {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 4) throw new UsageError(`--${flag}: got ${JSON.stringify(value)}, expected a candidate from 1 to 4`);
      out[flag] = n;
    }
  }
  return out;
}

function hasFlag(argv: readonly string[], ...names: string[]): boolean {
  return argv.some((a) => names.some((n) => a === n || a.startsWith(`${n}=`)));
}

async function readGridFile(file: string): Promise<GridFile> {
  let parsed: GridFile;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as GridFile;
  } catch (e) {
    throw new UsageError(`--from-grid: cannot read "${file}" (${(e as Error).message.split('\n')[0]})`);
  }
  if (!parsed?.spec?.cells || !Array.isArray(parsed.candidates)) throw new UsageError(`--from-grid: "${file}" is not a grid file written by stylize grid`);
  const dir = dirname(file);
  return {
    ...parsed,
    content: resolve(dir, parsed.content),
    styles: parsed.styles.map((s) => resolve(dir, s)),
    candidates: parsed.candidates.map((c) => ({ ...c, file: resolve(dir, c.file) })),
  };
}

/** The grid file's inputs unless the command line names others. */
function withInputs(argv: string[], from: GridFile | undefined): string[] {
  if (!from) return argv;
  const extra: string[] = [];
  if (!hasFlag(argv, '--content')) extra.push('--content', from.content);
  if (!hasFlag(argv, '--style')) for (const s of from.styles) extra.push('--style', s);
  return [...argv, ...extra];
}

function parseRun(argv: string[], defaultOutput: string): RunArgs {
  const withOutput = hasFlag(argv, '-o', '--output') ? argv : [...argv, '--output', defaultOutput];
  const parsed = parseCliArgs(withOutput);
  if (parsed.command !== 'run') throw new UsageError('--help: see stylize --help');
  for (const flag of ['timelapse', 'plot', 'compare', 'logJson'] as const) {
    if (parsed[flag] !== undefined) throw new UsageError(`--${flag === 'logJson' ? 'log-json' : flag}: not available for grids and upscales yet`);
  }
  return parsed;
}

function reporterFor(io: CliIo, printEvery: number): ProgressReporter {
  return io.stderr.isTTY ? createBarReporter(io.stderr as NodeJS.WritableStream) : createLineReporter(io.stdout, printEvery);
}

async function withEngine<T>(args: RunArgs, io: CliIo, signal: AbortSignal, body: (engine: Engine) => Promise<T>): Promise<T> {
  const threads = engineThreads(io.env);
  const backend = await chooseBackend(args.backend, { threads });
  const weightsPath = await obtainWeightsPath(args.weights, io, signal);
  if (signal.aborted) throw new CancelledError();
  const engine = await startEngine(backend, await loadVggWeights(weightsPath), threads);
  try {
    return await body(engine);
  } finally {
    await engine.dispose();
  }
}

/** out.png → out_2.png for candidate 2. */
function candidatePath(output: string, index: number): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}_${index + 1}${ext}`);
}

function jsonPath(output: string): string {
  return join(dirname(output), `${basename(output, extname(output))}.json`);
}

async function interruptible(io: CliIo, helpCommand: string, body: (signal: AbortSignal) => Promise<void>): Promise<number> {
  const controller = new AbortController();
  const removeInterrupt = io.onInterrupt(() => controller.abort());
  try {
    await body(controller.signal);
    return EXIT_OK;
  } catch (e) {
    return reportRunFailure(io, e, controller.signal.aborted, helpCommand);
  } finally {
    removeInterrupt();
  }
}

export const GRID_USAGE = `Usage: stylize grid --content FILE --style FILE [-o grid.png] [options]
       stylize grid --from-grid grid.json --vary N [-o vary.png] [options]
       stylize upscale --from-grid grid.json --pick N [-o out.png] [options]

grid: four candidates at --grid-size px (default 192) with --grid-steps each (default 100), at style
strengths ×1/4, ×1, ×4 and ×16 of --style-weight, in one labelled 2×2 image; writes <name>_1…4 and
<name>.json beside it. --vary N: a new grid around candidate N (strength ×½ and ×2, style scale ×0.7
and ×1.4). upscale: candidate N continued at --size with --steps, from its image upsampled.
The inputs default to those in the grid file. Every option of stylize --help applies.
`;

function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}

/** `stylize grid …` and `stylize --grid …`. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(GRID_USAGE);
    return EXIT_OK;
  }
  let own: Extracted;
  let args: RunArgs;
  let from: GridFile | undefined;
  try {
    own = extractFlags(argv);
    if (own.pick !== undefined) throw new UsageError('--pick is for stylize upscale; a grid takes --vary N');
    if (own.vary !== undefined && !own.fromGrid) throw new UsageError('--vary needs --from-grid FILE (the grid.json of the grid to vary)');
    from = own.fromGrid ? await readGridFile(own.fromGrid) : undefined;
    // --grid makes the options schema refuse texture and reconstruct with the same words as in chat.
    args = parseRun(withInputs(['--grid', ...own.rest.filter((a) => a !== '--grid')], from), 'grid.png');
  } catch (e) {
    if (e instanceof UsageError) return reportUsageError(io, e.message, 'stylize grid');
    throw e;
  }
  return interruptible(io, 'stylize grid', async (signal) => {
    await checkInputFiles(args);
    const spec = own.vary !== undefined && from ? planVary(args.options, gridCell(from.spec, own.vary - 1)) : planGrid(args.options);
    await withEngine(args, io, signal, async (engine) => {
      const progress = reporterFor(io, args.options.printEvery);
      try {
        const r = await runGrid({
          content: args.content!,
          styles: args.styles,
          options: args.options,
          spec,
          engine,
          signal,
          onProgress: (p: Progress) => progress.update(p),
        });
        progress.finish();
        const files = r.candidates.map((c) => candidatePath(args.output, c.index));
        for (const [i, c] of r.candidates.entries()) await writeImageFile(files[i], c.png);
        await writeImageFile(args.output, r.png);
        const json = jsonPath(args.output);
        const dir = dirname(json);
        const gridFile: GridFile = {
          content: relative(dir, resolve(args.content!)),
          styles: args.styles.map((s) => relative(dir, resolve(s))),
          spec,
          candidates: r.candidates.map((c, i) => ({
            index: c.index,
            file: relative(dir, resolve(files[i])),
            styleWeight: spec.cells[i].styleWeight,
            styleScale: spec.cells[i].styleScale,
            losses: c.losses,
          })),
        };
        await writeFileAtomic(json, Buffer.from(JSON.stringify(gridFile, null, 2) + '\n'));
        for (const [i, c] of r.candidates.entries()) {
          const cell = spec.cells[i];
          io.stdout.write(`${i + 1}: strength ${cell.styleWeight}, style scale ${cell.styleScale}, total loss ${formatLoss(c.losses.total)} → ${files[i]}\n`);
        }
        io.stdout.write(`done in ${formatSeconds(r.runtimeMs)} → ${args.output}, ${json}\nnext: stylize upscale --from-grid ${json} --pick N, or stylize grid --from-grid ${json} --vary N\n`);
      } catch (e) {
        progress.stop();
        throw e;
      }
    });
  });
}

/** `stylize upscale --from-grid grid.json --pick N …`. */
export async function runUpscaleCommand(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout.write(GRID_USAGE);
    return EXIT_OK;
  }
  let args: RunArgs;
  let from: GridFile;
  let pick: number;
  try {
    const own = extractFlags(argv);
    if (!own.fromGrid) throw new UsageError('upscale needs --from-grid FILE (the grid.json stylize grid wrote) and --pick N');
    if (own.pick === undefined) throw new UsageError('upscale needs --pick N: which candidate (1 to 4) to continue');
    if (own.vary !== undefined) throw new UsageError('--vary is for stylize grid');
    pick = own.pick - 1;
    from = await readGridFile(own.fromGrid);
    args = parseRun(withInputs(own.rest, from), 'out.png');
  } catch (e) {
    if (e instanceof UsageError) return reportUsageError(io, e.message, 'stylize upscale');
    throw e;
  }
  return interruptible(io, 'stylize upscale', async (signal) => {
    await checkInputFiles(args);
    const candidate = from.candidates.find((c) => c.index === pick);
    if (!candidate) throw new UsageError(`--pick: the grid file has no candidate ${pick + 1}`);
    const candidatePng = await readFile(candidate.file).catch((e: Error) => {
      throw new UsageError(`--from-grid: cannot read candidate ${pick + 1} "${candidate.file}" (${e.message.split('\n')[0]})`);
    });
    await withEngine(args, io, signal, async (engine) => {
      const progress = reporterFor(io, args.options.printEvery);
      try {
        const r = await runUpscale({
          content: args.content!,
          styles: args.styles,
          options: args.options,
          spec: from.spec,
          index: pick,
          candidatePng,
          engine,
          signal,
          onProgress: (p) => progress.update(p),
        });
        progress.finish();
        await writeImageFile(args.output, r.png);
        io.stdout.write(`done in ${formatSeconds(r.runtimeMs)} → ${args.output}\n`);
      } catch (e) {
        progress.stop();
        throw e;
      }
    });
  });
}
