import { describe, expect, it } from 'vitest';
import { defaultText, formatNumber, usageText } from '../../src/cli/usage.ts';
import { versionText } from '../../src/cli/version.ts';
import { IO_FLAGS } from '../../src/cli/io-flags.ts';
import { BASE_DEFAULTS, OPTION_SPECS, PRESET_VALUES } from '../../src/options.ts';
import { readFileSync } from 'node:fs';

describe('usageText', () => {
  const text = usageText();
  /** The help block of one flag: its first line and the indented lines after it. */
  function block(flag: string): string {
    const lines = text.split('\n');
    const start = lines.findIndex((l) => new RegExp(`^  (-\\w, )?--${flag}\\b`).test(l));
    expect(start, `--${flag} in --help`).toBeGreaterThanOrEqual(0);
    const end = lines.findIndex((l, i) => i > start && !/^ {4,}/.test(l));
    return lines.slice(start, end).join(' ').replace(/\s+/g, ' ');
  }

  it('documents every OPTION_SPECS flag with its description', () => {
    for (const spec of OPTION_SPECS) expect(block(spec.flag)).toContain(spec.description.split(' ')[0]);
  });

  it('documents every CLI flag', () => {
    for (const f of IO_FLAGS) expect(block(f.name)).toContain(f.description.split(' ')[0]);
  });

  it('shows defaults and ranges', () => {
    expect(block('size')).toContain(`default: ${BASE_DEFAULTS.size}; whole number 16–4096`);
    expect(block('steps')).toContain(`default: ${BASE_DEFAULTS.steps}; whole number 0–10000`);
    expect(block('style-weight')).toContain('default: 1e6; 0–1e12');
    expect(block('lr')).toContain('default: 0.02; 1e-6–10');
    expect(block('optimizer')).toContain('default: lbfgs; one of lbfgs, adam');
    expect(block('original-colors')).toContain('default: false');
    expect(block('style-blend')).toContain('default: equal');
  });

  it('shows per-preset defaults of what the presets set', () => {
    expect(defaultText('contentLayers')).toBe(
      `${PRESET_VALUES.gatys.contentLayers.join(',')} (gatys), ${PRESET_VALUES.seed.contentLayers.join(',')} (seed), ${PRESET_VALUES.tutorial.contentLayers.join(',')} (tutorial)`,
    );
    expect(block('content-layers')).toContain(defaultText('contentLayers'));
    expect(text).toContain('In texture and reconstruct mode --init defaults to noise.');
  });

  it('fits 80 columns', () => {
    for (const line of text.split('\n').filter((l) => !l.startsWith('  stylize '))) expect(line.length, line).toBeLessThanOrEqual(80);
  });

  it('formats numbers for people', () => {
    expect([1e6, 1e12, 1e-6, 0.02, 0, 300, 10000, 2 ** 31 - 1].map(formatNumber)).toEqual(['1e6', '1e12', '1e-6', '0.02', '0', '300', '10000', '2147483647']);
  });
});

describe('versionText', () => {
  it('is the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(versionText()).toBe(`stylize ${pkg.version}\n`);
  });
});
