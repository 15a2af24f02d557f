// --help text, generated from the same OPTION_SPECS that define the flags, so it cannot drift.
import { BASE_DEFAULTS, OPTION_SPECS, PRESETS, PRESET_VALUES, resolveOptions, type OptionSpec, type StyleOptions } from '../options.ts';
import { BUILTIN_STYLE_NAMES } from '../styles/builtin.ts';
import { IO_FLAGS, type IoFlag } from './io-flags.ts';
import { SUBCOMMANDS } from './subcommands.ts';

const WIDTH = 80;
const FLAG_COLUMN = 30;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function row(flag: string, text: string): string {
  const body = wrap(text, WIDTH - FLAG_COLUMN);
  const head = `  ${flag}`;
  const pad = ' '.repeat(FLAG_COLUMN);
  if (head.length >= FLAG_COLUMN - 1) return [head, ...body.map((l) => pad + l)].join('\n');
  return body.map((l, i) => (i === 0 ? head.padEnd(FLAG_COLUMN) : pad) + l).join('\n');
}

/** 1e6 rather than 1000000, 1e-6 rather than 0.000001; 10000 and 2147483647 stay as they are. */
export function formatNumber(n: number): string {
  const exponential = n.toExponential().replace('e+', 'e');
  const plain = String(n);
  return exponential.length + 3 <= plain.length ? exponential : plain;
}

function showValue(v: unknown): string {
  if (v === undefined) return 'equal';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join(',');
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

/** Lists of sizes or counts rather than the generic weights. */
const PLACEHOLDERS: Partial<Record<keyof StyleOptions, string>> = {
  steps: ' N[,N…]',
  scales: ' PX[,PX…]',
  scaleSteps: ' N[,N…]',
  styleName: ' "NAME[:W] …"',
};

function placeholder(spec: OptionSpec): string {
  const special = PLACEHOLDERS[spec.key];
  if (special) return special;
  switch (spec.kind) {
    case 'enum': {
      const choices = spec.choices?.join('|') ?? 'NAME';
      return ` ${choices.length <= 16 ? choices : 'NAME'}`;
    }
    case 'int':
      return ' N';
    case 'number':
      return ' X';
    case 'layers':
      return ' LAYER[,…]';
    case 'numbers':
      return ' W[,W…]';
    case 'boolean':
      return '[=false]';
    case 'string':
      return ' VALUE';
  }
}

/** "512", or per preset when the preset decides it: "relu4_2 (gatys), conv1_2 (seed), …". */
export function defaultText(key: keyof StyleOptions): string {
  if (key in PRESET_VALUES[BASE_DEFAULTS.preset]) {
    const presets = [BASE_DEFAULTS.preset, ...PRESETS.filter((p) => p !== BASE_DEFAULTS.preset)];
    const values = presets.map((p) => showValue(PRESET_VALUES[p][key as keyof (typeof PRESET_VALUES)['gatys']]));
    if (values.every((v) => v === values[0])) return values[0];
    return presets.map((p, i) => `${values[i]} (${p})`).join(', ');
  }
  const value = (BASE_DEFAULTS as Partial<StyleOptions>)[key];
  return value === undefined ? (UNSET_TEXT[key] ?? showValue(value)) : showValue(value);
}

/** What an option without a default means, where "equal" (the style blend's) would be wrong. */
const UNSET_TEXT: Partial<Record<keyof StyleOptions, string>> = {
  scales: 'one scale',
  multires: 'off',
  scaleSteps: '--steps at each scale',
  styleName: 'none',
  originalColors: 'false',
};

function rangeText(spec: OptionSpec): string {
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  if (spec.min !== undefined && spec.max !== undefined) return `${spec.kind === 'int' ? 'whole number ' : ''}${formatNumber(spec.min)}–${formatNumber(spec.max)}`;
  return '';
}

function optionRow(spec: OptionSpec): string {
  const details = [`default: ${defaultText(spec.key)}`, rangeText(spec)].filter(Boolean).join('; ');
  return row(`--${spec.flag}${placeholder(spec)}`, `${spec.description} [${details}]`);
}

function ioRow(f: IoFlag): string {
  const names = `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`;
  return row(names, f.description);
}

// Derived rather than written out, so a change of resolveOptions' mode rule shows up here.
function modeInitNote(): string {
  const modes = (['texture', 'reconstruct'] as const).filter((mode) => resolveOptions({ mode }).init !== resolveOptions({}).init);
  if (modes.length === 0) return '';
  return `In ${modes.join(' and ')} mode --init defaults to ${resolveOptions({ mode: modes[0] }).init}. `;
}

export function usageText(): string {
  const subcommands = Object.entries(SUBCOMMANDS);
  const parts = [
    'Usage: stylize --content FILE --style FILE [--style FILE…] [options]',
    '       stylize --content FILE --style-name NAME[:W]… [--style FILE…] [options]',
    '       stylize --mode texture --style FILE [options]',
    '       stylize --mode reconstruct --content FILE [options]',
    ...subcommands.map(([name]) => `       stylize ${name} … (see stylize ${name} --help)`),
    '',
    ...wrap(
      'Neural style transfer (Gatys et al.): optimises an image so that its VGG-19 features match ' +
        "the content image's and its feature correlations (Gram matrices) match the style image's.",
      WIDTH,
    ),
    '',
    'Inputs and output:',
    ...IO_FLAGS.map(ioRow),
    '',
    'Options (explicit flags override the preset):',
    ...OPTION_SPECS.map(optionRow),
    '',
    ...wrap(
      `${modeInitNote()}Layers are VGG-19 names: conv1_1…conv5_4 (before ReLU), relu1_1…relu5_4, pool1…pool5, ` +
        'or conv_1…conv_16 (the N-th conv).',
      WIDTH,
    ),
    '',
    ...wrap(`Built-in styles for --style-name: ${BUILTIN_STYLE_NAMES.join(', ')}.`, WIDTH),
  ];
  if (subcommands.length > 0) {
    parts.push('', 'Commands:', ...subcommands.map(([name, s]) => row(name, s.summary)));
  }
  parts.push(
    '',
    'Examples:',
    '  stylize --content photo.jpg --style starry_night.jpg -o out.png',
    '  stylize --content photo.jpg --style a.jpg,b.jpg --style-blend 3,1 --size 384 --steps 200',
    '  stylize --content photo.jpg --style-name "starry-night:3 scream:1" --colors palette',
    '  stylize --mode texture --style starry_night.jpg --optimizer adam --lr 0.02 --save-every 50',
    '  stylize --content photo.jpg --style starry_night.jpg --size 768 --multires 3 --steps 300,150,75',
  );
  return parts.join('\n') + '\n';
}
