// The /stylize modal: two file pickers and one input per chat option, generated from
// CHAT_OPTION_SPECS so a new chat option shows up here without touching this file. Reading a
// submission validates every value through the options schema and reports errors per block.
import type { types } from '@slack/bolt';
import { CHAT_OPTION_SPECS } from '../chat/chat-options.ts';
import { BASE_DEFAULTS, OptionsError, parseOption, resolveOptions, type Mode, type OptionSpec, type OptionsInput, type StyleOptions } from '../options.ts';
import type { StyleRef } from '../styles/index.ts';
import { IMAGE_FILETYPES, precheckFile, type DownloadLimits, type SlackFile } from './input-images.ts';

export const STYLIZE_MODAL_CALLBACK = 'stylize_modal';
export const CONTENT_BLOCK = 'content';
export const STYLE_BLOCK = 'style';
/** A select of the workspace's style library, beside the style image's picker. */
export const LIBRARY_BLOCK = 'style_library';
/** Slack's most options in a static select. */
const MAX_SELECT_OPTIONS = 100;
export const FILE_ACTION = 'file';
export const OPTION_ACTION = 'value';

/** Where the job's messages go; carried through the modal in private_metadata. */
export interface ModalMetadata {
  channel: string;
  threadTs?: string;
}

export function optionBlockId(spec: OptionSpec): string {
  return `opt_${String(spec.key)}`;
}

export function plain(text: string): types.PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function labelOf(spec: OptionSpec): string {
  const name = (spec.chat ?? spec.flag).replace(/[_-]/g, ' ');
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function rangeOf(spec: OptionSpec): string {
  if (spec.min === undefined || spec.max === undefined) return '';
  const fmt = (n: number) => (Math.abs(n) >= 1e6 ? n.toExponential().replace('e+', 'e') : String(n));
  return ` (${fmt(spec.min)} to ${fmt(spec.max)})`;
}

function defaultText(value: unknown): string {
  return Array.isArray(value) ? value.join(',') : String(value);
}

function optionElement(spec: OptionSpec, current: unknown): types.InputBlockElement {
  const placeholder = plain(clip(`default: ${defaultText(current)}`, 150));
  switch (spec.kind) {
    case 'enum':
      return {
        type: 'static_select',
        action_id: OPTION_ACTION,
        placeholder,
        // init=image needs an initial-image upload the form does not have; the job service would refuse it.
        options: (spec.choices ?? []).filter((c) => !(spec.key === 'init' && c === 'image')).map((c) => ({ text: plain(clip(c, 75)), value: c })),
      };
    case 'int':
      return {
        type: 'number_input',
        action_id: OPTION_ACTION,
        is_decimal_allowed: false,
        placeholder,
        ...(spec.min !== undefined ? { min_value: String(spec.min) } : {}),
        ...(spec.max !== undefined ? { max_value: String(spec.max) } : {}),
      };
    case 'boolean':
      return {
        type: 'checkboxes',
        action_id: OPTION_ACTION,
        options: [{ text: plain(clip(spec.description, 75)), value: 'true' }],
      };
    default:
      // Weights span 0…1e12 and read best as "1e6", which a number_input would refuse: free text,
      // validated by the schema on submit.
      return { type: 'plain_text_input', action_id: OPTION_ACTION, placeholder };
  }
}

/** An optional image upload (the stylize and sheet forms). */
export function fileBlock(blockId: string, label: string, hint: string, actionId = FILE_ACTION, maxFiles = 1): types.InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: plain(label),
    hint: plain(hint),
    element: { type: 'file_input', action_id: actionId, filetypes: [...IMAGE_FILETYPES], max_files: maxFiles },
  };
}

function effectiveDefaults(adminDefaults: OptionsInput): StyleOptions {
  try {
    return resolveOptions({}, adminDefaults);
  } catch {
    return resolveOptions({});
  }
}

/** The library select; its options are the library's names (the first 100: the rest by name in Style name). */
function libraryBlock(names: readonly string[]): types.InputBlock {
  return {
    type: 'input',
    block_id: LIBRARY_BLOCK,
    optional: true,
    label: plain('Style from the library'),
    hint: plain('Instead of a style image, or blended with it. To blend several or weigh them, write them in Style name, e.g. starry-night:3 scream.'),
    element: {
      type: 'static_select',
      action_id: OPTION_ACTION,
      placeholder: plain('pick a style'),
      options: names.slice(0, MAX_SELECT_OPTIONS).map((n) => ({ text: plain(clip(n, 75)), value: n })),
    },
  };
}

/** `library`: the workspace's style names, offered in a select beside the style picker. */
export function buildStylizeModal(meta: ModalMetadata, adminDefaults: OptionsInput = {}, library: readonly string[] = []): types.ModalView {
  const defaults = effectiveDefaults(adminDefaults);
  const blocks: types.KnownBlock[] = [
    fileBlock(CONTENT_BLOCK, 'Content image', 'The picture to repaint. Not needed for mode texture.'),
    fileBlock(STYLE_BLOCK, 'Style image', 'The artwork whose style to copy. Not needed for mode reconstruct, or with a library style.'),
    ...(library.length ? [libraryBlock(library)] : []),
  ];
  for (const spec of CHAT_OPTION_SPECS) {
    blocks.push({
      type: 'input',
      block_id: optionBlockId(spec),
      optional: true,
      label: plain(labelOf(spec)),
      hint: plain(clip(`${spec.description}${rangeOf(spec)}`, 2000)),
      element: optionElement(spec, defaults[spec.key]),
    });
  }
  return {
    type: 'modal',
    callback_id: STYLIZE_MODAL_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain('Stylize'),
    submit: plain('Stylize'),
    close: plain('Cancel'),
    blocks,
  };
}

/** The subset of a submitted view this module reads. */
export interface SubmittedView {
  private_metadata?: string;
  state: { values: Record<string, Record<string, ViewValue>> };
}

interface ViewValue {
  type?: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_options?: { value: string }[];
  files?: SlackFile[];
}

export interface ModalSubmission {
  metadata?: ModalMetadata;
  options: OptionsInput;
  contentFile?: SlackFile;
  styleFile?: SlackFile;
  /** block_id → message, ready for `response_action: 'errors'`; empty when the submission is valid. */
  errors: Record<string, string>;
}

function rawValue(v: ViewValue | undefined): unknown {
  if (!v) return undefined;
  if (v.selected_option !== undefined) return v.selected_option?.value ?? undefined;
  if (v.selected_options !== undefined) return v.selected_options.length > 0 ? 'true' : undefined;
  if (typeof v.value === 'string' && v.value.trim() !== '') return v.value.trim();
  return undefined;
}

export function parseModalMetadata(raw: string | undefined): ModalMetadata | undefined {
  if (!raw) return undefined;
  try {
    const m = JSON.parse(raw) as Partial<ModalMetadata>;
    return typeof m.channel === 'string' ? { channel: m.channel, ...(typeof m.threadTs === 'string' ? { threadTs: m.threadTs } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** Which images a mode needs: transfer both, texture the style, reconstruct the content. */
export function requiredImages(mode: Mode): { content: boolean; style: boolean } {
  return { content: mode !== 'texture', style: mode !== 'reconstruct' };
}

export function readStylizeModal(view: SubmittedView, adminDefaults: OptionsInput, limits: DownloadLimits): ModalSubmission {
  const values = view.state.values;
  const errors: Record<string, string> = {};
  const options: Record<string, unknown> = {};
  for (const spec of CHAT_OPTION_SPECS) {
    const blockId = optionBlockId(spec);
    const raw = rawValue(values[blockId]?.[OPTION_ACTION]);
    if (raw === undefined) continue;
    try {
      options[spec.key] = parseOption(spec.key, raw);
    } catch (e) {
      errors[blockId] = e instanceof OptionsError ? e.message : `invalid value: ${(e as Error).message}`;
    }
  }
  const contentFile = values[CONTENT_BLOCK]?.[FILE_ACTION]?.files?.[0];
  const styleFile = values[STYLE_BLOCK]?.[FILE_ACTION]?.files?.[0];
  const picked = rawValue(values[LIBRARY_BLOCK]?.[OPTION_ACTION]);
  if (typeof picked === 'string') {
    // The picked style joins the names written in Style name (weight 1), checked by the one parser.
    const written = (options.styleName as StyleRef[] | undefined) ?? [];
    try {
      options.styleName = parseOption('styleName', written.some((r) => r.name === picked) ? written : [...written, { name: picked, weight: 1 }]);
    } catch (e) {
      errors[LIBRARY_BLOCK] = (e as Error).message;
    }
  }

  let mode: Mode = BASE_DEFAULTS.mode;
  try {
    mode = resolveOptions(options, adminDefaults).mode;
  } catch (e) {
    // Cross-option problems have no single block; the mode block is where the user starts.
    if (Object.keys(errors).length === 0) errors[optionBlockId(CHAT_OPTION_SPECS.find((s) => s.key === 'mode') ?? CHAT_OPTION_SPECS[0])] = (e as Error).message;
  }
  const need = requiredImages(mode);
  if (need.content && !contentFile) errors[CONTENT_BLOCK] = `Mode ${mode} needs a content image (or choose mode texture).`;
  if (need.style && !styleFile && options.styleName === undefined) errors[STYLE_BLOCK] = `Mode ${mode} needs a style image or a library style (or choose mode reconstruct).`;
  if (contentFile) {
    const problem = precheckFile(contentFile, limits, 'The content image');
    if (problem) errors[CONTENT_BLOCK] = problem;
  }
  if (styleFile) {
    const problem = precheckFile(styleFile, limits, 'The style image');
    if (problem) errors[STYLE_BLOCK] = problem;
  }
  return { metadata: parseModalMetadata(view.private_metadata), options, contentFile, styleFile, errors };
}
