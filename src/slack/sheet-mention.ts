// Reading an @mention that asks for an experiment sheet: "@Stylize sheet texture layers=conv_1,conv_2
// steps=50" with images attached. The images are taken in order, contents first, then styles:
//   reconstruct: every image is a content image;  texture: every image is a style image;
//   init, grid:  the first `contents=N` images (default 1) are content images, the rest styles.
// Other words are options, as in an ordinary mention.
import { parseOptionWords } from '../chat/chat-options.ts';
import { SHEET_KINDS, sheetRequestProblem, splitLayers } from '../chat/sheet-request.ts';
import { isSheetKind, type SheetKind } from '../engine/sheet/plan.ts';
import { aSheet } from '../jobs/sheet-rules.ts';
import type { SheetSpec } from '../jobs/types.ts';
import type { OptionsInput } from '../options.ts';
import type { SlackFile } from './input-images.ts';

export const SHEET_MENTION_USAGE =
  'For an experiment sheet say `sheet` and the kind, with images attached: `sheet reconstruct` (content images), ' +
  '`sheet texture` (style images), `sheet init` or `sheet grid` (content images first, then styles; `contents=2` when there are two contents). ' +
  'Add `layers=conv_1,conv_2,conv_3` or `combo=conv_1,conv_2` for reconstruct and texture, and options like `steps=100 size=128`.';

export type SheetMentionRequest =
  | { ok: true; sheet: SheetSpec; options: OptionsInput; contentFiles: SlackFile[]; styleFiles: SlackFile[] }
  | { ok: false; reason: string };

const SHEET_WORD = 'sheet';

/** True when the words ask for a sheet (the bare word `sheet`, in any case). */
export function asksForSheet(text: string): boolean {
  return text.split(/\s+/).some((w) => w.toLowerCase() === SHEET_WORD);
}

function refuse(reason: string): SheetMentionRequest {
  return { ok: false, reason: `${reason}\n${SHEET_MENTION_USAGE}` };
}

function capitalised(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function wholeNumber(value: string): number | undefined {
  return /^\d+$/.test(value) ? Number(value) : undefined;
}

/** `text` is the mention's words (mentions and links already removed). */
export function readSheetMention(text: string, files: readonly SlackFile[]): SheetMentionRequest {
  let kind: SheetKind | undefined;
  let layers: string[] | undefined;
  let combo: string[] | undefined;
  let contentsCount: number | undefined;
  const rest: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const lower = word.toLowerCase();
    const eq = word.indexOf('=');
    if (eq < 0) {
      if (lower === SHEET_WORD) continue;
      // The first kind word names the sheet; "texture" is also a mode word, so it is taken here.
      if (!kind && isSheetKind(lower)) {
        kind = lower;
        continue;
      }
      rest.push(word);
      continue;
    }
    const key = lower.slice(0, eq);
    const value = word.slice(eq + 1);
    if (key === 'layers') layers = splitLayers(value) ?? [];
    else if (key === 'combo') combo = splitLayers(value) ?? [];
    else if (key === 'contents') {
      contentsCount = wholeNumber(value);
      if (contentsCount === undefined) return refuse(`contents: got "${value}", expected how many of the images are content images (a whole number)`);
    } else rest.push(word);
  }
  if (!kind) return refuse(`Which sheet? Say \`sheet\` and one of ${SHEET_KINDS.map((k) => `\`${k}\``).join(', ')}.`);

  let options: OptionsInput;
  try {
    options = parseOptionWords(rest.join(' '));
  } catch (e) {
    return refuse((e as Error).message);
  }
  const sheet: SheetSpec = { kind };
  if (layers) sheet.layers = layers;
  if (combo) sheet.combo = combo;

  if (files.length === 0) return refuse(`${capitalised(aSheet(kind))} needs images: attach them to the message.`);
  let contentFiles: SlackFile[];
  let styleFiles: SlackFile[];
  if (kind === 'reconstruct' || kind === 'texture') {
    if (contentsCount !== undefined) return refuse(`contents= is only for init and grid sheets; every image of a ${kind} sheet is a ${kind === 'texture' ? 'style' : 'content'} image.`);
    [contentFiles, styleFiles] = kind === 'reconstruct' ? [[...files], []] : [[], [...files]];
  } else {
    const n = contentsCount ?? 1;
    if (n < 1 || n >= files.length) {
      return refuse(`${capitalised(aSheet(kind))} needs content images then style images: with contents=${n} and ${files.length} image${files.length === 1 ? '' : 's'} ${n < 1 ? 'there is no content image' : 'no style image is left'}.`);
    }
    contentFiles = files.slice(0, n);
    styleFiles = files.slice(n);
  }
  const problem = sheetRequestProblem(sheet, contentFiles.length, styleFiles.length);
  if (problem) return refuse(capitalised(problem));
  return { ok: true, sheet, options, contentFiles, styleFiles };
}
