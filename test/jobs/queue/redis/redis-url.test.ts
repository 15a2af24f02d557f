import { describe, expect, it } from 'vitest';
import { redactRedisUrl, redactSecretIn } from '../../../../src/jobs/queue/redis/redis-url.ts';
import { fromWire, toWire } from '../../../../src/jobs/queue/redis/wire.ts';

describe('Redis URLs in logs', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactRedisUrl('redis://:s3cr%40t@redis.internal:6380/2')).toBe('redis://:***@redis.internal:6380/2');
    expect(redactRedisUrl('rediss://bot:hunter2@cache.example.com')).toBe('rediss://bot:***@cache.example.com');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('hides an unparsable URL whole', () => {
    expect(redactRedisUrl('not a url with hunter2')).toBe('[redis url]');
  });

  it('removes the password from error messages, also decoded', () => {
    const url = 'redis://bot:s3cr%40t@cache:6379';
    expect(redactSecretIn(`connect to ${url} failed`, url)).toBe('connect to redis://bot:***@cache:6379 failed');
    expect(redactSecretIn('WRONGPASS s3cr@t is wrong', url)).toBe('WRONGPASS *** is wrong');
  });
});

describe('job data on the wire', () => {
  it('carries buffers as base64 and brings them back as Buffers', () => {
    const value = { png: Buffer.from([1, 2, 3]), frames: [new Uint8Array([4, 5])], n: 2, s: 'x', skip: undefined };
    const wire = JSON.parse(JSON.stringify(toWire(value))) as unknown;
    expect(wire).toEqual({ png: { $b64: 'AQID' }, frames: [{ $b64: 'BAU=' }], n: 2, s: 'x' });
    const back = fromWire<{ png: Buffer; frames: Buffer[] }>(wire);
    expect(Buffer.isBuffer(back.png) && [...back.png]).toEqual([1, 2, 3]);
    expect([...back.frames[0]]).toEqual([4, 5]);
  });
});
