// Reading an @mention: the words become options (parseOptionWords), the attached files become the
// images in order: content first, then style. Texture needs only a style, reconstruct only a content.
import { parseOptionWords } from '../chat/chat-options.ts';
import { resolveOptions, type Mode, type OptionsInput } from '../options.ts';
import type { SlackFile } from './input-images.ts';

export const MENTION_USAGE =
  'Mention me in a message with two images attached: the first is the content, the second the style. ' +
  'Add words to change options, e.g. `texture` (one style image), `reconstruct` (one content image), `steps=300`, `size=512`, `preset=seed`, `strength=1e6`, `colors=palette`, `grid` (four small candidates first, with Upscale and Vary buttons). ' +
  'Name library styles instead of (or beside) the style image: `style=starry-night` or `style=starry-night:3,scream` (`@Stylize styles` lists them). ' +
  'Or use `/stylize` for a form. Say `sheet texture` (or `sheet reconstruct`, `sheet init`, `sheet grid`) for an experiment sheet.';

/** The message text without user/channel mentions and links (`<@U123>`, `<#C1|x>`, `<https://…>`). */
export function mentionText(text: string): string {
  return text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
}

export type MentionRequest =
  | { ok: true; options: OptionsInput; mode: Mode; contentFile?: SlackFile; styleFile?: SlackFile }
  | { ok: false; reason: string };

export function readMention(text: string, files: readonly SlackFile[], adminDefaults: OptionsInput): MentionRequest {
  let options: OptionsInput;
  let mode: Mode;
  try {
    options = parseOptionWords(mentionText(text));
    mode = resolveOptions(options, adminDefaults).mode;
  } catch (e) {
    return { ok: false, reason: `${(e as Error).message}\n${MENTION_USAGE}` };
  }
  // Named library styles (style=…) stand in for the style image, or join an attached one in the blend.
  const named = options.styleName !== undefined;
  if (files.length === 0 && !(named && mode === 'texture')) return { ok: false, reason: MENTION_USAGE };
  if (named && mode !== 'reconstruct') {
    if (mode === 'transfer' && files.length <= 2) return { ok: true, options, mode, contentFile: files[0], ...(files[1] ? { styleFile: files[1] } : {}) };
    if (mode === 'texture' && files.length <= 1) return { ok: true, options, mode, ...(files[0] ? { styleFile: files[0] } : {}) };
    return { ok: false, reason: `With style= the message takes the content image${mode === 'texture' ? '' : ' first'} and at most one style image; it has ${files.length}.` };
  }
  if (mode === 'transfer') {
    if (files.length !== 2) {
      return { ok: false, reason: `Style transfer needs exactly two images (content first, then style); this message has ${files.length}. Say \`texture\` to synthesise a texture from one style image.` };
    }
    return { ok: true, options, mode, contentFile: files[0], styleFile: files[1] };
  }
  if (files.length !== 1) {
    return { ok: false, reason: `Mode ${mode} uses one image (the ${mode === 'texture' ? 'style' : 'content'}); this message has ${files.length}.` };
  }
  return mode === 'texture' ? { ok: true, options, mode, styleFile: files[0] } : { ok: true, options, mode, contentFile: files[0] };
}
