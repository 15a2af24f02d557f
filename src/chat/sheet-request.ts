// Chat-side pieces of a sheet request shared by the Discord and Slack adapters: reading layer lists
// and refusing a request early (before any image is downloaded) by the job service's own rules.
import { SHEET_KINDS, type SheetKind } from '../engine/sheet/plan.ts';
import { Refusal } from '../jobs/job-rules.ts';
import { checkSheetSpec, planSheetRuns, SHEET_DEFAULT_PRESET } from '../jobs/sheet-rules.ts';
import type { SheetSpec } from '../jobs/types.ts';
import { resolveOptions } from '../options.ts';

export { SHEET_KINDS };

/** What each kind takes: reconstruct the content images, texture the styles, init and grid both. */
export function sheetNeeds(kind: SheetKind): { content: boolean; style: boolean } {
  return { content: kind !== 'texture', style: kind !== 'reconstruct' };
}

/** "conv_1,conv_2" or "conv_1 conv_2" → ['conv_1', 'conv_2']; empty → undefined. */
export function splitLayers(text: string | null | undefined): string[] | undefined {
  const names = (text ?? '').split(/[\s,]+/).filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** One short line per kind, for usage texts. */
export const SHEET_KIND_HELP: Record<SheetKind, string> = {
  reconstruct: 'content reconstruction from noise at each layer',
  texture: 'texture synthesis at each layer, then at the combined layers',
  init: 'the same transfer from noise and from the content image',
  grid: 'every content × every style',
};

/**
 * The job service's checks that need no image bytes (kind, layer names, which images the kind
 * takes, the run cap): a one-line refusal, or undefined when the request may go ahead.
 */
export function sheetRequestProblem(sheet: SheetSpec, contents: number, styles: number): string | undefined {
  try {
    planSheetRuns(checkSheetSpec(sheet), contents, styles, resolveOptions({ preset: SHEET_DEFAULT_PRESET }));
    return undefined;
  } catch (e) {
    if (e instanceof Refusal) return e.message;
    throw e;
  }
}
