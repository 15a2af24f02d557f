// argv → a validated run request. The option flags come from OPTION_SPECS and their values go
// through the shared schema, so the CLI accepts exactly what the bots accept.
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BACKENDS, type BackendChoice } from '../engine/backend-names.ts';
import { OPTION_SPECS, OptionsError, parseOption, resolveOptions, type OptionsInput, type StyleOptions } from '../options.ts';
import { BUILTIN_STYLE_NAMES, findBuiltinStyle } from '../styles/builtin.ts';
import { blendWeights, unknownStyleMessage } from '../styles/library.ts';
import { UsageError, oneLine } from './errors.ts';
import { DEFAULT_OUTPUT, IO_FLAGS } from './io-flags.ts';
import { OUTPUT_EXTENSIONS } from './output.ts';
import { closestFlag } from './suggest.ts';

export interface RunArgs {
  command: 'run';
  content?: string;
  /** The --style files, then the files of the built-in styles named by --style-name. */
  styles: string[];
  output: string;
  initImage?: string;
  weights?: string;
  backend?: BackendChoice;
  logJson?: string;
  /** Animated GIF or WebP of the run. */
  timelapse?: string;
  /** PNG chart of the losses. */
  plot?: string;
  /** Inputs | result, as an image. */
  compare?: string;
  options: StyleOptions;
}

export type CliArgs = { command: 'help' } | { command: 'version' } | RunArgs;

// A boolean option also gets a hidden --no-<flag>, which is what --<flag>=false is rewritten to.
const NEGATION = 'no-';
const BOOLEAN_SPECS = OPTION_SPECS.filter((s) => s.kind === 'boolean');
const SPEC_BY_FLAG = new Map(OPTION_SPECS.map((s) => [s.flag, s]));

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

const PARSE_CONFIG: OptionsConfig = (() => {
  const config: OptionsConfig = {};
  for (const f of IO_FLAGS) config[f.name] = { type: f.type, multiple: f.multiple ?? false, ...(f.short ? { short: f.short } : {}) };
  for (const s of OPTION_SPECS) {
    if (config[s.flag]) throw new Error(`option flag --${s.flag} clashes with a CLI flag`);
    config[s.flag] = { type: s.kind === 'boolean' ? 'boolean' : 'string' };
  }
  for (const s of BOOLEAN_SPECS) config[NEGATION + s.flag] = { type: 'boolean' };
  return config;
})();

/** Every long flag the CLI accepts (without the hidden negations), for help and suggestions. */
export const KNOWN_FLAGS: readonly string[] = [...IO_FLAGS.map((f) => f.name), ...OPTION_SPECS.map((s) => s.flag)];

/** `--steps: got …` for a schema message that starts with the flag name. */
export function withDashes(message: string): string {
  const flag = message.split(':')[0];
  return SPEC_BY_FLAG.has(flag) ? `--${message}` : message;
}

function optionValue<K extends keyof StyleOptions>(key: K, value: unknown): StyleOptions[K] {
  try {
    return parseOption(key, value);
  } catch (e) {
    throw new UsageError(withDashes(oneLine(e)));
  }
}

/**
 * `--steps 300,150,75` is one count per coarse-to-fine scale (scaleSteps, whose sum becomes steps);
 * `--steps 300` a count for every scale. The later of --steps and --scale-steps wins, as for any flag.
 */
function stepsValue(input: OptionsInput, key: 'steps' | 'scaleSteps', raw: string | undefined): void {
  if (key === 'scaleSteps' || raw?.includes(',')) {
    try {
      input.scaleSteps = parseOption('scaleSteps', raw);
    } catch (e) {
      if (key === 'scaleSteps') throw new UsageError(withDashes(oneLine(e)));
      throw new UsageError(`--steps: got ${JSON.stringify(raw)}, expected a whole number, or one per scale such as 300,150,75`);
    }
    delete input.steps;
  } else {
    input.steps = optionValue('steps', raw);
    delete input.scaleSteps;
  }
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

function booleanValue(flag: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE_WORDS.includes(v)) return true;
  if (FALSE_WORDS.includes(v)) return false;
  throw new UsageError(`--${flag}: got ${JSON.stringify(value)}, expected true or false`);
}

// parseArgs refuses `--original-colors=false` for a boolean; rewrite it to `--[no-]original-colors`.
function rewriteBooleanValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i++) {
    const m = /^--([^=]+)=(.*)$/s.exec(argv[i]);
    const spec = m ? BOOLEAN_SPECS.find((s) => s.flag === m[1]) : undefined;
    if (m && spec) out.push(booleanValue(spec.flag, m[2]) ? `--${spec.flag}` : `--${NEGATION}${spec.flag}`);
    else out.push(argv[i]);
  }
  return out.concat(argv.slice(i));
}

function longName(quoted: string): string {
  return /--[\w-]+/.exec(quoted)?.[0] ?? quoted.split(/[ ,]/)[0];
}

// Node's messages are multi-line and mention positional arguments; turn them into one CLI line.
function parseErrorMessage(e: unknown, argv: readonly string[]): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    if (!quoted.startsWith('--')) {
      // neural-style's single-dash flags (-style_weight) parse as a cluster of short flags.
      const word = argv.find((a) => /^-[a-z]{2}/i.test(a) && a.startsWith(quoted));
      const guess = word ? closestFlag(word.slice(1), KNOWN_FLAGS) : undefined;
      if (word && guess) return `unknown option ${word.split('=')[0]} (did you mean --${guess}?)`;
      return `unknown option ${quoted}`;
    }
    const guess = closestFlag(quoted.slice(2), KNOWN_FLAGS);
    return `unknown option ${quoted}${guess ? ` (did you mean --${guess}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return `unexpected argument "${quoted}" (give images with --content and --style)`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = longName(quoted);
    if (message.includes('does not take an argument')) return `${flag} takes no value`;
    if (message.includes('ambiguous')) {
      const at = argv.findIndex((a, i) => a === quoted && argv[i + 1]?.startsWith('-'));
      const next = at >= 0 ? argv[at + 1] : '';
      if (/^-[\d.]/.test(next)) return `${flag}: write a value starting with "-" as ${flag}=${next}`;
    }
    return `${flag} needs a value`;
  }
  return oneLine(e);
}

function splitStyles(values: readonly string[]): string[] {
  return values.flatMap((v) => (v.includes(',') && !existsSync(v) ? v.split(',') : [v])).map((s) => s.trim()).filter(Boolean);
}

function checkInputsForMode(a: RunArgs): void {
  const { mode, init } = a.options;
  const hasContent = a.content !== undefined;
  const hasStyle = a.styles.length > 0;
  if (mode === 'transfer' && (!hasContent || !hasStyle)) {
    const missing = [hasContent ? '' : '--content', hasStyle ? '' : '--style'].filter(Boolean).join(' and ');
    throw new UsageError(`transfer mode needs --content and --style or --style-name (missing ${missing})`);
  }
  if (mode === 'texture' && !hasStyle) throw new UsageError('--mode texture needs --style or --style-name');
  if (mode === 'reconstruct' && !hasContent) throw new UsageError('--mode reconstruct needs --content');
  if (init === 'content' && !hasContent) throw new UsageError('--init content needs --content');
  if (init === 'style' && !hasStyle) throw new UsageError('--init style needs --style or --style-name');
  if (init === 'image' && a.initImage === undefined) throw new UsageError('--init image needs --init-image FILE');
}

/**
 * --style-name: built-in styles only (saved styles are a chat feature), appended after the --style
 * files; the blend is the files' --style-blend weights (1 each by default) then the names' weights.
 */
function withNamedStyles(files: string[], options: StyleOptions): string[] {
  const refs = options.styleName ?? [];
  const blend = options.styleBlend;
  if (blend && blend.length !== files.length) {
    const weights = `${blend.length} weight${blend.length === 1 ? '' : 's'}`;
    const images = `${files.length} style image${files.length === 1 ? '' : 's'}`;
    throw new UsageError(
      `--style-blend has ${weights} for ${images}${refs.length ? '; weigh the --style-name styles in the name, e.g. --style-name "starry-night:3 scream:1"' : ''}`,
    );
  }
  if (refs.length === 0) return files;
  const named = refs.map((r) => {
    const style = findBuiltinStyle(r.name);
    if (!style) throw new UsageError(`--style-name: ${unknownStyleMessage(r.name, BUILTIN_STYLE_NAMES, 'built-in style')} (the CLI has the built-ins only)`);
    return style.file;
  });
  options.styleBlend = blendWeights(files.length, refs, blend);
  return [...files, ...named];
}

/** --timelapse, --plot and --compare: the format follows the extension, as for --output. */
function visualOutputs(values: Record<string, unknown>): Pick<RunArgs, 'timelapse' | 'plot' | 'compare'> {
  const out: Pick<RunArgs, 'timelapse' | 'plot' | 'compare'> = {};
  const ext = (file: string) => extname(file).toLowerCase() || 'no extension';
  const timelapse = values.timelapse as string | undefined;
  if (timelapse !== undefined) {
    if (!['.gif', '.webp'].includes(ext(timelapse))) throw new UsageError(`--timelapse: cannot write "${ext(timelapse)}" animations; name the file .gif or .webp`);
    out.timelapse = timelapse;
  }
  const plot = values.plot as string | undefined;
  if (plot !== undefined) {
    if (ext(plot) !== '.png') throw new UsageError(`--plot: cannot write "${ext(plot)}" charts; name the file .png`);
    out.plot = plot;
  }
  const compare = values.compare as string | undefined;
  if (compare !== undefined) {
    if (!OUTPUT_EXTENSIONS.includes(ext(compare))) throw new UsageError(`--compare: cannot write "${ext(compare)}" images; name the file .png, .jpg or .webp`);
    out.compare = compare;
  }
  return out;
}

function parseStrict(args: string[]) {
  try {
    return parseArgs({ args, options: PARSE_CONFIG, strict: true, allowPositionals: false, tokens: true });
  } catch (e) {
    // Only what the user typed is a usage error; anything else is a bug in the flag table.
    if (!String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS_')) throw e;
    throw new UsageError(parseErrorMessage(e, args));
  }
}

/** Parses and validates argv (without the node and script paths). Throws UsageError with a one-line message. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args = rewriteBooleanValues(argv);
  const parsed = parseStrict(args);
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };

  // Tokens keep the command-line order, so a later flag overrides an earlier one (also --x vs --no-x).
  const input: OptionsInput = {};
  for (const t of parsed.tokens) {
    if (t.kind !== 'option') continue;
    const negated = t.name.startsWith(NEGATION) && SPEC_BY_FLAG.get(t.name.slice(NEGATION.length))?.kind === 'boolean';
    const spec = SPEC_BY_FLAG.get(negated ? t.name.slice(NEGATION.length) : t.name);
    if (!spec) continue;
    const raw = spec.kind === 'boolean' ? !negated : t.value;
    if (spec.key === 'steps' || spec.key === 'scaleSteps') {
      stepsValue(input, spec.key, raw as string | undefined);
      continue;
    }
    (input as Record<string, unknown>)[spec.key] = optionValue(spec.key, raw);
    // An old name and the option it names are one setting: the later flag wins, as for any flag.
    for (const other of OPTION_SPECS) {
      if (other.aliasOf === spec.key) delete input[other.key];
      if (spec.aliasOf !== undefined && other.key === spec.aliasOf) delete input[other.key];
    }
  }

  const initImage = values['init-image'] as string | undefined;
  if (initImage !== undefined) {
    if (input.init === undefined) input.init = 'image';
    else if (input.init !== 'image') throw new UsageError(`--init-image is only used with --init image (got --init ${String(input.init)})`);
  }

  let options: StyleOptions;
  try {
    options = resolveOptions(input);
  } catch (e) {
    throw new UsageError(e instanceof OptionsError ? withDashes(e.message) : oneLine(e));
  }

  const output = (values.output as string | undefined) ?? DEFAULT_OUTPUT;
  const ext = extname(output).toLowerCase();
  if (!OUTPUT_EXTENSIONS.includes(ext)) {
    throw new UsageError(`--output: cannot write "${ext || 'no extension'}" images; name the file .png, .jpg or .webp`);
  }
  const backend = values.backend as string | undefined;
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new UsageError(`--backend: got "${backend}", expected one of ${BACKENDS.join(', ')}`);
  }
  for (const name of ['content', 'init-image', 'weights', 'log-json', 'output', 'timelapse', 'plot', 'compare'] as const) {
    if (values[name] === '') throw new UsageError(`--${name} needs a file name`);
  }
  const extras = visualOutputs(values);

  const run: RunArgs = {
    command: 'run',
    content: values.content as string | undefined,
    styles: withNamedStyles(splitStyles((values.style as string[] | undefined) ?? []), options),
    output,
    initImage,
    weights: values.weights as string | undefined,
    backend: backend as BackendChoice | undefined,
    logJson: values['log-json'] as string | undefined,
    ...extras,
    options,
  };
  checkInputsForMode(run);
  return run;
}
