import { describe, expect, it } from 'vitest';
import {
  BASE_DEFAULTS,
  OPTION_SPECS,
  OptionsError,
  PRESET_VALUES,
  VGG_LAYER_NAMES,
  canonicalLayer,
  colorsOf,
  optionSpec,
  parseOption,
  parseOptionsInput,
  resolveOptions,
  type StyleOptions,
} from '../src/options.ts';
import { parseOptionWords } from '../src/chat/chat-options.ts';
import { findOptionSpec } from '../src/option-names.ts';

describe('layer names', () => {
  it('lists VGG-19 in network order: 16 convs, 16 relus, 5 pools', () => {
    expect(VGG_LAYER_NAMES.filter((n) => n.startsWith('conv'))).toHaveLength(16);
    expect(VGG_LAYER_NAMES.filter((n) => n.startsWith('relu'))).toHaveLength(16);
    expect(VGG_LAYER_NAMES.filter((n) => n.startsWith('pool'))).toHaveLength(5);
    expect(VGG_LAYER_NAMES.indexOf('relu4_2')).toBeGreaterThan(VGG_LAYER_NAMES.indexOf('pool3'));
    expect(VGG_LAYER_NAMES.at(-1)).toBe('pool5');
  });

  it('maps the tutorial conv_N names to the N-th conv', () => {
    expect(canonicalLayer('conv_1')).toBe('conv1_1');
    expect(canonicalLayer('conv_2')).toBe('conv1_2');
    expect(canonicalLayer('conv_3')).toBe('conv2_1');
    expect(canonicalLayer('conv_5')).toBe('conv3_1');
    expect(canonicalLayer('conv_16')).toBe('conv5_4');
    expect(() => canonicalLayer('conv_17')).toThrow(/conv_16/);
    expect(() => canonicalLayer('relu6_1')).toThrow(/unknown layer/);
  });
});

describe('resolveOptions', () => {
  it('defaults to the gatys preset', () => {
    const o = resolveOptions();
    expect(o.preset).toBe('gatys');
    expect(o.contentLayers).toEqual(['relu4_2']);
    expect(o.styleLayers).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1']);
    expect(o.init).toBe('content');
    expect(o.size).toBe(BASE_DEFAULTS.size);
  });

  it('expands the seed preset (conv_2 / conv_1+conv_2, 1 / 1e6, noise)', () => {
    const o = resolveOptions({ preset: 'seed' });
    expect(o).toMatchObject({ contentLayers: ['conv1_2'], styleLayers: ['conv1_1', 'conv1_2'], contentWeight: 1, styleWeight: 1e6, init: 'noise' });
  });

  it('lets explicit options override a preset, and parses CLI strings', () => {
    const o = resolveOptions({ preset: 'tutorial', styleLayers: 'conv_1, relu2_1', styleWeight: '1000', steps: '7' });
    expect(o.contentLayers).toEqual(PRESET_VALUES.tutorial.contentLayers);
    expect(o.styleLayers).toEqual(['conv1_1', 'relu2_1']);
    expect(o.styleWeight).toBe(1000);
    expect(o.steps).toBe(7);
  });

  it('applies admin defaults below explicit user options', () => {
    const o = resolveOptions({ steps: 20 }, { steps: 100, size: 256, preset: 'seed' });
    expect(o.steps).toBe(20);
    expect(o.size).toBe(256);
    expect(o.preset).toBe('seed');
    expect(o.init).toBe('noise');
  });

  it("drops an admin's layer defaults when the user picks a preset", () => {
    const o = resolveOptions({ preset: 'gatys' }, { contentLayers: 'conv_1' });
    expect(o.contentLayers).toEqual(['relu4_2']);
    expect(resolveOptions({}, { contentLayers: 'conv_1' }).contentLayers).toEqual(['conv1_1']);
  });

  it('starts texture and reconstruction from noise unless init is explicit', () => {
    expect(resolveOptions({ mode: 'texture' }).init).toBe('noise');
    expect(resolveOptions({ mode: 'reconstruct' }).init).toBe('noise');
    expect(resolveOptions({ mode: 'reconstruct', init: 'image' }).init).toBe('image');
    expect(resolveOptions({ mode: 'transfer' }).init).toBe('content');
  });

  it('refuses bad values with a one-line message naming the flag', () => {
    expect(() => resolveOptions({ size: 5 })).toThrow(new OptionsError('size: got 5, expected a whole number from 16 to 4096'));
    expect(() => resolveOptions({ mode: 'paint' })).toThrow(/mode: got "paint", expected one of transfer, texture, reconstruct/);
    expect(() => resolveOptions({ steps: 1.5 })).toThrow(/steps/);
    expect(() => resolveOptions({ styleLayers: 'relu9_9' })).toThrow(/style-layers: .*unknown layer "relu9_9"/);
    expect(() => resolveOptions({ styleBlend: '1,-1' })).toThrow(/style-blend/);
    expect(() => resolveOptions({ styleBlend: '0,0' })).toThrow(/must not all be 0/);
    expect(() => resolveOptions({ colour: 'red' } as never)).toThrow(/unknown option "colour"/);
    for (const e of [() => resolveOptions({ lr: 'x' })]) expect(e).toThrow(/^lr: /);
  });

  it('parses booleans the way chat and CLI write them', () => {
    expect(parseOption('originalColors', 'yes')).toBe(true);
    expect(parseOption('originalColors', 'false')).toBe(false);
    expect(parseOption('originalColors', true)).toBe(true);
    expect(() => parseOption('originalColors', 'maybe')).toThrow(/original-colors/);
  });

  it('has a flag and a description for every option, chat names unique', () => {
    const chat = OPTION_SPECS.flatMap((s) => (s.chat ? [s.chat] : []));
    expect(new Set(chat).size).toBe(chat.length);
    for (const s of OPTION_SPECS) {
      expect(s.flag).toMatch(/^[a-z][a-z-]*$/);
      expect(s.description.length).toBeGreaterThan(5);
    }
  });
});

describe('colors and its old name original_colors', () => {
  it('defaults to the painting\'s colours and takes keep and palette', () => {
    expect(resolveOptions().colors).toBe('style');
    expect(resolveOptions({ colors: 'keep' }).colors).toBe('keep');
    expect(resolveOptions({ colors: 'palette' }).colors).toBe('palette');
    expect(() => resolveOptions({ colors: 'sepia' })).toThrow(new OptionsError('colors: got "sepia", expected one of style, keep, palette'));
  });

  it('folds originalColors into colors in each layer; resolved options never hold it', () => {
    expect(resolveOptions({ originalColors: 'yes' })).toMatchObject({ colors: 'keep' });
    expect(resolveOptions({ originalColors: true })).not.toHaveProperty('originalColors');
    expect(resolveOptions({ originalColors: false }).colors).toBe('style');
    expect(parseOptionsInput({ originalColors: 'on' })).toEqual({ colors: 'keep' });
    // An admin default stored under the old name still applies, and the user's colors still wins.
    expect(resolveOptions({}, { originalColors: true }).colors).toBe('keep');
    expect(resolveOptions({ colors: 'palette' }, { originalColors: true }).colors).toBe('palette');
    expect(resolveOptions({ originalColors: false }, { colors: 'palette' }).colors).toBe('style');
  });

  it('accepts both names when they agree and refuses them when they do not', () => {
    expect(resolveOptions({ colors: 'keep', originalColors: true }).colors).toBe('keep');
    expect(resolveOptions({ colors: 'palette', originalColors: false }).colors).toBe('palette');
    expect(() => resolveOptions({ colors: 'palette', originalColors: true })).toThrow(
      new OptionsError('original-colors: it is the old name of colors keep, and true disagrees with colors palette; give colors only'),
    );
    expect(() => resolveOptions({ colors: 'keep', originalColors: false })).toThrow(/false disagrees with colors keep/);
  });

  it('reads the colour mode of options stored before colors existed', () => {
    const stored = { ...resolveOptions(), originalColors: true } as Partial<StyleOptions>;
    delete stored.colors;
    expect(colorsOf(stored as StyleOptions)).toBe('keep');
    expect(colorsOf({ ...stored, originalColors: false } as StyleOptions)).toBe('style');
    expect(colorsOf(resolveOptions({ colors: 'palette' }))).toBe('palette');
  });

  it('marks original-colors as an alias of colors, so forms can offer colors alone', () => {
    expect(optionSpec('originalColors').aliasOf).toBe('colors');
    expect(OPTION_SPECS.filter((s) => s.aliasOf).map((s) => s.key)).toEqual(['originalColors']);
    expect(optionSpec('colors')).toMatchObject({ flag: 'colors', chat: 'colors', kind: 'enum', admin: true });
  });
});

describe('style_name', () => {
  it('parses names and weights through the one style-name parser', () => {
    expect(resolveOptions({ styleName: 'starry-night:3 scream' }).styleName).toEqual([
      { name: 'starry-night', weight: 3 },
      { name: 'scream', weight: 1 },
    ]);
    expect(parseOption('styleName', [{ name: 'scream', weight: 2 }])).toEqual([{ name: 'scream', weight: 2 }]);
    expect(resolveOptions().styleName).toBeUndefined();
    expect(optionSpec('styleName')).toMatchObject({ flag: 'style-name', chat: 'style_name', admin: false });
  });

  it("gives the parser's message after the option name", () => {
    expect(() => parseOption('styleName', 'Scream')).toThrow(/^style-name: style name "Scream" is not valid: .*\(did you mean "scream"\?\)$/);
    expect(() => resolveOptions({ styleName: 'scream scream' })).toThrow(
      new OptionsError('style-name: style "scream" is named twice: give it once, with the weight you want (scream:2)'),
    );
  });

  it('is read from chat words too', () => {
    expect(parseOptionWords('style_name=starry-night:3,scream:1 steps=5')).toEqual({
      styleName: [
        { name: 'starry-night', weight: 3 },
        { name: 'scream', weight: 1 },
      ],
      steps: 5,
    });
    expect(parseOptionWords('original_colors=yes')).toEqual({ originalColors: true });
    expect(parseOptionWords('colors=palette')).toEqual({ colors: 'palette' });
  });
});

describe('chat option words', () => {
  it('reads modes, presets and key=value words through the schema', () => {
    expect(parseOptionWords('please do texture steps=30 size=64 strength=5e5 preset=seed')).toEqual({
      mode: 'texture',
      steps: 30,
      size: 64,
      styleWeight: 5e5,
      preset: 'seed',
    });
    expect(() => parseOptionWords('steps=lots')).toThrow(/steps: got "lots"/);
    expect(() => parseOptionWords('colour=red')).toThrow(/unknown option "colour"/);
  });

  it('finds options by chat name, flag or key', () => {
    expect(findOptionSpec('strength')?.key).toBe('styleWeight');
    expect(findOptionSpec('style-weight')?.key).toBe('styleWeight');
    expect(findOptionSpec('original_colors')?.key).toBe('originalColors');
    expect(findOptionSpec('nope')).toBeUndefined();
  });
});
