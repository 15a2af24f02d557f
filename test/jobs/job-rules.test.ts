import { describe, expect, it } from 'vitest';
import { checkInputs, checkInputsForOptions, previewEvery, Refusal, rerunInputs, rerunOptions, resolveJobOptions } from '../../src/jobs/job-rules.ts';
import { DEFAULT_CEILINGS, effectiveLimits, limitsFromEnv, parseLimit } from '../../src/jobs/limits.ts';
import { OptionsError, resolveOptions } from '../../src/options.ts';

const limits = { ...DEFAULT_CEILINGS, maxSteps: 100, maxSize: 256 };
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

describe('limits', () => {
  it('reads ceilings from env with defaults', () => {
    expect(limitsFromEnv({})).toEqual({ maxUserJobs: 2, maxQueue: 50, maxSteps: 1000, maxSize: 1024, jobTimeoutSec: 3600, maxStyles: 100 });
    expect(limitsFromEnv({ STYLIZE_MAX_STEPS: '500', STYLIZE_MAX_QUEUE: ' 7 ', STYLIZE_MAX_SIZE: '' })).toMatchObject({ maxSteps: 500, maxQueue: 7, maxSize: 1024 });
    expect(() => limitsFromEnv({ STYLIZE_MAX_USER_JOBS: 'lots' })).toThrow(/STYLIZE_MAX_USER_JOBS: got "lots"/);
    expect(() => limitsFromEnv({ STYLIZE_MAX_SIZE: '8' })).toThrow(/≥ 16/);
  });

  it('refuses a workspace limit above the ceiling, naming it', () => {
    expect(parseLimit('maxSteps', '300', DEFAULT_CEILINGS)).toBe(300);
    expect(() => parseLimit('maxSteps', 5000, DEFAULT_CEILINGS)).toThrow(OptionsError);
    expect(() => parseLimit('maxSteps', 5000, DEFAULT_CEILINGS)).toThrow(/maxSteps: 5000 is above this server's ceiling of 1000/);
    expect(() => parseLimit('maxQueue', 0, DEFAULT_CEILINGS)).toThrow(/maxQueue: got 0, expected a whole number from 1 to 50/);
    expect(() => parseLimit('jobTimeoutSec', 1.5, DEFAULT_CEILINGS)).toThrow(/whole number/);
  });

  it('takes the lower of ceiling and workspace value', () => {
    expect(effectiveLimits(DEFAULT_CEILINGS, { maxSteps: 10 }).maxSteps).toBe(10);
    expect(effectiveLimits({ ...DEFAULT_CEILINGS, maxSteps: 5 }, { maxSteps: 10 }).maxSteps).toBe(5);
  });
});

describe('resolveJobOptions', () => {
  it('refuses an explicit value over the limit, naming the limit', () => {
    expect(() => resolveJobOptions({ steps: 101 }, {}, limits)).toThrow(Refusal);
    expect(() => resolveJobOptions({ steps: 101 }, {}, limits)).toThrow(/steps 101 is over this workspace's limit of 100 steps \(maxSteps\)/);
    expect(() => resolveJobOptions({ size: '300' }, {}, limits)).toThrow(/size 300 .*limit of 256 px \(maxSize\)/);
  });

  it('lowers defaults above the limit instead of refusing', () => {
    const o = resolveJobOptions({}, {}, limits); // built-in 512 px, 300 steps
    expect(o.size).toBe(256);
    expect(o.steps).toBe(100);
    expect(resolveJobOptions({}, { steps: 80 }, limits).steps).toBe(80);
    expect(resolveJobOptions({ steps: 100, size: 64 }, {}, limits)).toMatchObject({ steps: 100, size: 64 });
  });

  it('bounds the iterations of all scales of a coarse-to-fine job', () => {
    const wide = { ...DEFAULT_CEILINGS, maxSteps: 500 };
    expect(() => resolveJobOptions({ size: 64, steps: 300, multires: 2 }, {}, wide)).toThrow(
      /^steps 600 \(300 at each of 2 scales\) is over this workspace's limit of 500 steps \(maxSteps\)/,
    );
    expect(() => resolveJobOptions({ scaleSteps: '400,200', scales: '128,256' }, {}, wide)).toThrow(/^steps 600 is over/);
    // An admin's coarse-to-fine default (256 px → 128, 256) with the built-in 300 steps: lowered to fit.
    const o = resolveJobOptions({ size: 256 }, { multiresAbove: 200 }, wide);
    expect(o.steps).toBe(250);
    expect(() => resolveJobOptions({ size: 64, multires: 8 }, {}, wide)).toThrow(Refusal);
    expect(() => resolveJobOptions({ size: 64, multires: 8 }, {}, wide)).toThrow(/^multires: 8 scales ending at size 64/);
    expect(() => resolveJobOptions({ scales: '128,2048' }, {}, limits)).toThrow(/size 2048 is over this workspace's limit of 256 px/);
  });

  it('passes schema errors through as one-line OptionsErrors', () => {
    expect(() => resolveJobOptions({ steps: 'many' }, {}, limits)).toThrow(OptionsError);
    expect(() => resolveJobOptions({ steps: 'many' }, {}, limits)).toThrow(/^steps: got "many"/);
  });
});

describe('inputs', () => {
  it('checks what the mode and init need', () => {
    const o = resolveOptions({ size: 16 });
    expect(() => checkInputsForOptions(o, { styles: [png] })).toThrow(/transfer needs a content image/);
    expect(() => checkInputsForOptions({ ...o, mode: 'texture' }, { content: png, styles: [] })).toThrow(/texture needs at least one style/);
    expect(() => checkInputsForOptions({ ...o, mode: 'reconstruct', init: 'noise' }, { styles: [png] })).toThrow(/reconstruct needs a content/);
    expect(() => checkInputsForOptions({ ...o, init: 'image' }, { content: png, styles: [png] })).toThrow(/init=image/);
    expect(() => checkInputsForOptions({ ...o, styleBlend: [1, 2] }, { content: png, styles: [png] })).toThrow(/2 weights for 1 style image/);
    expect(() => checkInputsForOptions(o, { content: png, styles: [png] })).not.toThrow();
  });

  it('refuses empty or non-image data', () => {
    expect(() => checkInputs({ styles: [Buffer.alloc(0)] })).toThrow(/the style image is empty/);
    expect(() => checkInputs({ content: 'x' as unknown as Buffer, styles: [] })).toThrow(/content image is not image data/);
    expect(() => checkInputs(undefined)).toThrow(/no images/);
    expect(checkInputs({ content: new Uint8Array([1, 2]) as Buffer, styles: [] }).content).toBeInstanceOf(Buffer);
  });
});

describe('re-runs and previews', () => {
  it('re-chooses init for the new mode', () => {
    const parent = resolveOptions({ size: 32, steps: 7, init: 'content' });
    const texture = resolveOptions(rerunOptions(parent, 'texture'));
    expect(texture).toMatchObject({ mode: 'texture', init: 'noise', size: 32, steps: 7 });
    const back = resolveOptions(rerunOptions({ ...texture }, 'transfer'));
    expect(back).toMatchObject({ mode: 'transfer', init: 'content', size: 32 });
  });

  it('hands each mode only the inputs it uses', () => {
    const inputs = { content: png, styles: [png, png] };
    expect(rerunInputs(inputs, 'texture')).toEqual({ styles: [png, png] });
    expect(rerunInputs(inputs, 'reconstruct')).toEqual({ content: png, styles: [] });
    expect(rerunInputs(inputs, 'transfer')).toBe(inputs);
  });

  it('previews about every 10% when saveEvery is 0', () => {
    const o = resolveOptions({});
    expect(previewEvery({ ...o, steps: 300, saveEvery: 0 })).toBe(30);
    expect(previewEvery({ ...o, steps: 4, saveEvery: 0 })).toBe(1);
    expect(previewEvery({ ...o, steps: 300, saveEvery: 7 })).toBe(7);
  });
});

describe('jobServiceConfigFromEnv', () => {
  it('reads the deployment settings with defaults and clear errors', async () => {
    const { jobServiceConfigFromEnv } = await import('../../src/jobs/service-config.ts');
    expect(jobServiceConfigFromEnv('/w', {})).toEqual({ dataDir: './data', weightsPath: '/w', workers: 1, ceilings: DEFAULT_CEILINGS, retentionHours: 24 });
    expect(jobServiceConfigFromEnv('/w', { STYLIZE_DATA_DIR: '/srv/d', STYLIZE_WORKERS: '2', STYLIZE_RETENTION_HOURS: '0.5', STYLIZE_MAX_SIZE: '256' })).toMatchObject({
      dataDir: '/srv/d',
      workers: 2,
      retentionHours: 0.5,
      ceilings: { maxSize: 256 },
    });
    expect(() => jobServiceConfigFromEnv('/w', { STYLIZE_WORKERS: '0' })).toThrow(/STYLIZE_WORKERS: got "0"/);
    // On the shared queue the bot may run no engine of its own.
    expect(jobServiceConfigFromEnv('/w', { STYLIZE_REDIS_URL: 'redis://r:6379', STYLIZE_WORKERS: '0', STYLIZE_QUEUE_LOCK_MS: '5000' })).toMatchObject({
      redisUrl: 'redis://r:6379',
      workers: 0,
      queueTiming: { lockMs: 5000, stalledMs: 2500 },
    });
    expect(() => jobServiceConfigFromEnv('/w', { STYLIZE_REDIS_URL: 'redis://r:6379', STYLIZE_WORKERS: '-1' })).toThrow(/expected a whole number ≥ 0/);
    expect(() => jobServiceConfigFromEnv('/w', { STYLIZE_REDIS_URL: 'redis://r:6379', STYLIZE_QUEUE_LOCK_MS: 'soon' })).toThrow(/STYLIZE_QUEUE_LOCK_MS/);
    expect(() => jobServiceConfigFromEnv('/w', { STYLIZE_RETENTION_HOURS: 'soon' })).toThrow(/STYLIZE_RETENTION_HOURS: got "soon"/);
  });
});
