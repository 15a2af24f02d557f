import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { formatLoss, formatProgressLine } from '../../src/cli/format.ts';
import { openJsonLog } from '../../src/cli/log-json.ts';
import { previewPath, writeImageFile } from '../../src/cli/output.ts';
import { createBarReporter, createLineReporter } from '../../src/cli/progress.ts';
import type { Progress } from '../../src/engine/types.ts';

function progress(iteration: number, steps: number, total = 1000 / (iteration + 1)): Progress {
  return {
    iteration,
    steps,
    losses: { content: total / 2, style: total / 4e6, tv: 0.0125, total },
    iterationMs: 1230 + iteration,
    elapsedMs: 1230 * (iteration + 1),
    etaMs: 1230 * (steps - iteration),
  };
}

function collect(): { write: (s: string) => void; lines: () => string[] } {
  let text = '';
  return { write: (s) => void (text += s), lines: () => text.split('\n').filter(Boolean) };
}

describe('line progress', () => {
  it('formats one iteration like neural-style', () => {
    expect(formatProgressLine(progress(50, 300, 123456.7))).toBe(
      'iter 50/300  total 1.235e+5  content 61730  style 0.03086  tv 0.0125  (1.28 s/it)',
    );
    expect([0, 1.5, 12345.678, 1e-4, -2, NaN].map(formatLoss)).toEqual(['0', '1.5', '12350', '1.000e-4', '-2', 'NaN']);
  });

  it('prints the first, every N-th and the last iteration', () => {
    const out = collect();
    const r = createLineReporter(out, 4);
    for (let i = 0; i <= 10; i++) r.update(progress(i, 10));
    r.finish();
    expect(out.lines().map((l) => l.split('  ')[0])).toEqual(['iter 0/10', 'iter 4/10', 'iter 8/10', 'iter 10/10']);
  });

  it('with --print-every 0 prints no iteration at all', () => {
    const out = collect();
    const r = createLineReporter(out, 0);
    for (let i = 0; i <= 5; i++) r.update(progress(i, 5));
    r.finish();
    expect(out.lines()).toEqual([]);
  });

  it('with --print-every larger than --steps prints the first and the last', () => {
    const out = collect();
    const r = createLineReporter(out, 50);
    for (let i = 0; i <= 5; i++) r.update(progress(i, 5));
    r.finish();
    expect(out.lines().map((l) => l.split('  ')[0])).toEqual(['iter 0/5', 'iter 5/5']);
  });

  it('prints the last iteration on finish when the optimiser stopped early', () => {
    const out = collect();
    const r = createLineReporter(out, 50);
    for (let i = 0; i <= 7; i++) r.update(progress(i, 300));
    r.finish();
    expect(out.lines()).toEqual([formatProgressLine(progress(0, 300)), formatProgressLine(progress(7, 300))]);
  });

  it('prints nothing more when stopped (cancel)', () => {
    const out = collect();
    const r = createLineReporter(out, 50);
    r.update(progress(0, 300));
    r.update(progress(1, 300));
    r.stop();
    expect(out.lines()).toHaveLength(1);
  });
});

describe('bar progress', () => {
  it('draws iteration/steps, ETA and the total loss', async () => {
    let text = '';
    const stream = Object.assign(new (await import('node:stream')).Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }), {
      isTTY: true,
      columns: 120,
    });
    const r = createBarReporter(stream as unknown as NodeJS.WritableStream);
    r.update(progress(0, 4, 42));
    r.update(progress(4, 4, 7.5));
    r.finish();
    expect(text).toContain('iter 4/4');
    expect(text).toContain('total 7.5');
    expect(text).toContain('ETA 0.0 s');
  });
});

describe('--log-json', () => {
  it('writes one whole JSON object per progress callback', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stylize-cli-')), 'log.jsonl');
    const log = openJsonLog(file);
    expect(existsSync(file)).toBe(false);
    log.write(progress(0, 2));
    log.write(progress(1, 2));
    log.close();
    log.close();
    log.write(progress(2, 2));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines).toEqual([0, 1].map((k) => {
      const p = progress(k, 2);
      return { iter: k, content: p.losses.content, style: p.losses.style, tv: p.losses.tv, total: p.losses.total, ms: p.iterationMs };
    }));
  });
});

describe('output files', () => {
  it('names previews <name>_<iter>.<ext> next to the output', () => {
    expect(previewPath('out.png', 100)).toBe('out_100.png');
    expect(previewPath('/a/b/result.v2.jpg', 5)).toBe('/a/b/result.v2_5.jpg');
  });

  it('writes the format the name asks for, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stylize-cli-'));
    const png = await sharp({ create: { width: 5, height: 3, channels: 3, background: '#3366cc' } }).png().toBuffer();
    for (const [name, format] of [['a.png', 'png'], ['b.JPG', 'jpeg'], ['c.webp', 'webp']] as const) {
      await writeImageFile(join(dir, name), png);
      const meta = await sharp(join(dir, name)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 5, 3]);
    }
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'b.JPG', 'c.webp']);
  });
});
