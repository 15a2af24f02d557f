// The checks a sheet job must pass before it is queued, shared by the job service and the chat
// commands (which refuse early, before downloading anything). A sheet is many ordinary runs, so its
// cost against maxSteps is runs × steps. Pure functions; every refusal is one line for the user.
import { countRuns, isSheetKind, planSheet, SHEET_KINDS, SheetError, type SheetKind } from '../engine/sheet/plan.ts';
import { optionSpec, parseOptionsInput, type OptionsInput, type StyleOptions } from '../options.ts';
import { MAX_STYLE_IMAGES, Refusal, resolveJobOptions } from './job-rules.ts';
import type { JobInputs, Limits, SheetSpec } from './types.ts';

/** The writeup's setup, as for `stylize sheet`: L-BFGS, cw 1, sw 1e6, from white noise. */
export const SHEET_DEFAULT_PRESET = 'seed';

type Reasons = Partial<Record<keyof StyleOptions, string>>;

/** Options a user may not give a sheet: the sheet sets them per run, or has no use for them. */
const REFUSED: Reasons = {
  mode: 'each sheet sets the mode of its runs',
  styleBlend: 'each run of a sheet uses one style image',
  saveEvery: 'sheets post no previews',
  scales: 'every run of a sheet is at one size',
  multires: 'every run of a sheet is at one size',
  scaleSteps: 'every run of a sheet is at one size',
};

const REFUSED_BY_KIND: Record<SheetKind, Reasons> = {
  reconstruct: {
    init: 'a reconstruct sheet starts from noise',
    contentLayers: 'a reconstruct sheet sweeps its layers (give layers instead)',
    styleLayers: 'a reconstruct sheet has no style term',
  },
  texture: {
    init: 'a texture sheet starts from noise',
    styleLayers: 'a texture sheet sweeps its layers (give layers and combo instead)',
    contentLayers: 'a texture sheet has no content term',
  },
  init: { init: 'an init sheet runs from noise and from the content image' },
  grid: {},
};

/** "a texture sheet", "an init sheet". */
export function aSheet(kind: SheetKind): string {
  return `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} sheet`;
}

function optionName(key: keyof StyleOptions): string {
  const spec = optionSpec(key);
  return spec.chat ?? spec.flag;
}

function layerList(value: unknown, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || list.some((l) => typeof l !== 'string')) throw new Refusal(`${what}: expected a list of layer names like conv_1,conv_2`);
  const names = (list as string[]).map((l) => l.trim()).filter(Boolean);
  if (names.length === 0) throw new Refusal(`${what}: needs at least one layer`);
  return names;
}

/** Checks the shape of a sheet request (layer names are checked by planSheet); returns a clean copy. */
export function checkSheetSpec(sheet: unknown): SheetSpec {
  if (!sheet || typeof sheet !== 'object') throw new Refusal(`a sheet job needs a sheet kind: ${SHEET_KINDS.join(', ')}`);
  const s = sheet as Record<string, unknown>;
  if (typeof s.kind !== 'string' || !isSheetKind(s.kind)) {
    throw new Refusal(`unknown sheet "${String(s.kind)}": use ${SHEET_KINDS.join(', ')}`);
  }
  const out: SheetSpec = { kind: s.kind };
  const layers = layerList(s.layers, 'layers');
  const combo = layerList(s.combo, 'combo');
  if (layers) out.layers = layers;
  if (combo) out.combo = combo;
  return out;
}

/** A sheet's content images, whether given as `contents` or as the single `content`. */
export function sheetContents(inputs: JobInputs): Buffer[] {
  if (inputs.contents && inputs.contents.length > 0) return inputs.contents;
  return inputs.content ? [inputs.content] : [];
}

/** Explicit options a sheet cannot honour; admin defaults of them are overridden silently by the plan. */
function refuseUnused(kind: SheetKind, user: OptionsInput): void {
  const refused = { ...REFUSED, ...REFUSED_BY_KIND[kind] };
  for (const [key, value] of Object.entries(user)) {
    const why = refused[key as keyof StyleOptions];
    if (value !== undefined && why) throw new Refusal(`${optionName(key as keyof StyleOptions)} is not used by ${aSheet(kind)}: ${why}`);
  }
}

/**
 * What the kind needs and uses, in numbers of images, and the plan's own checks (layer names, the
 * run cap). Throws Refusal; returns the number of optimisation runs.
 */
export function planSheetRuns(sheet: SheetSpec, contents: number, styles: number, options: StyleOptions): number {
  if (contents > MAX_STYLE_IMAGES) throw new Refusal(`a sheet takes at most ${MAX_STYLE_IMAGES} content images, got ${contents}`);
  if (sheet.kind === 'texture' && contents > 0) throw new Refusal('a texture sheet uses no content image: it synthesises textures from the style images');
  if (sheet.kind === 'reconstruct' && styles > 0) throw new Refusal('a reconstruct sheet uses no style image: it reconstructs the content images');
  try {
    const plan = planSheet(sheet.kind, {
      contents: Array.from({ length: contents }, () => ''),
      styles: Array.from({ length: styles }, () => ''),
      options,
      layers: sheet.layers,
      combo: sheet.combo,
    });
    return countRuns(plan);
  } catch (e) {
    if (e instanceof SheetError) throw new Refusal(e.message);
    throw e;
  }
}

/**
 * The base options of a sheet's runs: the seed preset unless the user picks one, one size per run,
 * the workspace's size limit, and runs × steps within maxSteps (an explicit steps value over it is
 * refused naming the limit; a default is lowered to fit).
 */
export function resolveSheetOptions(
  user: OptionsInput,
  adminDefaults: OptionsInput,
  limits: Limits,
  sheet: SheetSpec,
  counts: { contents: number; styles: number },
): { options: StyleOptions; runs: number } {
  const explicit = parseOptionsInput(user ?? {});
  refuseUnused(sheet.kind, explicit);
  const options = resolveJobOptions({ ...user, preset: explicit.preset ?? SHEET_DEFAULT_PRESET, multiresAbove: 0 }, adminDefaults, limits);
  if (options.init === 'image') throw new Refusal('init=image needs an initial image, which a sheet cannot take: use noise, content or style');
  const runs = planSheetRuns(sheet, counts.contents, counts.styles, options);
  const total = runs * options.steps;
  if (total > limits.maxSteps) {
    const fit = Math.floor(limits.maxSteps / runs);
    if (explicit.steps !== undefined || fit < 1) {
      throw new Refusal(
        `this ${sheet.kind} sheet is ${runs} runs × ${options.steps} steps = ${total} steps, over this workspace's limit of ${limits.maxSteps} steps (maxSteps); ` +
          (fit >= 1 ? `ask for ${fit} steps or fewer, or fewer layers or images` : 'ask for fewer layers or images'),
      );
    }
    options.steps = fit;
  }
  return { options, runs };
}
