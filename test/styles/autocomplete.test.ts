import { describe, expect, it } from 'vitest';
import { MAX_SUGGESTION_LENGTH, MAX_SUGGESTIONS, styleNameSuggestions } from '../../src/styles/autocomplete.ts';
import { BUILTIN_STYLE_NAMES } from '../../src/styles/builtin.ts';
import { parseStyleNames } from '../../src/styles/style-names.ts';

const NAMES = [...BUILTIN_STYLE_NAMES, 'scream-blue', 'night-harbour'];

describe('styleNameSuggestions', () => {
  it('offers every name for an empty value, in library order', () => {
    expect(styleNameSuggestions('', NAMES)).toEqual(NAMES);
  });

  it('puts names starting with the typed word before names containing it', () => {
    expect(styleNameSuggestions('scr', NAMES)).toEqual(['scream', 'scream-blue']);
    expect(styleNameSuggestions('night', NAMES)).toEqual(['night-harbour', 'starry-night']);
    expect(styleNameSuggestions('SHIP', NAMES)).toEqual(['shipwreck']);
    expect(styleNameSuggestions('zzz', NAMES)).toEqual([]);
  });

  it('completes the last word of a blend, keeping the words before and leaving out names already used', () => {
    expect(styleNameSuggestions('starry-night:3 scr', NAMES)).toEqual(['starry-night:3 scream', 'starry-night:3 scream-blue']);
    expect(styleNameSuggestions('scream, ', NAMES)).toEqual(['scream starry-night', 'scream shipwreck', 'scream woman-with-hat', 'scream scream-blue', 'scream night-harbour']);
    // Every suggestion is a value the one parser accepts.
    for (const v of styleNameSuggestions('starry-night:3 ', NAMES)) expect(() => parseStyleNames(v)).not.toThrow();
  });

  it('offers a weight being typed only for a name that exists', () => {
    expect(styleNameSuggestions('scream:2', NAMES)).toEqual(['scream:2']);
    expect(styleNameSuggestions('shipwreck scream:0.5', NAMES)).toEqual(['shipwreck scream:0.5']);
    expect(styleNameSuggestions('screm:2', NAMES)).toEqual([]);
  });

  it("keeps to Discord's limits: 25 choices of at most 100 characters", () => {
    const many = Array.from({ length: 40 }, (_, i) => `style-${i}`);
    expect(styleNameSuggestions('style', many)).toHaveLength(MAX_SUGGESTIONS);
    const long = Array.from({ length: 4 }, (_, i) => `${'x'.repeat(30)}-${i}`); // 32 characters each
    const typed = `${long[0]} ${long[1]} ${long[2]} `; // 99 characters
    const values = styleNameSuggestions(typed, [...long, 'z']);
    expect(values).toEqual([`${typed}z`]);
    expect(values.every((v) => v.length <= MAX_SUGGESTION_LENGTH)).toBe(true);
  });
});
