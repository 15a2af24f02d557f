// The "save a style" form opened by /stylize-style save: a name and one image. The name is checked
// with the one style-name rule before the form closes (errors go back onto the block); the image
// is checked and stored after.
import type { types } from '@slack/bolt';
import { validateStyleName } from '../styles/index.ts';
import { fileBlock, parseModalMetadata, plain, type ModalMetadata } from './modal.ts';
import { precheckFile, type DownloadLimits, type SlackFile } from './input-images.ts';

export const STYLE_MODAL_CALLBACK = 'stylize_style_modal';
export const STYLE_NAME_BLOCK = 'style_name';
export const STYLE_IMAGE_BLOCK = 'style_image';
const NAME_ACTION = 'value';
const FILE_ACTION = 'file';

export function buildSaveStyleModal(meta: ModalMetadata, name?: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: STYLE_MODAL_CALLBACK,
    private_metadata: JSON.stringify(meta),
    title: plain('Save a style'),
    submit: plain('Save'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: STYLE_NAME_BLOCK,
        label: plain('Name'),
        hint: plain('lower-case letters, digits and -, e.g. scream-blue; used as style=scream-blue'),
        element: { type: 'plain_text_input', action_id: NAME_ACTION, max_length: 32, ...(name ? { initial_value: name } : {}) },
      },
      { ...fileBlock(STYLE_IMAGE_BLOCK, 'Style image', 'The artwork whose style to keep under this name.', FILE_ACTION), optional: false },
    ],
  };
}

export interface SaveStyleSubmission {
  metadata?: ModalMetadata;
  name: string;
  file?: SlackFile;
  errors: Record<string, string>;
}

interface SubmittedValues {
  private_metadata?: string;
  state: { values: Record<string, Record<string, { value?: string | null; files?: SlackFile[] }>> };
}

export function readSaveStyleModal(view: SubmittedValues, limits: DownloadLimits): SaveStyleSubmission {
  const values = view.state.values;
  const name = (values[STYLE_NAME_BLOCK]?.[NAME_ACTION]?.value ?? '').trim();
  const file = values[STYLE_IMAGE_BLOCK]?.[FILE_ACTION]?.files?.[0];
  const errors: Record<string, string> = {};
  try {
    validateStyleName(name);
  } catch (e) {
    errors[STYLE_NAME_BLOCK] = (e as Error).message;
  }
  if (!file) errors[STYLE_IMAGE_BLOCK] = 'Attach the style image.';
  else {
    const problem = precheckFile(file, limits, 'The style image');
    if (problem) errors[STYLE_IMAGE_BLOCK] = problem;
  }
  return { metadata: parseModalMetadata(view.private_metadata), name, ...(file ? { file } : {}), errors };
}
