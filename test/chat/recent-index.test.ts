import { describe, expect, it } from 'vitest';
import { RecentIndex } from '../../src/chat/recent-index.ts';

describe('RecentIndex', () => {
  it('keeps at most `limit` entries, dropping the least recently set', () => {
    const index = new RecentIndex<string>(3);
    for (const k of ['a', 'b', 'c', 'd']) index.set(k, `job-${k}`);
    expect(index.get('a')).toBeUndefined();
    expect([index.get('b'), index.get('c'), index.get('d')]).toEqual(['job-b', 'job-c', 'job-d']);
  });

  it('setting an entry again makes it the most recent and takes the new value', () => {
    const index = new RecentIndex<string>(2);
    index.set('a', 'old');
    index.set('b', 'job-b');
    index.set('a', 'new');
    index.set('c', 'job-c');
    expect(index.get('b')).toBeUndefined();
    expect(index.get('a')).toBe('new');
    expect(index.get('c')).toBe('job-c');
  });
});
