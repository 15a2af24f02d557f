// `stylize sheet reconstruct|texture|init|grid …`: the writeup's experiment sheets from the command
// line. The sheet's own flags (several --content, --layers, --combo, -o) are taken out here; every
// other flag goes through the ordinary argument parser, so option values are checked exactly as for
// a single run. Defaults are the writeup's setup: the seed preset (L-BFGS, cw 1, sw 1e6, from noise).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { BackendChoice } from '../engine/backend-names.ts';
import { DEFAULT_SWEEP_LAYERS, DEFAULT_TEXTURE_COMBO, SHEET_KINDS, SheetError, isSheetKind, planSheet } from '../engine/sheet/plan.ts';
import type { SheetKind } from '../engine/sheet/plan.ts';
import { CancelledError } from '../engine/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { StyleOptions } from '../options.ts';
import { parseCliArgs, type RunArgs } from './args.ts';
import { EXIT_OK, UsageError } from './errors.ts';
import { checkInputFiles } from './input-files.ts';
import type { CliIo } from './io.ts';
import { OUTPUT_EXTENSIONS, writeImageFile } from './output.ts';
import { createBarReporter, createLineReporter, type ProgressReporter } from './progress.ts';
import { formatLoss, formatSeconds } from './format.ts';
import { reportRunFailure, reportUsageError } from './report.ts';
import { versionText } from './version.ts';
import { SheetCurves } from './sheet-curves.ts';
import { obtainWeightsPath } from './weights.ts';

export interface SheetArgs {
  command: 'sheet';
  kind: SheetKind;
  contents: string[];
  styles: string[];
  /** The sheet image; the report goes next to it as <name>.json. */
  output: string;
  json: string;
  /** PNG chart: one loss curve per run. */
  plot?: string;
  layers?: string[];
  combo?: string[];
  weights?: string;
  backend?: BackendChoice;
  options: StyleOptions;
}

export type SheetCommand = { command: 'help' } | { command: 'version' } | SheetArgs;

type SheetFlag = 'content' | 'style' | 'output' | 'layers' | 'combo';
const SHEET_FLAGS: readonly SheetFlag[] = ['content', 'style', 'output', 'layers', 'combo'];

/** Flags of a single run that a sheet sets itself (per kind) or has no use for. */
const REFUSED: Record<string, string> = {
  mode: 'each sheet sets the mode of its runs',
  'init-image': 'sheets start from noise or from their inputs',
  'style-blend': 'each run of a sheet uses one style image',
  'style-name': 'sheets take their style images as --style FILE (the built-ins are files in src/styles/builtin/)',
  'save-every': 'sheets save no previews',
  'log-json': 'the sheet writes its numbers to <output>.json',
  timelapse: 'sheets keep no frames; make a time-lapse of a single run',
  compare: 'the sheet already shows its inputs beside the results',
};
const REFUSED_BY_KIND: Record<SheetKind, Record<string, string>> = {
  reconstruct: {
    init: 'a reconstruct sheet starts from noise',
    'content-layers': 'a reconstruct sheet sweeps --layers',
    'style-layers': 'a reconstruct sheet has no style term',
  },
  texture: {
    init: 'a texture sheet starts from noise',
    'style-layers': 'a texture sheet sweeps --layers and --combo',
    'content-layers': 'a texture sheet has no content term',
  },
  init: { init: 'an init sheet runs from noise and from the content image' },
  grid: {},
};

function usageError(message: string): never {
  throw new UsageError(message);
}

function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Like the run's --style: a comma-separated list unless the name is an existing file. */
function splitFiles(values: readonly string[]): string[] {
  return values.flatMap((v) => (v.includes(',') && !existsSync(v) ? splitList(v) : [v.trim()])).filter(Boolean);
}

interface Extracted {
  values: Record<SheetFlag, string[]>;
  rest: string[];
}

/** Takes the sheet's own flags out of argv (both `--flag value` and `--flag=value`); the rest passes through. */
function extractSheetFlags(argv: readonly string[]): Extracted {
  const values: Record<SheetFlag, string[]> = { content: [], style: [], output: [], layers: [], combo: [] };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const long = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    const short = /^-o(.*)$/s.exec(a);
    const name = short ? 'output' : (long?.[1] as SheetFlag | undefined);
    if (!name || !SHEET_FLAGS.includes(name)) {
      rest.push(a);
      continue;
    }
    let value = short ? short[1] || undefined : long?.[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1)) usageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    values[name].push(value);
  }
  return { values, rest };
}

function refuseUnused(kind: SheetKind, rest: readonly string[]): void {
  const refused = { ...REFUSED, ...REFUSED_BY_KIND[kind] };
  for (const a of rest) {
    if (a === '--') break;
    const flag = /^--(?:no-)?([a-z-]+)/.exec(a)?.[1];
    if (flag && Object.hasOwn(refused, flag)) usageError(`--${flag} is not used by \`stylize sheet ${kind}\`: ${refused[flag]}`);
  }
}

/** --mode/--content/--style just so the run parser's checks of what a mode needs pass. */
function placeholderInputs(kind: SheetKind, contents: string[], styles: string[]): string[] {
  const content = contents.length > 0 ? ['--content', contents[0]] : [];
  const style = styles.length > 0 ? ['--style', styles[0]] : [];
  if (kind === 'reconstruct') return ['--mode', 'reconstruct', ...content];
  if (kind === 'texture') return ['--mode', 'texture', ...style];
  return [...content, ...style];
}

function needInputs(kind: SheetKind, contents: string[], styles: string[]): void {
  const wantsContent = kind !== 'texture';
  const wantsStyle = kind !== 'reconstruct';
  const missing = [wantsContent && contents.length === 0 ? '--content FILE' : '', wantsStyle && styles.length === 0 ? '--style FILE' : '']
    .filter(Boolean)
    .join(' and ');
  if (missing) usageError(`\`stylize sheet ${kind}\` needs ${missing}`);
  if (!wantsContent && contents.length > 0) usageError(`a texture sheet uses no --content (it synthesises from the style images)`);
  if (!wantsStyle && styles.length > 0) usageError(`a reconstruct sheet uses no --style (it reconstructs the content images)`);
}

export function jsonPathFor(output: string): string {
  return join(dirname(output), `${basename(output, extname(output))}.json`);
}

/** Parses `stylize sheet …` argv (after the word `sheet`). Throws UsageError with a one-line message. */
export function parseSheetArgs(argv: readonly string[]): SheetCommand {
  const [kindWord, ...afterKind] = argv;
  if (kindWord === undefined) usageError(`sheet: which one? (${SHEET_KINDS.join(', ')})`);
  if (kindWord === '--help' || kindWord === '-h') return { command: 'help' };
  if (kindWord === '--version') return { command: 'version' };
  if (!isSheetKind(kindWord)) usageError(`sheet: unknown kind "${kindWord}" (use ${SHEET_KINDS.join(', ')})`);
  const kind = kindWord;
  if (afterKind.some((a) => a === '--help' || a === '-h')) return { command: 'help' };

  const { values, rest } = extractSheetFlags(afterKind);
  refuseUnused(kind, rest);
  const contents = splitFiles(values.content);
  const styles = splitFiles(values.style);
  needInputs(kind, contents, styles);
  if (values.layers.length > 0 && kind !== 'reconstruct' && kind !== 'texture') usageError(`--layers is only for reconstruct and texture sheets`);
  if (values.combo.length > 0 && kind !== 'texture') usageError(`--combo is only for texture sheets`);
  const layers = values.layers.length > 0 ? splitList(values.layers.at(-1) ?? '') : undefined;
  const combo = values.combo.length > 0 ? splitList(values.combo.at(-1) ?? '') : undefined;
  if (layers?.length === 0) usageError('--layers needs at least one layer');
  if (combo?.length === 0) usageError('--combo needs at least one layer');

  const output = values.output.at(-1) ?? `${kind}-sheet.png`;
  if (output === '') usageError('--output needs a file name');
  const ext = extname(output).toLowerCase();
  if (!OUTPUT_EXTENSIONS.includes(ext)) usageError(`--output: cannot write "${ext || 'no extension'}" images; name the file .png, .jpg or .webp`);

  // The seed preset first, so an explicit --preset (or any option flag) overrides it.
  const parsed = parseCliArgs(['--preset', 'seed', ...rest, ...placeholderInputs(kind, contents, styles)]);
  if (parsed.command !== 'run') return parsed;

  const args: SheetArgs = {
    command: 'sheet',
    kind,
    contents,
    styles,
    output,
    json: jsonPathFor(output),
    ...(parsed.plot !== undefined ? { plot: parsed.plot } : {}),
    layers,
    combo,
    weights: parsed.weights,
    backend: parsed.backend,
    options: parsed.options,
  };
  try {
    planSheet(kind, { contents, styles, options: args.options, layers, combo });
  } catch (e) {
    if (e instanceof SheetError) usageError(/^(layers|combo):/.test(e.message) ? `--${e.message}` : e.message);
    throw e;
  }
  return args;
}

export function sheetUsageText(): string {
  return [
    'Usage: stylize sheet reconstruct --content FILE [--content FILE…] [--layers L,…] [options]',
    '       stylize sheet texture --style FILE [--style FILE…] [--layers L,…] [--combo L,…] [options]',
    '       stylize sheet init --content FILE --style FILE [options]',
    '       stylize sheet grid --content FILE [--content FILE…] --style FILE [--style FILE…] [options]',
    '',
    'Contact sheets of the classic experiments, one optimisation per cell, labelled with the final loss',
    'and the run time; the numbers also go to <output>.json (cells in the order of the image).',
    '',
    '  reconstruct   content reconstruction from white noise with the content loss at each layer',
    '  texture       texture synthesis with the style loss at each layer, then at the --combo layers',
    '  init          the same transfer from white noise and from the content image, side by side',
    '  grid          every content × every style, the inputs as first row and column',
    '',
    'Sheet flags:',
    '  --content FILE         content image; repeat (or comma-separate) for several',
    '  --style FILE           style image; repeat (or comma-separate) for several',
    '  -o, --output FILE      the sheet, .png, .jpg or .webp (default: <kind>-sheet.png)',
    `  --layers L,…           layers swept (default: ${DEFAULT_SWEEP_LAYERS.join(',')})`,
    `  --combo L,…            texture: the combined style layers (default: ${DEFAULT_TEXTURE_COMBO.join(',')})`,
    '  --plot FILE            a PNG chart with one loss curve per run (the loss each cell is labelled with)',
    '',
    'Every option of `stylize --help` applies to each run (--steps, --size, --seed, --weights,',
    '--backend, --optimizer, …) except --mode, --init-image, --style-blend, --save-every, --log-json,',
    '--timelapse and --compare.',
    'The default preset is seed (L-BFGS, content weight 1, style weight 1e6, from white noise).',
    '',
    'Examples:',
    '  stylize sheet reconstruct --content tubingen.jpg --size 256 --steps 200 -o recon.png',
    '  stylize sheet texture --style starry_night.jpg --layers conv_1,conv_2,conv_3 --combo conv_1,conv_3',
    '  stylize sheet grid --content a.jpg --content b.jpg --style s.jpg,t.jpg --size 256 -o grid.png',
  ].join('\n') + '\n';
}

function reportSheetUsage(io: CliIo, message: string): number {
  return reportUsageError(io, message, 'stylize sheet');
}

async function checkFiles(a: SheetArgs): Promise<void> {
  const base: RunArgs = { command: 'run', styles: [], output: a.output, options: a.options };
  await checkInputFiles({ ...base, styles: a.styles });
  for (const content of a.contents) await checkInputFiles({ ...base, content });
  await checkInputFiles({ ...base, output: a.json, ...(a.plot !== undefined ? { plot: a.plot } : {}) });
}

/** Written under a temporary name, then renamed, like the images. */
async function writeJsonFile(file: string, value: unknown): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

function reporterFor(io: CliIo): ProgressReporter | undefined {
  return io.stderr.isTTY ? createBarReporter(io.stderr as NodeJS.WritableStream) : undefined;
}

/** Backend → weights → VGG → every run of the sheet → the sheet image and its JSON. */
async function runSheet(a: SheetArgs, io: CliIo): Promise<number> {
  const controller = new AbortController();
  const { signal } = controller;
  const removeInterrupt = io.onInterrupt(() => controller.abort());
  let engine: Engine | undefined;
  let bar: ProgressReporter | undefined;
  try {
    // Loaded only for a real run: the engine and its tensor library take a while to import.
    const [{ chooseBackend, engineThreads, startEngine }, { loadVggWeights }, { renderSheet, sheetProgress }] = await Promise.all([
      import('../engine/start-engine.ts'),
      import('../engine/weights/vgg-weights.ts'),
      import('../engine/sheet/index.ts'),
    ]);
    const threads = engineThreads(io.env);
    const backend = await chooseBackend(a.backend, { threads });
    if (signal.aborted) throw new CancelledError();
    const weightsPath = await obtainWeightsPath(a.weights, io, signal);
    if (signal.aborted) throw new CancelledError();
    engine = await startEngine(backend, await loadVggWeights(weightsPath), threads);

    const progress = reporterFor(io);
    bar = progress;
    const toSheet = sheetProgress(a.options.steps);
    const curves = a.plot !== undefined ? new SheetCurves() : undefined;
    // Without a bar (a log or a pipe) each run prints its own lines, as a single run would.
    let lines: ProgressReporter | undefined;
    const result = await renderSheet({
      kind: a.kind,
      contents: a.contents.map((data) => ({ data, name: basename(data) })),
      styles: a.styles.map((data) => ({ data, name: basename(data) })),
      options: a.options,
      layers: a.layers,
      combo: a.combo,
      engine,
      signal,
      onCell(index, total, cell) {
        curves?.start(cell);
        if (progress) return;
        io.stdout.write(`[${index + 1}/${total}] ${cell.title}: ${cell.options.mode}, ${describeLayers(cell.options)}, from ${cell.options.init}\n`);
        lines = createLineReporter(io.stdout, a.options.printEvery);
      },
      onProgress(p, at) {
        curves?.add(p);
        if (progress) progress.update(toSheet(p, at));
        else lines?.update(p);
      },
      onCellDone(index, total, r, cell) {
        if (progress) return;
        lines?.finish();
        io.stdout.write(`[${index + 1}/${total}] ${cell.title}: ${cell.metric} ${formatLoss(r.losses[cell.metric])} in ${formatSeconds(r.runtimeMs)}\n`);
      },
    });
    bar?.finish();
    await writeImageFile(a.output, result.png);
    await writeJsonFile(a.json, result.json);
    if (a.plot !== undefined && curves) await writeImageFile(a.plot, await curves.render(`${a.kind} sheet`));
    const plotted = a.plot !== undefined ? `, curves in ${a.plot}` : '';
    io.stdout.write(`done in ${formatSeconds(result.json.runtimeMs)} → ${a.output} (numbers in ${a.json}${plotted})\n`);
    return EXIT_OK;
  } catch (e) {
    bar?.stop();
    return reportRunFailure(io, e, signal.aborted, 'stylize sheet');
  } finally {
    removeInterrupt();
    await engine?.dispose();
  }
}

function describeLayers(o: StyleOptions): string {
  if (o.mode === 'reconstruct') return `content ${o.contentLayers.join(',')}`;
  if (o.mode === 'texture') return `style ${o.styleLayers.join(',')}`;
  return `content ${o.contentLayers.join(',')}, style ${o.styleLayers.join(',')}`;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let command: SheetCommand;
  try {
    command = parseSheetArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return reportSheetUsage(io, e.message);
    throw e;
  }
  if (command.command === 'help') {
    io.stdout.write(sheetUsageText());
    return EXIT_OK;
  }
  if (command.command === 'version') {
    io.stdout.write(versionText());
    return EXIT_OK;
  }
  try {
    await checkFiles(command);
  } catch (e) {
    if (e instanceof UsageError) return reportSheetUsage(io, e.message);
    throw e;
  }
  return runSheet(command, io);
}

