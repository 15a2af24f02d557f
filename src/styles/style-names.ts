// Style names and blends of named styles ("starry-night:3 scream:1"): the one parser every surface
// uses (the CLI's --style-name, the chat option style_name, a mention's style=), so a name means the
// same thing everywhere and a bad one gets the same message everywhere.

/** Longest style name: fits a Discord choice and a Slack option with room to spare. */
export const STYLE_NAME_MAX_LENGTH = 32;
/** Most styles in one blend; each adds a forward pass and a set of Gram targets to the job. */
export const MAX_BLEND_STYLES = 8;
/** Largest weight of one named style (weights are relative: normalised to sum 1 with the others). */
export const MAX_STYLE_WEIGHT = 1000;

/** One named style of a blend; weight is relative, 1 when not written. */
export interface StyleRef {
  name: string;
  weight: number;
}

export class StyleNameError extends Error {
  override name = 'StyleNameError';
}

const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const RULE = `lower-case letters, digits and "-" (at most ${STYLE_NAME_MAX_LENGTH} characters, not starting or ending with "-"), e.g. starry-night`;

/** What a typed name probably meant: "Starry Night" → "starry-night"; undefined when nothing valid comes of it. */
function tidied(raw: string): string | undefined {
  const guess = raw
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .replace(/[^a-z0-9-]/g, '')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return guess && guess.length <= STYLE_NAME_MAX_LENGTH && guess !== raw ? guess : undefined;
}

/**
 * A valid style name, returned as given; otherwise StyleNameError with a one-line message saying
 * the rule (and the likely intended name). For saving a style as well as for referring to one.
 */
export function validateStyleName(raw: string): string {
  if (raw.length === 0) throw new StyleNameError(`a style name cannot be empty: use ${RULE}`);
  if (raw.length > STYLE_NAME_MAX_LENGTH) {
    throw new StyleNameError(`style name "${raw.slice(0, 40)}${raw.length > 40 ? '…' : ''}" is ${raw.length} characters long, at most ${STYLE_NAME_MAX_LENGTH}`);
  }
  if (!NAME.test(raw)) {
    const guess = tidied(raw);
    throw new StyleNameError(`style name "${raw}" is not valid: use ${RULE}${guess ? ` (did you mean "${guess}"?)` : ''}`);
  }
  return raw;
}

function parseWeight(name: string, text: string): number {
  const weight = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(weight) || weight < 0 || weight > MAX_STYLE_WEIGHT) {
    throw new StyleNameError(`style "${name}": weight "${text}" must be a number from 0 to ${MAX_STYLE_WEIGHT}, as in ${name}:2`);
  }
  return weight;
}

function parseOne(word: string): StyleRef {
  const colon = word.indexOf(':');
  if (colon < 0) return { name: validateStyleName(word), weight: 1 };
  const name = validateStyleName(word.slice(0, colon));
  return { name, weight: parseWeight(name, word.slice(colon + 1)) };
}

function checkBlend(refs: StyleRef[]): StyleRef[] {
  if (refs.length === 0) throw new StyleNameError('no style name given: write one or more names, e.g. starry-night or "starry-night:3 scream:1"');
  if (refs.length > MAX_BLEND_STYLES) throw new StyleNameError(`${refs.length} styles named: a blend takes at most ${MAX_BLEND_STYLES}`);
  const seen = new Set<string>();
  for (const r of refs) {
    if (seen.has(r.name)) throw new StyleNameError(`style "${r.name}" is named twice: give it once, with the weight you want (${r.name}:2)`);
    seen.add(r.name);
  }
  if (refs.every((r) => r.weight === 0)) throw new StyleNameError('the style weights must not all be 0');
  return refs;
}

/**
 * "starry-night:3 scream:1" → [{ name: 'starry-night', weight: 3 }, { name: 'scream', weight: 1 }].
 * Names are separated by spaces and/or commas; a weight is written name:W (default 1; relative,
 * normalised with the others when the job runs). Also accepts the parsed form (an array of
 * { name, weight }, e.g. from a stored job) and checks it the same way. Throws StyleNameError with a
 * one-line message.
 */
export function parseStyleNames(input: string | readonly unknown[]): StyleRef[] {
  if (typeof input === 'string') {
    const words = input.split(/[\s,]+/).filter(Boolean);
    return checkBlend(words.map(parseOne));
  }
  return checkBlend(
    input.map((item) => {
      const r = item as Partial<StyleRef> | null;
      if (typeof r?.name !== 'string') throw new StyleNameError(`a style in the list has no name: ${JSON.stringify(item)}`);
      const name = validateStyleName(r.name);
      const weight = r.weight === undefined ? 1 : typeof r.weight === 'number' ? r.weight : NaN;
      return { name, weight: parseWeight(name, String(weight)) };
    }),
  );
}

/** The text form parseStyleNames reads back: "starry-night:3 scream" (weight 1 is left out). */
export function formatStyleNames(refs: readonly StyleRef[]): string {
  return refs.map((r) => (r.weight === 1 ? r.name : `${r.name}:${r.weight}`)).join(' ');
}
