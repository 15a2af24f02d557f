// The /stylize-sheet modal: the kind of sheet, content and style image pickers (up to three each),
// the layers a reconstruct or texture sheet sweeps (and a texture sheet's combined layers), and
// steps and size per run, as /stylize-sheet has on Discord. A submission is checked by the job
// service's own sheet rules before anything is downloaded, with errors shown on the right block.
import type { types } from '@slack/bolt';
import { SHEET_KIND_HELP, SHEET_KINDS, sheetNeeds, sheetRequestProblem, splitLayers } from '../chat/sheet-request.ts';
import { isSheetKind, type SheetKind } from '../engine/sheet/plan.ts';
import type { SheetSpec } from '../jobs/types.ts';
import { OptionsError, optionSpec, parseOption, type OptionsInput } from '../options.ts';
import { precheckFile, type DownloadLimits, type SlackFile } from './input-images.ts';
import { fileBlock, parseModalMetadata, plain, type ModalMetadata, type SubmittedView } from './modal.ts';

export const SHEET_MODAL_CALLBACK = 'stylize_sheet_modal';
export const SHEET_BLOCKS = {
  kind: 'sheet_kind',
  contents: 'sheet_contents',
  styles: 'sheet_styles',
  layers: 'sheet_layers',
  combo: 'sheet_combo',
  steps: 'sheet_steps',
  size: 'sheet_size',
} as const;
const ACTION = 'value';
/** Images per picker, as on Discord (content, content2, content3). */
export const SHEET_MAX_IMAGES = 3;

function files(blockId: string, label: string, hint: string): types.InputBlock {
  return fileBlock(blockId, label, hint, ACTION, SHEET_MAX_IMAGES);
}

function text(blockId: string, label: string, hint: string, placeholder: string): types.InputBlock {
  return { type: 'input', block_id: blockId, optional: true, label: plain(label), hint: plain(hint), element: { type: 'plain_text_input', action_id: ACTION, placeholder: plain(placeholder) } };
}

function wholeNumber(blockId: string, key: 'steps' | 'size', label: string, hint: string): types.InputBlock {
  const spec = optionSpec(key);
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: plain(label),
    hint: plain(hint),
    element: { type: 'number_input', action_id: ACTION, is_decimal_allowed: false, min_value: String(spec.min), max_value: String(spec.max) },
  };
}

export function buildSheetModal(meta: ModalMetadata): types.ModalView {
  return {
    type: 'modal',
    callback_id: SHEET_MODAL_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain('Experiment sheet'),
    submit: plain('Render'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: SHEET_BLOCKS.kind,
        label: plain('Kind'),
        hint: plain(SHEET_KINDS.map((k) => `${k}: ${SHEET_KIND_HELP[k]}`).join(' · ')),
        element: {
          type: 'static_select',
          action_id: ACTION,
          placeholder: plain('Which study'),
          options: SHEET_KINDS.map((k) => ({ text: plain(k), value: k })),
        },
      },
      files(SHEET_BLOCKS.contents, 'Content images', 'For reconstruct, init and grid sheets (one row each).'),
      files(SHEET_BLOCKS.styles, 'Style images', 'For texture, init and grid sheets.'),
      text(SHEET_BLOCKS.layers, 'Layers', 'Reconstruct and texture: the layers swept, one run each (default conv_1…conv_5).', 'conv_1,conv_2,conv_3'),
      text(SHEET_BLOCKS.combo, 'Combined layers', "Texture: the layers of the last, combined run (default conv_1,conv_2).", 'conv_1,conv_2'),
      wholeNumber(SHEET_BLOCKS.steps, 'steps', 'Steps per run', 'Optimisation iterations of each run; the sheet costs runs × steps.'),
      wholeNumber(SHEET_BLOCKS.size, 'size', 'Size per run', 'Longer side of each run in pixels.'),
    ],
  };
}

interface Value {
  value?: string | null;
  selected_option?: { value: string } | null;
  files?: SlackFile[];
}

export interface SheetModalSubmission {
  metadata?: ModalMetadata;
  sheet?: SheetSpec;
  options: OptionsInput;
  contentFiles: SlackFile[];
  styleFiles: SlackFile[];
  /** block_id → message for `response_action: 'errors'`; empty when valid. */
  errors: Record<string, string>;
}

export function readSheetModal(view: SubmittedView, limits: DownloadLimits): SheetModalSubmission {
  const values = view.state.values as Record<string, Record<string, Value>>;
  const at = (block: string) => values[block]?.[ACTION];
  const errors: Record<string, string> = {};
  const options: OptionsInput = {};
  for (const [key, block] of [['steps', SHEET_BLOCKS.steps], ['size', SHEET_BLOCKS.size]] as const) {
    const raw = at(block)?.value?.trim();
    if (!raw) continue;
    try {
      options[key] = parseOption(key, raw);
    } catch (e) {
      errors[block] = e instanceof OptionsError ? e.message : String(e);
    }
  }
  const contentFiles = at(SHEET_BLOCKS.contents)?.files ?? [];
  const styleFiles = at(SHEET_BLOCKS.styles)?.files ?? [];
  const metadata = parseModalMetadata(view.private_metadata);
  const kindValue = at(SHEET_BLOCKS.kind)?.selected_option?.value;
  if (!kindValue || !isSheetKind(kindValue)) {
    errors[SHEET_BLOCKS.kind] = `Pick one of ${SHEET_KINDS.join(', ')}.`;
    return { metadata, options, contentFiles, styleFiles, errors };
  }
  const kind: SheetKind = kindValue;
  const sheet: SheetSpec = { kind };
  const layers = splitLayers(at(SHEET_BLOCKS.layers)?.value);
  const combo = splitLayers(at(SHEET_BLOCKS.combo)?.value);
  if (layers) sheet.layers = layers;
  if (combo) sheet.combo = combo;

  const need = sheetNeeds(kind);
  if (need.content && contentFiles.length === 0) errors[SHEET_BLOCKS.contents] = `A ${kind} sheet needs at least one content image.`;
  if (!need.content && contentFiles.length > 0) errors[SHEET_BLOCKS.contents] = `A ${kind} sheet uses no content images: it synthesises from the style images.`;
  if (need.style && styleFiles.length === 0) errors[SHEET_BLOCKS.styles] = `A ${kind} sheet needs at least one style image.`;
  if (!need.style && styleFiles.length > 0) errors[SHEET_BLOCKS.styles] = `A ${kind} sheet uses no style images: it reconstructs the content images.`;
  contentFiles.forEach((f, i) => {
    const problem = precheckFile(f, limits, contentFiles.length === 1 ? 'The content image' : `Content image ${i + 1}`);
    if (problem) errors[SHEET_BLOCKS.contents] ??= problem;
  });
  styleFiles.forEach((f, i) => {
    const problem = precheckFile(f, limits, styleFiles.length === 1 ? 'The style image' : `Style image ${i + 1}`);
    if (problem) errors[SHEET_BLOCKS.styles] ??= problem;
  });
  if (Object.keys(errors).length === 0) {
    const problem = sheetRequestProblem(sheet, contentFiles.length, styleFiles.length);
    if (problem) {
      const block = /^combo/i.test(problem) ? SHEET_BLOCKS.combo : /^layers|layer/i.test(problem) ? SHEET_BLOCKS.layers : SHEET_BLOCKS.kind;
      errors[block] = problem.charAt(0).toUpperCase() + problem.slice(1);
    }
  }
  return { metadata, sheet, options, contentFiles, styleFiles, errors };
}
