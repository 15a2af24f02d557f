import { describe, expect, it } from 'vitest';
import {
  MAX_BLEND_STYLES,
  STYLE_NAME_MAX_LENGTH,
  StyleNameError,
  formatStyleNames,
  parseStyleNames,
  validateStyleName,
} from '../../src/styles/style-names.ts';

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StyleNameError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    return m;
  }
  throw new Error('no error');
}

describe('validateStyleName', () => {
  it('accepts lower-case letters, digits and inner "-" up to 32 characters', () => {
    for (const name of ['scream', 'starry-night', 'a', '1905', 'x'.repeat(STYLE_NAME_MAX_LENGTH), 'blue-2-green']) {
      expect(validateStyleName(name)).toBe(name);
    }
  });

  it('refuses anything else with the rule and, where it can, the name probably meant', () => {
    expect(message(() => validateStyleName('Starry Night'))).toBe(
      'style name "Starry Night" is not valid: use lower-case letters, digits and "-" (at most 32 characters, not starting or ending with "-"), e.g. starry-night (did you mean "starry-night"?)',
    );
    expect(message(() => validateStyleName('scream_blue'))).toMatch(/did you mean "scream-blue"\?\)$/);
    expect(message(() => validateStyleName('-scream'))).toMatch(/^style name "-scream" is not valid: .*did you mean "scream"/);
    expect(message(() => validateStyleName('***'))).toMatch(/^style name "\*\*\*" is not valid: use lower-case letters, digits and "-" .*starry-night$/);
    expect(message(() => validateStyleName(''))).toMatch(/^a style name cannot be empty/);
    expect(message(() => validateStyleName('x'.repeat(33)))).toBe(`style name "${'x'.repeat(33)}" is 33 characters long, at most 32`);
    expect(message(() => validateStyleName('ünïcode'))).toMatch(/not valid/);
  });
});

describe('parseStyleNames', () => {
  it('reads names with optional weights, separated by spaces and/or commas', () => {
    expect(parseStyleNames('starry-night:3 scream:1')).toEqual([
      { name: 'starry-night', weight: 3 },
      { name: 'scream', weight: 1 },
    ]);
    expect(parseStyleNames('scream')).toEqual([{ name: 'scream', weight: 1 }]);
    expect(parseStyleNames(' shipwreck:0.5,scream ,  woman-with-hat:2 ')).toEqual([
      { name: 'shipwreck', weight: 0.5 },
      { name: 'scream', weight: 1 },
      { name: 'woman-with-hat', weight: 2 },
    ]);
    expect(parseStyleNames('scream:0 shipwreck')).toEqual([
      { name: 'scream', weight: 0 },
      { name: 'shipwreck', weight: 1 },
    ]);
  });

  it('reads back what formatStyleNames writes, and the parsed (stored) form', () => {
    const refs = parseStyleNames('starry-night:3 scream shipwreck:0.25');
    expect(formatStyleNames(refs)).toBe('starry-night:3 scream shipwreck:0.25');
    expect(parseStyleNames(formatStyleNames(refs))).toEqual(refs);
    expect(parseStyleNames(JSON.parse(JSON.stringify(refs)) as unknown[])).toEqual(refs);
    expect(parseStyleNames([{ name: 'scream' }])).toEqual([{ name: 'scream', weight: 1 }]);
  });

  it('refuses bad weights, repeats, empty and oversized blends with one-line messages', () => {
    expect(message(() => parseStyleNames('scream:'))).toBe('style "scream": weight "" must be a number from 0 to 1000, as in scream:2');
    expect(message(() => parseStyleNames('scream:-1'))).toMatch(/^style "scream": weight "-1" must be a number from 0 to 1000/);
    expect(message(() => parseStyleNames('scream:1e9'))).toMatch(/weight "1e9"/);
    expect(message(() => parseStyleNames('scream:NaN'))).toMatch(/weight "NaN"/);
    expect(message(() => parseStyleNames(':2'))).toMatch(/^a style name cannot be empty/);
    expect(message(() => parseStyleNames('scream scream:2'))).toBe('style "scream" is named twice: give it once, with the weight you want (scream:2)');
    expect(message(() => parseStyleNames('   '))).toMatch(/^no style name given/);
    expect(message(() => parseStyleNames('scream:0 shipwreck:0'))).toBe('the style weights must not all be 0');
    const many = Array.from({ length: MAX_BLEND_STYLES + 1 }, (_, i) => `s${i}`).join(' ');
    expect(message(() => parseStyleNames(many))).toBe(`${MAX_BLEND_STYLES + 1} styles named: a blend takes at most ${MAX_BLEND_STYLES}`);
    expect(message(() => parseStyleNames([{ name: 'Scream', weight: 1 }]))).toMatch(/^style name "Scream" is not valid/);
    expect(message(() => parseStyleNames([{ weight: 1 }]))).toMatch(/^a style in the list has no name/);
    expect(message(() => parseStyleNames([{ name: 'scream', weight: '2' }]))).toMatch(/weight "NaN"/);
  });
});
