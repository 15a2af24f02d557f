import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const probe = path.join(import.meta.dirname, 'fixtures/wasm-threads-probe.ts');
function run(threads: number): { threads: number; value: number; checksum: number; first: number[] } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', probe, String(threads)], {
    encoding: 'utf8',
    env: { ...process.env, STYLIZE_LOG_LEVEL: 'silent' },
    timeout: 60_000,
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '');
}

describe('threaded wasm backend', () => {
  it('runs XNNPACK on 2 threads with the same results as 1 thread, and lets the process exit', () => {
    const one = run(1);
    const two = run(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.value).toBe(one.value);
    expect(two.checksum).toBe(one.checksum);
    expect(two.first).toEqual(one.first);
  });
});
