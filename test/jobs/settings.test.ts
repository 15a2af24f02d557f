// Per-workspace settings through the service's SettingsStore, on a real database. No engine is
// started: settings never need one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobService } from '../../src/jobs/create-job-service.ts';
import type { JobCoordinator } from '../../src/jobs/job-coordinator.ts';
import { OptionsError } from '../../src/options.ts';
import { makePng, owner, tempDir } from './helpers.ts';

let tmp: ReturnType<typeof tempDir>;
let svc: JobCoordinator;
const open = () => createJobService({ dataDir: tmp.dir, weightsPath: '/nonexistent', ceilings: { maxSteps: 1000 } });

beforeEach(() => {
  tmp = tempDir('settings');
  svc = open();
});
afterEach(async () => {
  await svc.stop();
  tmp.remove();
});

describe('settings', () => {
  it('stores validated admin defaults under their canonical key, per workspace', () => {
    svc.settings.set('discord', 'g1', 'steps', '200');
    svc.settings.set('discord', 'g1', 'strength', '5e5'); // chat name of styleWeight
    svc.settings.set('discord', 'g1', 'style-layers', 'conv_1,relu2_1'); // CLI flag, tutorial layer naming
    expect(svc.settings.get('discord', 'g1')).toEqual({
      defaults: { steps: 200, styleWeight: 5e5, styleLayers: ['conv1_1', 'relu2_1'] },
      limits: {},
      library: {},
    });
    expect(svc.settings.get('discord', 'g2')).toEqual({ defaults: {}, limits: {}, library: {} });
    expect(svc.settings.get('slack', 'g1')).toEqual({ defaults: {}, limits: {}, library: {} });
  });

  it('refuses bad values, unknown keys and per-job-only options with one-line OptionsErrors', () => {
    const set = (key: string, value: unknown) => () => svc.settings.set('discord', 'g1', key, value);
    expect(set('steps', 'lots')).toThrow(OptionsError);
    expect(set('steps', 'lots')).toThrow(/^steps: got "lots", expected a whole number from 0 to 10000$/);
    expect(set('size', 8)).toThrow(/^size: got 8/);
    expect(set('mode', 'sketch')).toThrow(/one of transfer, texture, reconstruct/);
    expect(set('bogus', 1)).toThrow(/unknown setting "bogus"/);
    expect(set('seed', 1)).toThrow(/seed cannot have a workspace default/);
    expect(set('style-blend', '1,2')).toThrow(/style-blend cannot have a workspace default/);
    expect(svc.settings.get('discord', 'g1')).toEqual({ defaults: {}, limits: {}, library: {} });
  });

  it('stores limits up to the ceiling and refuses above it', () => {
    svc.settings.set('discord', 'g1', 'maxSteps', 300);
    svc.settings.set('discord', 'g1', 'max_user_jobs', '1');
    expect(svc.settings.get('discord', 'g1').limits).toEqual({ maxSteps: 300, maxUserJobs: 1 });
    expect(() => svc.settings.set('discord', 'g1', 'maxSteps', 5000)).toThrow(/maxSteps: 5000 is above this server's ceiling of 1000/);
    expect(() => svc.settings.set('discord', 'g1', 'maxQueue', -1)).toThrow(/maxQueue: got -1/);
    expect(svc.settings.get('discord', 'g1').limits.maxSteps).toBe(300);
  });

  it('resets one key or the whole workspace', () => {
    svc.settings.set('discord', 'g1', 'steps', 50);
    svc.settings.set('discord', 'g1', 'preset', 'seed');
    svc.settings.set('discord', 'g1', 'maxSize', 256);
    svc.settings.set('discord', 'g2', 'steps', 70);
    svc.settings.reset('discord', 'g1', 'steps');
    expect(svc.settings.get('discord', 'g1')).toEqual({ defaults: { preset: 'seed' }, limits: { maxSize: 256 }, library: {} });
    expect(() => svc.settings.reset('discord', 'g1', 'nope')).toThrow(/unknown setting "nope"/);
    svc.settings.reset('discord', 'g1');
    expect(svc.settings.get('discord', 'g1')).toEqual({ defaults: {}, limits: {}, library: {} });
    expect(svc.settings.get('discord', 'g2').defaults).toEqual({ steps: 70 });
  });

  it('stores the old name original_colors as colors, and the style-library settings checked', () => {
    svc.settings.set('discord', 'g1', 'original_colors', 'true');
    expect(svc.settings.get('discord', 'g1').defaults).toEqual({ colors: 'keep' });
    svc.settings.set('discord', 'g1', 'originalColors', false);
    expect(svc.settings.get('discord', 'g1').defaults).toEqual({ colors: 'style' });
    svc.settings.reset('discord', 'g1', 'original_colors');
    expect(svc.settings.get('discord', 'g1').defaults).toEqual({});

    svc.settings.set('discord', 'g1', 'style_savers', 'Admins');
    svc.settings.set('discord', 'g1', 'hidden-styles', 'scream, shipwreck scream');
    svc.settings.set('discord', 'g1', 'max_styles', '7');
    expect(svc.settings.get('discord', 'g1')).toEqual({ defaults: {}, limits: { maxStyles: 7 }, library: { styleSavers: 'admins', hiddenStyles: ['scream', 'shipwreck'] } });
    expect(() => svc.settings.set('discord', 'g1', 'style_savers', 'mods')).toThrow(/style_savers: got "mods", expected everyone or admins/);
    expect(() => svc.settings.set('discord', 'g1', 'hidden_styles', 'mona-lisa')).toThrow(/"mona-lisa" is not a built-in style/);
    expect(() => svc.settings.set('discord', 'g1', 'maxStyles', 101)).toThrow(/maxStyles: 101 is above this server's ceiling of 100/);
    svc.settings.set('discord', 'g1', 'hidden_styles', 'none');
    expect(svc.settings.get('discord', 'g1').library.hiddenStyles).toEqual([]);
  });

  it('survives a restart and applies to submitted jobs', async () => {
    svc.settings.set('discord', 'g1', 'steps', 40);
    svc.settings.set('discord', 'g1', 'preset', 'seed');
    svc.settings.set('discord', 'g1', 'maxSize', 64);
    await svc.stop();
    svc = open();
    expect(svc.settings.get('discord', 'g1')).toEqual({ defaults: { steps: 40, preset: 'seed' }, limits: { maxSize: 64 }, library: {} });
    const img = await makePng(16, 16, 1);
    const r = svc.submit({ owner: owner('u1'), inputs: { content: img, styles: [img] }, options: { steps: 12 } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    // The user's steps win over the admin default; the preset's layers come from the admin; size is capped.
    expect(r.job.options).toMatchObject({ steps: 12, preset: 'seed', contentLayers: ['conv1_2'], size: 64 });
    const other = svc.submit({ owner: owner('u1', 'g2'), inputs: { content: img, styles: [img] }, options: {} });
    expect(other.ok && other.job.options).toMatchObject({ steps: 300, preset: 'gatys', size: 512 });
  });
});
