// The one options schema. CLI flags, Discord slash-command options, the Slack modal and the
// per-workspace admin defaults are all generated from OPTION_SPECS, so a new option is added once.
import { z } from 'zod';
import { parseStyleNames, type StyleRef } from './styles/style-names.ts';

export const MODES = ['transfer', 'texture', 'reconstruct'] as const;
export const PRESETS = ['seed', 'tutorial', 'gatys'] as const;
export const INITS = ['noise', 'content', 'style', 'image'] as const;
export const OPTIMIZERS = ['lbfgs', 'adam'] as const;
export const POOLINGS = ['max', 'avg'] as const;
/** style: the painting's colours; keep: the photo's (luminance-only transfer); palette: the style image recoloured to the photo's colour statistics first. */
export const COLORS = ['style', 'keep', 'palette'] as const;

export type Mode = (typeof MODES)[number];
export type Preset = (typeof PRESETS)[number];
export type Init = (typeof INITS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type Pooling = (typeof POOLINGS)[number];
export type Colors = (typeof COLORS)[number];
export type { StyleRef } from './styles/style-names.ts';

/** VGG-19 layer names in network order: conv{b}_{k}, relu{b}_{k}, pool{b}. */
export const VGG_BLOCKS = [2, 2, 4, 4, 4] as const;
export const VGG_LAYER_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  VGG_BLOCKS.forEach((convs, b) => {
    for (let k = 1; k <= convs; k++) names.push(`conv${b + 1}_${k}`, `relu${b + 1}_${k}`);
    names.push(`pool${b + 1}`);
  });
  return names;
})();
const CONV_NAMES = VGG_LAYER_NAMES.filter((n) => n.startsWith('conv'));

/** `conv_N` (the tutorial's naming: N-th conv layer, 1-based) → `conv{b}_{k}`; other names unchanged. */
export function canonicalLayer(name: string): string {
  const m = /^conv_(\d+)$/.exec(name);
  if (m) {
    const n = Number(m[1]);
    const canonical = CONV_NAMES[n - 1];
    if (!canonical) throw new Error(`unknown layer "${name}": conv_N goes from conv_1 to conv_${CONV_NAMES.length}`);
    return canonical;
  }
  if (!VGG_LAYER_NAMES.includes(name)) {
    throw new Error(`unknown layer "${name}": use conv1_1…conv5_4, relu1_1…relu5_4, pool1…pool5 or conv_1…conv_16`);
  }
  return name;
}

const layerList = z
  .union([z.string(), z.array(z.string())])
  .transform((v, ctx) => {
    const parts = (Array.isArray(v) ? v : v.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    if (parts.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one layer' });
      return z.NEVER;
    }
    try {
      return parts.map(canonicalLayer);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });

const numberList = z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
  const parts = Array.isArray(v) ? v : v.split(',').map((s) => Number(s.trim()));
  if (parts.some((n) => !Number.isFinite(n) || n < 0)) {
    ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of non-negative numbers' });
    return z.NEVER;
  }
  return parts;
});

/**
 * Coarse-to-fine sizes: whole pixel counts, strictly increasing (the last is the output size). How
 * small a scale may be depends on the layers, so the engine's scale plan checks the lower bound.
 */
const sizeList = z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
  const parts = Array.isArray(v) ? v : v.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_SIZE)) {
    ctx.addIssue({ code: 'custom', message: `comma-separated sizes in pixels (at most ${MAX_SIZE}), e.g. 256,512,1024` });
    return z.NEVER;
  }
  if (parts.some((n, i) => i > 0 && n <= parts[i - 1])) {
    ctx.addIssue({ code: 'custom', message: 'increasing sizes, from the coarsest to the output size' });
    return z.NEVER;
  }
  return parts;
});

/** Iterations per coarse-to-fine scale. */
const stepList = z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
  const parts = Array.isArray(v) ? v : v.split(',').map((s) => Number(s.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > MAX_STEPS)) {
    ctx.addIssue({ code: 'custom', message: `a comma-separated list of whole numbers from 0 to ${MAX_STEPS}` });
    return z.NEVER;
  }
  return parts;
});

const bool = z.union([z.boolean(), z.enum(['true', 'false', 'yes', 'no', 'on', 'off', '1', '0'])]).transform((v) =>
  typeof v === 'boolean' ? v : ['true', 'yes', 'on', '1'].includes(v),
);
/** Names of library styles with blend weights, through the one style-name parser. */
const styleNames = z.union([z.string(), z.array(z.unknown())]).transform((v, ctx) => {
  try {
    return parseStyleNames(v);
  } catch (e) {
    // The parser's messages already say what was wrong with which name.
    ctx.addIssue({ code: 'custom', message: (e as Error).message, params: { verbatim: true } });
    return z.NEVER;
  }
});

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const num = (min: number, max: number) => z.coerce.number().min(min).max(max);

export type OptionKind = 'enum' | 'int' | 'number' | 'boolean' | 'layers' | 'numbers' | 'string';

export interface OptionSpec {
  /** camelCase key in StyleOptions. */
  key: keyof StyleOptions;
  /** CLI flag without dashes (kebab-case, named after neural-style's). */
  flag: string;
  /** Chat option name (snake_case); only set for options users can pass in chat. */
  chat?: string;
  description: string;
  kind: OptionKind;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Server admins may store a default for it. */
  admin: boolean;
  /**
   * An old name kept working: accepted wherever options are (flag, chat word, stored admin default)
   * and folded into this option by parseOptionsInput. Forms should offer the option, not the alias.
   */
  aliasOf?: keyof StyleOptions;
  schema: z.ZodType;
}

export const MAX_SIZE = 4096;
export const MAX_STEPS = 10000;
/** Most coarse-to-fine scales --multires accepts (4096 px down to 32 px). */
export const MAX_SCALES = 8;
/** A grid's candidates stay small: four of them must cost less than one full-size run. */
export const MAX_GRID_SIZE = 256;
export const MIN_GRID_SIZE = 32;

export const OPTION_SPECS: readonly OptionSpec[] = [
  { key: 'mode', flag: 'mode', chat: 'mode', kind: 'enum', choices: MODES, admin: true, schema: z.enum(MODES),
    description: 'transfer (content + style), texture (style only), reconstruct (content only)' },
  { key: 'preset', flag: 'preset', chat: 'preset', kind: 'enum', choices: PRESETS, admin: true, schema: z.enum(PRESETS),
    description: 'layer and weight preset: gatys (default), seed, tutorial' },
  { key: 'size', flag: 'size', chat: 'size', kind: 'int', min: 16, max: MAX_SIZE, admin: true, schema: int(16, MAX_SIZE),
    description: 'longer side of the output in pixels' },
  { key: 'steps', flag: 'steps', chat: 'steps', kind: 'int', min: 0, max: MAX_STEPS, admin: true, schema: int(0, MAX_STEPS),
    description: 'optimisation iterations (loss evaluations for L-BFGS)' },
  { key: 'scales', flag: 'scales', kind: 'numbers', admin: false, schema: sizeList,
    description: 'coarse-to-fine: optimise at these sizes in turn, e.g. 256,512,1024 (the last is the output size; --steps at each, or a list: --steps 300,150,75)' },
  { key: 'multires', flag: 'multires', kind: 'int', min: 1, max: MAX_SCALES, admin: false, schema: int(1, MAX_SCALES),
    description: 'coarse-to-fine in N scales, each twice the previous, ending at --size (1: off)' },
  { key: 'scaleSteps', flag: 'scale-steps', kind: 'numbers', admin: false, schema: stepList,
    description: 'iterations at each scale, coarsest first (what --steps 300,150,75 sets)' },
  { key: 'multiresAbove', flag: 'multires-above', kind: 'int', min: 0, max: MAX_SIZE, admin: true, schema: int(0, MAX_SIZE),
    description: 'coarse-to-fine by default above this size: scales halve down to at least 128 px (0: never)' },
  { key: 'contentLayers', flag: 'content-layers', kind: 'layers', admin: true, schema: layerList,
    description: 'comma-separated content layers, e.g. relu4_2 or conv_4' },
  { key: 'styleLayers', flag: 'style-layers', kind: 'layers', admin: true, schema: layerList,
    description: 'comma-separated style layers, e.g. relu1_1,relu2_1' },
  { key: 'contentWeight', flag: 'content-weight', kind: 'number', min: 0, max: 1e12, admin: true, schema: num(0, 1e12),
    description: 'content loss weight' },
  { key: 'styleWeight', flag: 'style-weight', chat: 'strength', kind: 'number', min: 0, max: 1e12, admin: true, schema: num(0, 1e12),
    description: 'style loss weight (style strength)' },
  { key: 'tvWeight', flag: 'tv-weight', kind: 'number', min: 0, max: 1e12, admin: true, schema: num(0, 1e12),
    description: 'total-variation (smoothness) weight' },
  { key: 'init', flag: 'init', chat: 'init', kind: 'enum', choices: INITS, admin: true, schema: z.enum(INITS),
    description: 'initial image: noise, content, style or image (--init-image)' },
  { key: 'optimizer', flag: 'optimizer', kind: 'enum', choices: OPTIMIZERS, admin: true, schema: z.enum(OPTIMIZERS),
    description: 'lbfgs or adam' },
  { key: 'lr', flag: 'lr', kind: 'number', min: 1e-6, max: 10, admin: true, schema: num(1e-6, 10),
    description: 'Adam learning rate (image in [0,1])' },
  { key: 'lbfgsHistory', flag: 'lbfgs-history', kind: 'int', min: 1, max: 1000, admin: true, schema: int(1, 1000),
    description: 'L-BFGS history size' },
  { key: 'styleScale', flag: 'style-scale', kind: 'number', min: 0.05, max: 4, admin: true, schema: num(0.05, 4),
    description: 'style image size relative to --size' },
  { key: 'styleBlend', flag: 'style-blend', kind: 'numbers', admin: false, schema: numberList,
    description: 'comma-separated blend weights of the style images (normalised to sum 1)' },
  { key: 'colors', flag: 'colors', chat: 'colors', kind: 'enum', choices: COLORS, admin: true, schema: z.enum(COLORS),
    description: "style: the painting's colours; keep: the photo's exactly (luminance-only transfer); palette: the painting recoloured to the photo's palette first" },
  { key: 'originalColors', flag: 'original-colors', chat: 'original_colors', kind: 'boolean', admin: true, schema: bool, aliasOf: 'colors',
    description: 'the old name of colors keep (false: colors style)' },
  { key: 'styleName', flag: 'style-name', chat: 'style_name', kind: 'string', admin: false, schema: styleNames,
    description: 'styles from the library by name, blended by weight: starry-night, or "starry-night:3 scream:1"; with a style image too, the image is one more style in the blend' },
  { key: 'pooling', flag: 'pooling', kind: 'enum', choices: POOLINGS, admin: true, schema: z.enum(POOLINGS),
    description: 'max or avg pooling' },
  { key: 'seed', flag: 'seed', chat: 'seed', kind: 'int', min: 0, max: 2 ** 31 - 1, admin: false, schema: int(0, 2 ** 31 - 1),
    description: 'random seed (noise init); same seed, same output' },
  { key: 'grid', flag: 'grid', chat: 'grid', kind: 'boolean', admin: true, schema: bool,
    description: 'a 2×2 grid of small candidates at four style strengths (×¼, ×1, ×4, ×16) first; transfer mode only' },
  { key: 'gridSize', flag: 'grid-size', kind: 'int', min: MIN_GRID_SIZE, max: MAX_GRID_SIZE, admin: true, schema: int(MIN_GRID_SIZE, MAX_GRID_SIZE),
    description: "longer side of each grid candidate in pixels (at most the output's size)" },
  { key: 'gridSteps', flag: 'grid-steps', kind: 'int', min: 1, max: 1000, admin: true, schema: int(1, 1000),
    description: 'optimisation iterations of each grid candidate' },
  { key: 'printEvery', flag: 'print-every', kind: 'int', min: 0, max: MAX_STEPS, admin: true, schema: int(0, MAX_STEPS),
    description: 'print losses every N iterations (0: never)' },
  { key: 'saveEvery', flag: 'save-every', kind: 'int', min: 0, max: MAX_STEPS, admin: true, schema: int(0, MAX_STEPS),
    description: 'save/post a preview image every N iterations (0: never)' },
];

export interface StyleOptions {
  mode: Mode;
  preset: Preset;
  size: number;
  /** Iterations; per scale in a coarse-to-fine run unless scaleSteps is set, whose sum it then is. */
  steps: number;
  /** Coarse-to-fine sizes (long side), increasing; the last equals size. */
  scales?: number[];
  /** Coarse-to-fine in this many scales, each twice the previous, ending at size. */
  multires?: number;
  /** Iterations per scale, coarsest first. */
  scaleSteps?: number[];
  /** Coarse-to-fine without scales/multires when size is above this (0: never). */
  multiresAbove: number;
  contentLayers: string[];
  styleLayers: string[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  init: Init;
  optimizer: OptimizerName;
  lr: number;
  lbfgsHistory: number;
  styleScale: number;
  /** Blend weights of the style images; undefined = equal. */
  styleBlend?: number[];
  /** Library styles by name and weight. Surfaces turn them into style images (after any attached ones) and styleBlend; the engine never reads this. */
  styleName?: StyleRef[];
  colors: Colors;
  /**
   * @deprecated input only: the old boolean (true = colors 'keep'). parseOptionsInput folds it into
   * colors, so resolved options never hold it; read colors (or colorsOf, for options stored before).
   */
  originalColors?: boolean;
  pooling: Pooling;
  seed: number;
  /** Render a strength grid (src/engine/grid) instead of one full-size image; transfer mode only. */
  grid: boolean;
  /** Long side of each grid candidate. */
  gridSize: number;
  /** Iterations of each grid candidate. */
  gridSteps: number;
  printEvery: number;
  saveEvery: number;
}

/** What a user (or an admin default) may set: every field optional, raw strings accepted. */
export type OptionsInput = { [K in keyof StyleOptions]?: unknown };

type PresetValues = Pick<StyleOptions, 'contentLayers' | 'styleLayers' | 'contentWeight' | 'styleWeight' | 'init' | 'optimizer'>;

export const PRESET_VALUES: Record<Preset, PresetValues> = {
  // The CMU 16-726 writeup's settings.
  seed: { contentLayers: ['conv1_2'], styleLayers: ['conv1_1', 'conv1_2'], contentWeight: 1, styleWeight: 1e6, init: 'noise', optimizer: 'lbfgs' },
  // PyTorch tutorial: content conv_4, style conv_1..conv_5.
  tutorial: {
    contentLayers: ['conv2_2'],
    styleLayers: ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1'],
    contentWeight: 1,
    styleWeight: 1e6,
    init: 'content',
    optimizer: 'lbfgs',
  },
  // Gatys, Ecker & Bethge (2016).
  gatys: {
    contentLayers: ['relu4_2'],
    styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
    contentWeight: 1,
    styleWeight: 1e6,
    init: 'content',
    optimizer: 'lbfgs',
  },
};

export const BASE_DEFAULTS: Omit<StyleOptions, keyof PresetValues> = {
  mode: 'transfer',
  preset: 'gatys',
  size: 512,
  steps: 300,
  multiresAbove: 0,
  tvWeight: 0,
  lr: 0.02,
  lbfgsHistory: 100,
  styleScale: 1,
  colors: 'style',
  pooling: 'max',
  seed: 0,
  grid: false,
  gridSize: 192,
  gridSteps: 100,
  printEvery: 50,
  saveEvery: 0,
};

const SPEC_BY_KEY = new Map(OPTION_SPECS.map((s) => [s.key, s]));
export function optionSpec(key: keyof StyleOptions): OptionSpec {
  const spec = SPEC_BY_KEY.get(key);
  if (!spec) throw new Error(`no option ${String(key)}`);
  return spec;
}

export class OptionsError extends Error {
  override name = 'OptionsError';
}

function describe(spec: OptionSpec): string {
  if (spec.choices) return `one of ${spec.choices.join(', ')}`;
  if (spec.min !== undefined && spec.max !== undefined) return `${spec.kind === 'int' ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max}`;
  return spec.description;
}

/** Validates one option value; throws OptionsError with a one-line message naming the option. */
export function parseOption<K extends keyof StyleOptions>(key: K, value: unknown): StyleOptions[K] {
  const spec = optionSpec(key);
  const r = spec.schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    if (issue?.code === 'custom' && (issue.params as { verbatim?: boolean } | undefined)?.verbatim) throw new OptionsError(`${spec.flag}: ${issue.message}`);
    const detail = issue?.code === 'custom' ? issue.message : describe(spec);
    throw new OptionsError(`${spec.flag}: got ${JSON.stringify(value)}, expected ${detail}`);
  }
  return r.data as StyleOptions[K];
}

/**
 * originalColors → colors, within one layer of options (the user's, or an admin's defaults). Both
 * given and disagreeing is refused rather than guessed: true means keep, false means not keep.
 */
function foldColorsAlias(out: Partial<StyleOptions>): void {
  const legacy = out.originalColors;
  if (legacy === undefined) return;
  delete out.originalColors;
  if (out.colors === undefined) {
    out.colors = legacy ? 'keep' : 'style';
    return;
  }
  if (legacy !== (out.colors === 'keep')) {
    throw new OptionsError(`original-colors: it is the old name of colors keep, and ${legacy} disagrees with colors ${out.colors}; give colors only`);
  }
}

/** The colour mode of resolved options, also of options stored before colors existed (originalColors: true). */
export function colorsOf(o: Pick<StyleOptions, 'colors' | 'originalColors'>): Colors {
  return o.colors ?? (o.originalColors ? 'keep' : 'style');
}

/** Validates every present field of an input; unknown keys are refused; old names (aliases) are folded into the options they name. */
export function parseOptionsInput(input: OptionsInput): Partial<StyleOptions> {
  const out: Partial<StyleOptions> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!SPEC_BY_KEY.has(key as keyof StyleOptions)) throw new OptionsError(`unknown option "${key}"`);
    (out as Record<string, unknown>)[key] = parseOption(key as keyof StyleOptions, value);
  }
  foldColorsAlias(out);
  return out;
}

/**
 * Layers: base defaults < the preset < admin defaults < the user's explicit options.
 * The preset is the user's if given, else the admin's, else gatys.
 */
export function resolveOptions(user: OptionsInput = {}, adminDefaults: OptionsInput = {}): StyleOptions {
  const admin = parseOptionsInput(adminDefaults);
  const explicit = parseOptionsInput(user);
  const preset = explicit.preset ?? admin.preset ?? BASE_DEFAULTS.preset;
  // An explicit preset wins over admin defaults of the values the preset sets.
  const adminApplied: Partial<StyleOptions> = { ...admin };
  if (explicit.preset) for (const k of Object.keys(PRESET_VALUES[preset]) as (keyof PresetValues)[]) delete adminApplied[k];
  const resolved: StyleOptions = { ...BASE_DEFAULTS, ...PRESET_VALUES[preset], ...adminApplied, ...explicit, preset };
  // Texture synthesis and content reconstruction start from white noise unless asked otherwise:
  // starting a reconstruction from the content image would already be the optimum.
  if (resolved.mode !== 'transfer' && explicit.init === undefined) resolved.init = 'noise';
  if (resolved.styleBlend && resolved.styleBlend.every((w) => w === 0)) throw new OptionsError('style-blend: the weights must not all be 0');
  resolveCoarseToFine(resolved, explicit);
  checkGrid(resolved, explicit);
  return resolved;
}

/** Why each mode other than transfer cannot have a grid: the same sentence on every surface. */
export const GRID_REFUSALS: Record<Exclude<Mode, 'transfer'>, string> = {
  texture: 'grid: texture mode has no content to weigh the style against, so the strengths of a grid would all give the same texture; use transfer mode',
  reconstruct: 'grid: reconstruct mode has no style, so there is no style strength for a grid to vary; use transfer mode',
};

/** Refuses a grid the user asked for outside transfer mode; an admin's default grid just does not apply there. */
function checkGrid(resolved: StyleOptions, explicit: Partial<StyleOptions>): void {
  if (!resolved.grid || resolved.mode === 'transfer') return;
  if (explicit.grid) throw new OptionsError(GRID_REFUSALS[resolved.mode]);
  resolved.grid = false;
}

/** The last of `scales` is the output size and a per-scale step list sets the total: both kept consistent here. */
function resolveCoarseToFine(resolved: StyleOptions, explicit: Partial<StyleOptions>): void {
  if (resolved.scales && resolved.multires !== undefined) throw new OptionsError('multires: scales already chooses the scales, give one of them');
  if (resolved.scales) {
    const last = resolved.scales[resolved.scales.length - 1];
    if (explicit.size !== undefined && explicit.size !== last) {
      throw new OptionsError(`scales: the last (${last}) is the output size, but size is ${explicit.size}; give one of them`);
    }
    resolved.size = last;
  }
  if (resolved.scaleSteps) {
    const total = resolved.scaleSteps.reduce((a, b) => a + b, 0);
    if (explicit.steps !== undefined && explicit.steps !== total) {
      throw new OptionsError(`scale-steps: they add up to ${total} iterations, but steps is ${explicit.steps}; give one of them`);
    }
    if (total > MAX_STEPS) throw new OptionsError(`scale-steps: ${total} iterations in all, more than ${MAX_STEPS}`);
    resolved.steps = total;
  }
}
