// The modal is generated from CHAT_OPTION_SPECS and read back through the options schema. The fake
// Slack's view checker and form filler stand in for Slack's own validation and client.
import { describe, expect, it } from 'vitest';
import { CHAT_OPTION_SPECS } from '../../src/chat/chat-options.ts';
import { buildStylizeModal, optionBlockId, readStylizeModal, requiredImages } from '../../src/slack/modal.ts';
import { DEFAULT_SLACK_CONFIG } from '../../src/slack/adapter-config.ts';
import { fillModalView, validateModalView, type ModalAnswer } from '../../scripts/lib/fakes/slack/modal-ui.ts';
import type { FakeFile } from '../../scripts/lib/fakes/slack/types.ts';

function file(name: string, extra: Partial<FakeFile> = {}): FakeFile {
  return { id: `F${name.length}${name.charCodeAt(0)}`, name, title: name, mimetype: 'image/png', filetype: 'png', size: 1000, bytes: Buffer.alloc(0), user: 'U1', ...extra };
}

const fileObject = (f: FakeFile) => ({ id: f.id, name: f.name, mimetype: f.mimetype, filetype: f.filetype, size: f.size, url_private: `https://files.slack.com/${f.id}`, original_w: f.original_w, original_h: f.original_h });

function submit(answers: Record<string, ModalAnswer>, adminDefaults = {}) {
  const view = buildStylizeModal({ channel: 'C1', threadTs: '1.2' }, adminDefaults) as unknown as Record<string, unknown>;
  const values = fillModalView(view, answers, fileObject);
  return readStylizeModal({ private_metadata: view.private_metadata as string, state: { values } }, adminDefaults, DEFAULT_SLACK_CONFIG);
}

describe('the /stylize modal', () => {
  it('passes Slack’s view checks and has one input per chat option', () => {
    const view = buildStylizeModal({ channel: 'C1' }) as unknown as Record<string, unknown>;
    expect(validateModalView(view)).toEqual([]);
    const ids = (view.blocks as { block_id: string }[]).map((b) => b.block_id);
    expect(ids).toEqual(['content', 'style', ...CHAT_OPTION_SPECS.map(optionBlockId)]);
    // init=image would need a third upload; the form does not offer it.
    const init = (view.blocks as { block_id: string; element: { options?: { value: string }[] } }[]).find((b) => b.block_id === 'opt_init')!;
    expect(init.element.options!.map((o) => o.value)).toEqual(['noise', 'content', 'style']);
  });

  it('shows the workspace defaults as placeholders', () => {
    const view = buildStylizeModal({ channel: 'C1' }, { steps: 200, preset: 'seed' });
    const block = (key: string) => view.blocks.find((b) => b.block_id === optionBlockId(CHAT_OPTION_SPECS.find((s) => s.key === key)!)) as { element: { placeholder?: { text: string } } };
    expect(block('steps').element.placeholder?.text).toBe('default: 200');
    expect(block('preset').element.placeholder?.text).toBe('default: seed');
    expect(block('size').element.placeholder?.text).toBe('default: 512');
  });

  it('reads a filled form into validated options and files', () => {
    const r = submit({ content: [file('c.png')], style: [file('s.png')], opt_mode: 'transfer', opt_steps: 50, opt_size: 256, opt_styleWeight: '1e5', opt_colors: 'keep', opt_seed: 7 });
    expect(r.errors).toEqual({});
    expect(r.metadata).toEqual({ channel: 'C1', threadTs: '1.2' });
    expect(r.options).toEqual({ mode: 'transfer', steps: 50, size: 256, styleWeight: 100000, colors: 'keep', seed: 7 });
    expect(r.contentFile?.name).toBe('c.png');
    expect(r.styleFile?.name).toBe('s.png');
  });

  it('offers the library in a select beside the style picker; a picked style joins the names written, in place of a style image', () => {
    const view = buildStylizeModal({ channel: 'C1' }, {}, ['starry-night', 'scream', 'waves']) as unknown as Record<string, unknown>;
    expect(validateModalView(view)).toEqual([]);
    expect((view.blocks as { block_id: string }[]).map((b) => b.block_id).slice(0, 3)).toEqual(['content', 'style', 'style_library']);
    const values = fillModalView(view, { content: [file('c.png')], style_library: 'scream', opt_styleName: 'starry-night:3' }, fileObject);
    const r = readStylizeModal({ private_metadata: view.private_metadata as string, state: { values } }, {}, DEFAULT_SLACK_CONFIG);
    expect(r.errors).toEqual({});
    expect(r.options.styleName).toEqual([{ name: 'starry-night', weight: 3 }, { name: 'scream', weight: 1 }]);
    expect(r.styleFile).toBeUndefined();
    // Without a style image or a library style, a transfer still asks for one.
    const none = fillModalView(view, { content: [file('c.png')] }, fileObject);
    expect(readStylizeModal({ private_metadata: view.private_metadata as string, state: { values: none } }, {}, DEFAULT_SLACK_CONFIG).errors.style).toMatch(/needs a style image or a library style/);
  });

  it('leaves untouched fields to the defaults', () => {
    const r = submit({ content: [file('c.png')], style: [file('s.png')] });
    expect(r.errors).toEqual({});
    expect(r.options).toEqual({});
  });

  it('asks for the images the mode needs, taking the mode from the form or the workspace default', () => {
    expect(submit({}).errors).toEqual({ content: expect.stringMatching(/Mode transfer needs a content image/), style: expect.stringMatching(/needs a style image/) });
    expect(submit({ style: [file('s.png')], opt_mode: 'texture' }).errors).toEqual({});
    expect(submit({ content: [file('c.png')], opt_mode: 'reconstruct' }).errors).toEqual({});
    expect(submit({ content: [file('c.png')] }, { mode: 'reconstruct' }).errors).toEqual({});
    expect(requiredImages('texture')).toEqual({ content: false, style: true });
  });

  it('puts each bad value on its own block', () => {
    const r = submit({ content: [file('c.png')], style: [file('s.png')], opt_styleWeight: '-3' });
    expect(Object.keys(r.errors)).toEqual(['opt_styleWeight']);
    expect(r.errors.opt_styleWeight).toBe('style-weight: got "-3", expected a number from 0 to 1000000000000');
  });

  it('refuses a non-image, an oversized file and too many pixels from the file object', () => {
    const pdf = file('doc.png', { mimetype: 'application/pdf' });
    const big = file('big.png', { size: 11 * 1024 * 1024 });
    const wide = file('wide.png', { original_w: 10000, original_h: 3000 });
    expect(submit({ content: [pdf], style: [big] }).errors).toEqual({
      content: 'The content image "doc.png" is not an image (application/pdf): attach a PNG, JPEG, WebP or GIF.',
      style: 'The style image "big.png" is 11 MB; the limit is 10 MB.',
    });
    expect(submit({ content: [wide], style: [file('s.png')] }).errors.content).toBe(
      'The content image "wide.png" is 10000×3000 px (30 megapixels); the limit is 25 megapixels.',
    );
  });

  it('is refused by the Slack client itself for what the elements forbid', () => {
    expect(() => submit({ content: [file('a.pdf', { filetype: 'pdf' })] })).toThrow(/does not accept .pdf/);
    expect(() => submit({ opt_steps: 20000 })).toThrow(/not a valid number/);
    expect(() => submit({ opt_steps: 2.5 })).toThrow(/not a valid number/);
    expect(() => submit({ opt_mode: 'watercolour' })).toThrow(/not an option/);
  });

  it('loses no channel: a form without private_metadata is reported', () => {
    const view = buildStylizeModal({ channel: 'C1' }) as unknown as Record<string, unknown>;
    const values = fillModalView(view, { content: [file('c.png')], style: [file('s.png')] }, fileObject);
    expect(readStylizeModal({ state: { values } }, {}, DEFAULT_SLACK_CONFIG).metadata).toBeUndefined();
  });
});
