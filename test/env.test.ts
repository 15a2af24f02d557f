import { describe, expect, it } from 'vitest';
import { envNumber } from '../src/env.ts';

describe('envNumber', () => {
  it('unset or blank → undefined; a valid value → the number', () => {
    expect(envNumber({}, 'X')).toBeUndefined();
    expect(envNumber({ X: '  ' }, 'X')).toBeUndefined();
    expect(envNumber({ X: '2.5' }, 'X')).toBe(2.5);
    expect(envNumber({ X: '0' }, 'X', { allowZero: true })).toBe(0);
    expect(envNumber({ X: '7' }, 'X', { integer: true })).toBe(7);
  });

  it('malformed values: one line naming the variable and what was expected', () => {
    expect(() => envNumber({ X: 'ten' }, 'X')).toThrow(/^X: got "ten", expected a positive number$/);
    expect(() => envNumber({ X: '0' }, 'X')).toThrow(/^X: got "0", expected a positive number$/);
    expect(() => envNumber({ X: '2.5' }, 'X', { integer: true })).toThrow(/^X: got "2.5", expected a positive whole number$/);
    expect(() => envNumber({ X: '-1' }, 'X', { allowZero: true })).toThrow(/^X: got "-1", expected a number ≥ 0$/);
    expect(() => envNumber({ X: 'Infinity' }, 'X', { allowZero: true })).toThrow(/expected a number ≥ 0/);
  });
});
