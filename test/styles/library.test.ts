import { describe, expect, it } from 'vitest';
import {
  blendWeights,
  builtinLibrary,
  closestStyleName,
  resolveStyleRefs,
  unknownStyleMessage,
  UnknownStyleError,
  type StyleLibrary,
} from '../../src/styles/library.ts';
import { readBuiltinStyle } from '../../src/styles/builtin.ts';
import { parseStyleNames, StyleNameError } from '../../src/styles/style-names.ts';

/** A library in memory, the way a workspace's saved styles will look to the resolver. */
function memoryLibrary(styles: Record<string, Buffer>): StyleLibrary & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    names: async () => Object.keys(styles),
    read: async (name) => {
      reads.push(name);
      return styles[name];
    },
  };
}

describe('resolveStyleRefs', () => {
  it('gives the image of every named built-in, in order, with its weight', async () => {
    const resolved = await resolveStyleRefs(parseStyleNames('starry-night:3 scream'));
    expect(resolved.map((r) => [r.name, r.weight])).toEqual([
      ['starry-night', 3],
      ['scream', 1],
    ]);
    expect(resolved[1].image.equals((await readBuiltinStyle('scream'))!)).toBe(true);
    expect(await builtinLibrary.names()).toEqual(['starry-night', 'scream', 'shipwreck', 'woman-with-hat']);
  });

  it('checks every name before reading any image, and lists what there is', async () => {
    const lib = memoryLibrary({ 'blue-hour': Buffer.from('a'), scream: Buffer.from('b') });
    const e = await resolveStyleRefs(parseStyleNames('scream blue-houre'), lib).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnknownStyleError);
    expect(e).toBeInstanceOf(StyleNameError);
    expect((e as Error).message).toBe('no style "blue-houre" (did you mean "blue-hour"?); available: blue-hour, scream');
    expect((e as UnknownStyleError).styleName).toBe('blue-houre');
    expect(lib.reads).toEqual([]);
  });

  it('reports a style removed between listing and reading as unknown', async () => {
    const lib: StyleLibrary = { names: async () => ['gone', 'kept'], read: async (n) => (n === 'kept' ? Buffer.from('k') : undefined) };
    await expect(resolveStyleRefs(parseStyleNames('gone'), lib)).rejects.toThrow('no style "gone"; available: kept');
  });
});

describe('unknown-name messages', () => {
  it('suggests the closest name only when it is close', () => {
    const names = ['starry-night', 'scream', 'shipwreck', 'woman-with-hat'];
    expect(closestStyleName('screem', names)).toBe('scream');
    expect(closestStyleName('starry', names)).toBe('starry-night');
    expect(closestStyleName('woman', names)).toBe('woman-with-hat');
    expect(closestStyleName('mona-lisa', names)).toBeUndefined();
    expect(closestStyleName('s', names)).toBeUndefined();
  });

  it('clips a long list and says when there is nothing', () => {
    const many = Array.from({ length: 25 }, (_, i) => `style-${i}`);
    expect(unknownStyleMessage('zzz', many)).toBe(`no style "zzz"; available: ${many.slice(0, 20).join(', ')}, … (5 more)`);
    expect(unknownStyleMessage('zzz', [], 'saved style')).toBe('no saved style "zzz"; there are none');
  });
});

describe('blendWeights', () => {
  const refs = parseStyleNames('starry-night:3 scream:1');

  it('puts the attachments first (1 each, or their weights), then the named styles', () => {
    expect(blendWeights(0, refs)).toEqual([3, 1]);
    expect(blendWeights(1, refs)).toEqual([1, 3, 1]);
    expect(blendWeights(2, refs, [2, 0])).toEqual([2, 0, 3, 1]);
  });

  it('leaves a blend without names as it was', () => {
    expect(blendWeights(2, [])).toBeUndefined();
    expect(blendWeights(2, [], [3, 1])).toEqual([3, 1]);
  });

  it('refuses weights that do not fit the attachments, or all zero', () => {
    expect(() => blendWeights(1, refs, [1, 2])).toThrow('2 blend weights for 1 attached style image');
    expect(() => blendWeights(1, parseStyleNames('scream:0 shipwreck:1').slice(0, 1), [0])).toThrow('the style weights must not all be 0');
  });
});
