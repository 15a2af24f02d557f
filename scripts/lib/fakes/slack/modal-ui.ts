// What Slack does with a modal: checks the view against Block Kit's limits on views.open, and plays
// the user filling it in, producing view.state.values in the shapes Slack sends (and refusing what
// the Slack client itself would refuse: a missing required field, an option not in the list, a
// number outside min/max, a file type not accepted by the picker).
import type { FakeFile } from './types.ts';

type Json = Record<string, unknown>;

const INPUT_ELEMENTS = new Set([
  'plain_text_input', 'number_input', 'static_select', 'multi_static_select', 'checkboxes', 'radio_buttons',
  'file_input', 'datepicker', 'timepicker', 'email_text_input', 'url_text_input', 'users_select', 'conversations_select',
  'channels_select', 'rich_text_input',
]);

function plainText(v: unknown, max: number, where: string, errors: string[]): void {
  const t = v as Json | undefined;
  if (!t || t.type !== 'plain_text' || typeof t.text !== 'string' || t.text.length === 0) {
    errors.push(`${where}: must be a plain_text object with text`);
    return;
  }
  if ((t.text as string).length > max) errors.push(`${where}: must be at most ${max} characters`);
}

function checkElement(el: Json, where: string, errors: string[]): void {
  const type = el.type as string;
  if (!INPUT_ELEMENTS.has(type)) errors.push(`${where}: unsupported element type "${type}"`);
  if (typeof el.action_id !== 'string' || el.action_id.length > 255) errors.push(`${where}/action_id: required, at most 255 characters`);
  if (el.placeholder !== undefined) plainText(el.placeholder, 150, `${where}/placeholder`, errors);
  if (type === 'file_input') {
    const max = el.max_files as number | undefined;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 10)) errors.push(`${where}/max_files: must be 1 to 10`);
    if (el.filetypes !== undefined && (!Array.isArray(el.filetypes) || el.filetypes.some((f) => typeof f !== 'string'))) {
      errors.push(`${where}/filetypes: must be an array of strings`);
    }
  }
  if (type === 'static_select' || type === 'checkboxes' || type === 'radio_buttons') {
    const options = el.options as Json[] | undefined;
    const limit = type === 'static_select' ? 100 : 10;
    if (!Array.isArray(options) || options.length === 0 || options.length > limit) errors.push(`${where}/options: must have 1 to ${limit} options`);
    const values = new Set<string>();
    (options ?? []).forEach((o, i) => {
      plainText(o.text, 75, `${where}/options/${i}/text`, errors);
      if (typeof o.value !== 'string' || o.value.length === 0 || o.value.length > 150) errors.push(`${where}/options/${i}/value: 1 to 150 characters`);
      else if (values.has(o.value)) errors.push(`${where}/options/${i}/value: duplicate "${o.value}"`);
      else values.add(o.value);
    });
  }
  if (type === 'number_input') {
    if (typeof el.is_decimal_allowed !== 'boolean') errors.push(`${where}/is_decimal_allowed: required boolean`);
    for (const k of ['min_value', 'max_value', 'initial_value']) {
      if (el[k] !== undefined && (typeof el[k] !== 'string' || !Number.isFinite(Number(el[k])))) errors.push(`${where}/${k}: must be a numeric string`);
    }
    if (el.min_value !== undefined && el.max_value !== undefined && Number(el.min_value) > Number(el.max_value)) errors.push(`${where}: min_value > max_value`);
  }
}

/** Errors in Slack's "[ERROR] message [json-pointer:/view/…]" style; empty when the view is accepted. */
export function validateModalView(view: Json): string[] {
  const errors: string[] = [];
  if (view.type !== 'modal') errors.push('/view/type: must be "modal"');
  plainText(view.title, 24, '/view/title', errors);
  if (view.submit !== undefined) plainText(view.submit, 24, '/view/submit', errors);
  if (view.close !== undefined) plainText(view.close, 24, '/view/close', errors);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) errors.push('/view/private_metadata: at most 3000 characters');
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) errors.push('/view/callback_id: at most 255 characters');
  const blocks = view.blocks as Json[] | undefined;
  if (!Array.isArray(blocks) || blocks.length > 100) {
    errors.push('/view/blocks: must be an array of at most 100 blocks');
    return errors;
  }
  const ids = new Set<string>();
  let inputs = 0;
  blocks.forEach((b, i) => {
    const where = `/view/blocks/${i}`;
    if (typeof b.block_id === 'string') {
      if (b.block_id.length > 255) errors.push(`${where}/block_id: at most 255 characters`);
      if (ids.has(b.block_id)) errors.push(`${where}/block_id: duplicate "${b.block_id}"`);
      ids.add(b.block_id);
    }
    if (b.type === 'input') {
      inputs++;
      plainText(b.label, 2000, `${where}/label`, errors);
      if (b.hint !== undefined) plainText(b.hint, 2000, `${where}/hint`, errors);
      if (!b.element || typeof b.element !== 'object') errors.push(`${where}/element: required`);
      else checkElement(b.element as Json, `${where}/element`, errors);
    } else if (!['section', 'context', 'divider', 'header', 'actions', 'image'].includes(b.type as string)) {
      errors.push(`${where}/type: unknown block type "${String(b.type)}"`);
    }
  });
  if (inputs > 0 && view.submit === undefined) errors.push('/view/submit: required when the view has input blocks');
  return errors.map((e) => `[ERROR] ${e.replace(/^(\/\S+?): /, '')} [json-pointer:${e.split(':')[0]}]`);
}

/** An answer per block_id: files for file_input, an option value, a number or text, a checkbox state. */
export type ModalAnswer = FakeFile[] | string | number | boolean | undefined;

/** The user fills the modal in; throws when the Slack client would not let the form be submitted. */
export function fillModalView(view: Json, answers: Record<string, ModalAnswer>, fileObject: (f: FakeFile) => Json): Record<string, Record<string, Json>> {
  const values: Record<string, Record<string, Json>> = {};
  const blocks = (view.blocks as Json[]).filter((b) => b.type === 'input');
  const known = new Set(blocks.map((b) => b.block_id as string));
  for (const key of Object.keys(answers)) if (!known.has(key)) throw new Error(`the modal has no input block "${key}" (blocks: ${[...known].join(', ')})`);
  for (const b of blocks) {
    const id = b.block_id as string;
    const el = b.element as Json;
    const answer = answers[id];
    const empty = answer === undefined || answer === '' || (Array.isArray(answer) && answer.length === 0) || answer === false;
    if (empty && b.optional !== true) throw new Error(`Slack would refuse to submit: "${id}" is required`);
    let state: Json;
    switch (el.type) {
      case 'file_input': {
        const files = (answer as FakeFile[] | undefined) ?? [];
        const max = (el.max_files as number | undefined) ?? 10;
        if (files.length > max) throw new Error(`Slack would refuse: "${id}" accepts at most ${max} file(s)`);
        const types = el.filetypes as string[] | undefined;
        for (const f of files) {
          if (types && !types.includes(f.filetype)) throw new Error(`Slack would refuse: "${id}" does not accept .${f.filetype} files`);
        }
        state = { type: 'file_input', files: files.map(fileObject) };
        break;
      }
      case 'static_select': {
        const options = el.options as Json[];
        if (empty) {
          state = { type: 'static_select', selected_option: null };
          break;
        }
        const opt = options.find((o) => o.value === String(answer));
        if (!opt) throw new Error(`Slack would refuse: "${String(answer)}" is not an option of "${id}"`);
        state = { type: 'static_select', selected_option: { text: opt.text, value: opt.value } };
        break;
      }
      case 'number_input': {
        if (empty) {
          state = { type: 'number_input', value: null };
          break;
        }
        const n = Number(answer);
        const bad =
          !Number.isFinite(n) ||
          (el.is_decimal_allowed === false && !Number.isInteger(n)) ||
          (el.min_value !== undefined && n < Number(el.min_value)) ||
          (el.max_value !== undefined && n > Number(el.max_value));
        if (bad) throw new Error(`Slack would refuse: ${String(answer)} is not a valid number for "${id}"`);
        state = { type: 'number_input', value: String(answer) };
        break;
      }
      case 'checkboxes': {
        const options = el.options as Json[];
        state = { type: 'checkboxes', selected_options: answer === true ? [{ text: options[0].text, value: options[0].value }] : [] };
        break;
      }
      default:
        state = { type: el.type, value: empty ? null : String(answer) };
    }
    values[id] = { [el.action_id as string]: state };
  }
  return values;
}
