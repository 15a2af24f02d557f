// From names to images: a library answers "which styles are there" and "the image of this one";
// resolving a blend of names checks every name first, so a typo is reported before anything is
// read or queued. The CLI uses the built-ins alone; a chat workspace layers its saved styles over
// them (minus any an admin hid).
import { BUILTIN_STYLES, readBuiltinStyle } from './builtin.ts';
import { StyleNameError, type StyleRef } from './style-names.ts';

export interface StyleLibrary {
  /** Every name the library offers, in the order to show them. */
  names(): Promise<readonly string[]>;
  /** The stored image bytes of a style, or undefined when there is none by that name. */
  read(name: string): Promise<Buffer | undefined>;
}

/** The paintings shipped with stylize. */
export const builtinLibrary: StyleLibrary = {
  names: async () => BUILTIN_STYLES.map((s) => s.name),
  read: readBuiltinStyle,
};

export class UnknownStyleError extends StyleNameError {
  override name = 'UnknownStyleError';
  constructor(
    readonly styleName: string,
    readonly available: readonly string[],
    what = 'style',
  ) {
    super(unknownStyleMessage(styleName, available, what));
  }
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

/** The available name a typo most likely meant: a prefix of exactly one name, or within a third of its length in edits. */
export function closestStyleName(name: string, available: readonly string[]): string | undefined {
  const prefixed = available.filter((n) => n.startsWith(name));
  if (name.length >= 3 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const n of available) {
    const d = editDistance(name, n);
    if (d < bestDistance) {
      best = n;
      bestDistance = d;
    }
  }
  return best;
}

/** `no style "screm" (did you mean "scream"?); available: starry-night, scream, …` — one line, the list clipped. */
export function unknownStyleMessage(name: string, available: readonly string[], what = 'style'): string {
  const guess = closestStyleName(name, available);
  const shown = available.slice(0, 20).join(', ') + (available.length > 20 ? `, … (${available.length - 20} more)` : '');
  return `no ${what} "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}; ${available.length ? `available: ${shown}` : `there are none`}`;
}

export interface ResolvedStyle extends StyleRef {
  image: Buffer;
}

/**
 * The image of every named style, in the order given. Throws UnknownStyleError for the first name
 * the library does not have (before reading any image), listing the names it does have.
 */
export async function resolveStyleRefs(refs: readonly StyleRef[], library: StyleLibrary = builtinLibrary, what = 'style'): Promise<ResolvedStyle[]> {
  const names = await library.names();
  for (const r of refs) if (!names.includes(r.name)) throw new UnknownStyleError(r.name, names, what);
  const out: ResolvedStyle[] = [];
  for (const r of refs) {
    const image = await library.read(r.name);
    // Removed between the listing and the read (a chat library changes under us): same message.
    if (!image) throw new UnknownStyleError(r.name, names.filter((n) => n !== r.name), what);
    out.push({ ...r, image });
  }
  return out;
}

/**
 * Blend weights for a job whose styles are `attachments` images (first, in their order) and then
 * the named styles: each attachment weighs `attachmentWeights[i]` (1 when not given), each named
 * style its own weight. The engine normalises them to sum 1. Undefined when there are no named
 * styles and no attachment weights: the existing equal blend.
 */
export function blendWeights(attachments: number, refs: readonly StyleRef[], attachmentWeights?: readonly number[]): number[] | undefined {
  if (attachmentWeights && attachmentWeights.length !== attachments) {
    throw new StyleNameError(`${attachmentWeights.length} blend weight${attachmentWeights.length === 1 ? '' : 's'} for ${attachments} attached style image${attachments === 1 ? '' : 's'}`);
  }
  if (refs.length === 0) return attachmentWeights ? [...attachmentWeights] : undefined;
  const weights = [...(attachmentWeights ?? new Array<number>(attachments).fill(1)), ...refs.map((r) => r.weight)];
  if (weights.every((w) => w === 0)) throw new StyleNameError('the style weights must not all be 0');
  return weights;
}
