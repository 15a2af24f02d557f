import { describe, expect, it } from 'vitest';
import { parseCliArgs, type RunArgs } from '../../src/cli/args.ts';
import { UsageError } from '../../src/cli/errors.ts';
import { OPTION_SPECS, PRESET_VALUES, parseOption, resolveOptions, type OptionSpec } from '../../src/options.ts';
import { BUILTIN_STYLES } from '../../src/styles/builtin.ts';

const BASE = ['--content', 'c.jpg', '--style', 's.jpg'];

function run(...argv: string[]): RunArgs {
  const r = parseCliArgs(argv);
  if (r.command !== 'run') throw new Error(`expected a run, got ${r.command}`);
  return r;
}

/** The message of the UsageError that parsing `argv` throws. */
function usageError(...argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

/** A valid value for a spec that differs from its default where possible. */
function sampleValue(spec: OptionSpec): string | undefined {
  if (spec.key === 'styleName') return 'scream:2';
  switch (spec.kind) {
    case 'enum':
      return spec.choices!.at(-1)!;
    case 'int':
      return String(spec.max);
    case 'number':
      return String(spec.min! + (spec.max! - spec.min!) / 4);
    case 'layers':
      return 'relu3_1,conv_2';
    case 'numbers':
      return '2';
    case 'boolean':
      return undefined;
    case 'string':
      return 'x';
  }
}

describe('parseCliArgs: option flags from OPTION_SPECS', () => {
  it.each(OPTION_SPECS.map((s) => [s.flag, s] as const))('--%s sets its option', (_flag, spec) => {
    const value = sampleValue(spec);
    // --init image needs --init-image, texture/reconstruct need other inputs: give everything.
    const argv = [...BASE, '--init-image', 'i.png', `--${spec.flag}`, ...(value === undefined ? [] : [value])];
    if (spec.key === 'init') argv.splice(argv.indexOf('--init-image'), 2, ...(value === 'image' ? ['--init-image', 'i.png'] : []));
    const r = run(...argv);
    const expected = value === undefined ? true : parseOption(spec.key, value);
    // An old name (--original-colors) sets the option it names, never itself.
    if (spec.aliasOf) expect(r.options).not.toHaveProperty(spec.key);
    expect(r.options[spec.aliasOf ?? spec.key]).toEqual(spec.key === 'originalColors' ? 'keep' : expected);
  });

  it('defaults to the gatys preset, transfer mode, out.png', () => {
    const r = run(...BASE);
    expect(r.options).toEqual(resolveOptions({}));
    expect(r).toMatchObject({ content: 'c.jpg', styles: ['s.jpg'], output: 'out.png', initImage: undefined, weights: undefined });
  });

  it('parses the documented example exactly', () => {
    const r = run(
      '--content', 'c.jpg', '--style', 's.jpg', '--size', '64', '--steps', '10', '--content-layers', 'conv_4',
      '--style-layers', 'relu1_1, relu2_1', '--content-weight', '5', '--style-weight', '1e4', '--tv-weight', '0.001',
      '--optimizer', 'adam', '--lr', '0.05', '--lbfgs-history', '7', '--style-scale', '0.5', '--pooling', 'avg',
      '--seed', '42', '--print-every', '5', '--save-every', '3', '--mode', 'transfer', '--init', 'noise',
    );
    expect(r.options).toMatchObject({
      size: 64, steps: 10, contentLayers: ['conv2_2'], styleLayers: ['relu1_1', 'relu2_1'], contentWeight: 5,
      styleWeight: 1e4, tvWeight: 0.001, optimizer: 'adam', lr: 0.05, lbfgsHistory: 7, styleScale: 0.5,
      pooling: 'avg', seed: 42, printEvery: 5, saveEvery: 3, mode: 'transfer', init: 'noise',
    });
  });

  it('lets explicit flags override the preset, whatever their order', () => {
    const r = run(...BASE, '--content-layers', 'relu2_2', '--preset', 'seed', '--style-weight', '7');
    expect(r.options.preset).toBe('seed');
    expect(r.options.contentLayers).toEqual(['relu2_2']);
    expect(r.options.styleWeight).toBe(7);
    expect(r.options.styleLayers).toEqual(PRESET_VALUES.seed.styleLayers);
  });

  it('takes the last value of a repeated option flag', () => {
    expect(run(...BASE, '--steps', '5', '--steps=9').options.steps).toBe(9);
  });

  it('accepts --original-colors, --original-colors=false/true and --no-original-colors as the old name of --colors keep/style, last one wins', () => {
    const colors = (...argv: string[]) => run(...BASE, ...argv).options.colors;
    expect(colors()).toBe('style');
    expect(colors('--original-colors')).toBe('keep');
    expect(colors('--original-colors=false')).toBe('style');
    expect(colors('--original-colors=TRUE')).toBe('keep');
    expect(colors('--original-colors', '--original-colors=no')).toBe('style');
    expect(colors('--no-original-colors', '--original-colors')).toBe('keep');
    expect(colors('--original-colors', '--no-original-colors')).toBe('style');
    expect(run(...BASE, '--original-colors').options).not.toHaveProperty('originalColors');
  });

  it('takes --colors and --original-colors as one setting: the later flag wins', () => {
    const colors = (...argv: string[]) => run(...BASE, ...argv).options.colors;
    expect(colors('--colors', 'palette')).toBe('palette');
    expect(colors('--colors', 'keep')).toBe('keep');
    expect(colors('--original-colors', '--colors', 'palette')).toBe('palette');
    expect(colors('--colors', 'palette', '--original-colors')).toBe('keep');
    expect(colors('--colors=palette', '--no-original-colors')).toBe('style');
    expect(usageError(...BASE, '--colors', 'sepia')).toBe('--colors: got "sepia", expected one of style, keep, palette');
  });
});

describe('parseCliArgs: built-in styles by name', () => {
  const builtin = (name: string) => BUILTIN_STYLES.find((s) => s.name === name)!.file;

  it('adds the named built-ins after the --style files, with the weights of the blend', () => {
    const r = run('--content', 'c.jpg', '--style-name', 'starry-night:3 scream');
    expect(r.styles).toEqual([builtin('starry-night'), builtin('scream')]);
    expect(r.options.styleName).toEqual([{ name: 'starry-night', weight: 3 }, { name: 'scream', weight: 1 }]);
    expect(r.options.styleBlend).toEqual([3, 1]);
  });

  it('blends an attached --style file (weight 1, or its --style-blend weight) with the names', () => {
    const r = run(...BASE, '--style-name', 'shipwreck:2,woman-with-hat:0.5');
    expect(r.styles).toEqual(['s.jpg', builtin('shipwreck'), builtin('woman-with-hat')]);
    expect(r.options.styleBlend).toEqual([1, 2, 0.5]);
    const weighted = run('--content', 'c.jpg', '--style', 'a.jpg,b.jpg', '--style-blend', '4,0', '--style-name', 'scream');
    expect(weighted.styles).toEqual(['a.jpg', 'b.jpg', builtin('scream')]);
    expect(weighted.options.styleBlend).toEqual([4, 0, 1]);
  });

  it('leaves runs without names as they were', () => {
    const r = run(...BASE);
    expect(r.styles).toEqual(['s.jpg']);
    expect(r.options.styleBlend).toBeUndefined();
    expect(r.options.styleName).toBeUndefined();
  });

  it('lets a named style stand in for --style in texture mode and for --init style', () => {
    expect(run('--mode', 'texture', '--style-name', 'scream').styles).toEqual([builtin('scream')]);
    expect(run('--mode', 'reconstruct', '--content', 'c.jpg', '--init', 'style', '--style-name', 'scream').options.init).toBe('style');
  });

  it('refuses an unknown name listing the built-ins, and a badly written one saying the rule', () => {
    expect(usageError('--content', 'c.jpg', '--style-name', 'screem')).toBe(
      '--style-name: no built-in style "screem" (did you mean "scream"?); available: starry-night, scream, shipwreck, woman-with-hat (the CLI has the built-ins only)',
    );
    expect(usageError('--content', 'c.jpg', '--style-name', 'mona-lisa')).toBe(
      '--style-name: no built-in style "mona-lisa"; available: starry-night, scream, shipwreck, woman-with-hat (the CLI has the built-ins only)',
    );
    expect(usageError('--content', 'c.jpg', '--style-name', 'Starry-Night')).toMatch(
      /^--style-name: style name "Starry-Night" is not valid: use lower-case letters, digits and "-" .*\(did you mean "starry-night"\?\)$/,
    );
    expect(usageError('--content', 'c.jpg', '--style-name', 'scream:lots')).toBe('--style-name: style "scream": weight "lots" must be a number from 0 to 1000, as in scream:2');
    expect(usageError('--content', 'c.jpg', '--style-name', 'scream:0')).toBe('--style-name: the style weights must not all be 0');
  });

  it('keeps --style-blend for the --style files and says where the names\' weights go', () => {
    expect(usageError(...BASE, '--style-blend', '1,2', '--style-name', 'scream')).toBe(
      '--style-blend has 2 weights for 1 style image; weigh the --style-name styles in the name, e.g. --style-name "starry-night:3 scream:1"',
    );
  });
});

describe('parseCliArgs: files and CLI flags', () => {
  it('collects repeated and comma-separated --style values in order', () => {
    const r = run('--content', 'c.jpg', '--style', 'a.jpg,b.jpg', '--style=c.jpg', '--style', ' d.jpg , ');
    expect(r.styles).toEqual(['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']);
  });

  it('keeps an existing file whose name contains a comma whole', () => {
    // package.json exists in the repo (the test cwd); "package.json,x" does not, so it is split.
    expect(run('--content', 'c', '--style', 'package.json,x').styles).toEqual(['package.json', 'x']);
  });

  it('passes --style-blend when it has one weight per style image', () => {
    const r = run('--content', 'c', '--style', 'a,b', '--style-blend', '3,1');
    expect(r.options.styleBlend).toEqual([3, 1]);
  });

  it('reads -o/--output, --weights, --backend, --log-json, --init-image', () => {
    const r = run(...BASE, '-o', 'x.png', '--weights', 'w.safetensors', '--backend', 'wasm', '--log-json', 'l.jsonl', '--init-image', 'i.jpg');
    expect(r).toMatchObject({ output: 'x.png', weights: 'w.safetensors', backend: 'wasm', logJson: 'l.jsonl', initImage: 'i.jpg' });
    // --init-image alone selects --init image.
    expect(r.options.init).toBe('image');
    expect(run(...BASE, '--output=y.webp').output).toBe('y.webp');
    expect(run(...BASE, '-oz.jpg').output).toBe('z.jpg');
  });

  it('answers --help and --version before checking inputs', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['-h', '--steps', '3'])).toEqual({ command: 'help' });
    expect(parseCliArgs(['--version'])).toEqual({ command: 'version' });
  });

  it('needs only what each mode uses', () => {
    expect(run('--mode', 'texture', '--style', 's').options.init).toBe('noise');
    expect(run('--mode', 'reconstruct', '--content', 'c').options.init).toBe('noise');
  });
});

describe('parseCliArgs: bad input is one exact line', () => {
  it.each([
    [['--steps', 'abc'], '--steps: got "abc", expected a whole number from 0 to 10000'],
    [['--size', '8'], '--size: got "8", expected a whole number from 16 to 4096'],
    [['--steps', '2.5'], '--steps: got "2.5", expected a whole number from 0 to 10000'],
    [['--mode', 'paint'], '--mode: got "paint", expected one of transfer, texture, reconstruct'],
    [['--lr', '0'], '--lr: got "0", expected a number from 0.000001 to 10'],
    [['--style-layers', 'relu9_1'], '--style-layers: got "relu9_1", expected unknown layer "relu9_1": use conv1_1…conv5_4, relu1_1…relu5_4, pool1…pool5 or conv_1…conv_16'],
    [['--style-blend', 'a'], '--style-blend: got "a", expected must be a comma-separated list of non-negative numbers'],
    [['--original-colors=maybe'], '--original-colors: got "maybe", expected true or false'],
    [['--steps', '-5'], '--steps: write a value starting with "-" as --steps=-5'],
    [['--steps=-5'], '--steps: got "-5", expected a whole number from 0 to 10000'],
    [['--steps'], '--steps needs a value'],
    [['--steps', '--size', '32'], '--steps needs a value'],
    [['--help=yes'], '--help takes no value'],
    [['--stlye', 'x'], 'unknown option --stlye (did you mean --style?)'],
    [['--content-layer', 'x'], 'unknown option --content-layer (did you mean --content-layers?)'],
    [['-style_weight', '5'], 'unknown option -style_weight (did you mean --style-weight?)'],
    [['--frobnicate'], 'unknown option --frobnicate'],
    [['-x'], 'unknown option -x'],
    [['photo.jpg'], 'unexpected argument "photo.jpg" (give images with --content and --style)'],
    [['--backend', 'gpu'], '--backend: got "gpu", expected one of auto, onnx-cuda, native-gpu, onnx-webgpu, onnx-cpu, native-cpu, wasm, cpu'],
    [['-o', 'out.gif'], '--output: cannot write ".gif" images; name the file .png, .jpg or .webp'],
    [['-o', 'out'], '--output: cannot write "no extension" images; name the file .png, .jpg or .webp'],
  ])('%j → %s', (extra, message) => {
    expect(usageError(...BASE, ...extra)).toBe(message);
  });

  it.each([
    [[], 'transfer mode needs --content and --style or --style-name (missing --content and --style)'],
    [['--content', 'c'], 'transfer mode needs --content and --style or --style-name (missing --style)'],
    [['--style', 's'], 'transfer mode needs --content and --style or --style-name (missing --content)'],
    [['--mode', 'texture', '--content', 'c'], '--mode texture needs --style or --style-name'],
    [['--mode', 'reconstruct', '--style', 's'], '--mode reconstruct needs --content'],
    [['--mode', 'texture', '--style', 's', '--init', 'content'], '--init content needs --content'],
    [['--mode', 'reconstruct', '--content', 'c', '--init', 'style'], '--init style needs --style or --style-name'],
    [[...BASE, '--init', 'image'], '--init image needs --init-image FILE'],
    [[...BASE, '--init-image', 'i.png', '--init', 'noise'], '--init-image is only used with --init image (got --init noise)'],
    [[...BASE, '--style-blend', '1,2'], '--style-blend has 2 weights for 1 style image'],
    [['--content', 'c', '--style', 'a,b', '--style-blend', '0,0'], '--style-blend: the weights must not all be 0'],
    [[...BASE, '--content='], '--content needs a file name'],
  ])('inputs %j → %s', (argv, message) => {
    expect(usageError(...argv)).toBe(message);
  });

  it('refuses out-of-range values of every bounded option', () => {
    for (const spec of OPTION_SPECS.filter((s) => s.max !== undefined)) {
      const tooBig = String(spec.max! * 10 + 1);
      expect(usageError(...BASE, `--${spec.flag}=${tooBig}`)).toMatch(new RegExp(`^--${spec.flag}: got "${tooBig}", expected .* to ${spec.max}$`));
    }
  });
});
