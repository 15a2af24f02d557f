import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AttachmentError, checkAttachment, checkImageBytes, downloadAttachment, type AttachmentInfo } from '../../src/discord/input-images.ts';
import { FakeDiscord } from '../helpers/fake-discord/index.ts';

const limits = { maxUploadBytes: 2000, maxInputPixels: 64 * 64 };
const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#36c' } }).png().toBuffer();
const info = (a: Partial<AttachmentInfo>): AttachmentInfo => ({ name: 'x.png', url: 'http://127.0.0.1:9/x', size: 100, contentType: 'image/png', width: 10, height: 10, ...a });

describe('checkAttachment (payload only)', () => {
  test('accepts images within the limits', () => {
    expect(checkAttachment('content', info({}), limits)).toBeUndefined();
    expect(checkAttachment('content', info({ contentType: 'image/jpeg; charset=binary', width: null, height: null }), limits)).toBeUndefined();
  });
  test('refuses other types, big files and too many pixels, naming the file', () => {
    expect(checkAttachment('style', info({ name: 'a.txt', contentType: 'text/plain' }), limits)).toMatch(/style attachment "a\.txt" is a text\/plain file/);
    expect(checkAttachment('style', info({ contentType: null }), limits)).toMatch(/not an image/);
    expect(checkAttachment('style', info({ contentType: 'image/svg+xml' }), limits)).toMatch(/svg/);
    expect(checkAttachment('content', info({ size: 5000 }), limits)).toMatch(/5 KB; the limit is 2 KB/);
    expect(checkAttachment('content', info({ width: 65, height: 64 }), limits)).toMatch(/65×64 .*limit is 4,096 pixels/);
  });
});

describe('downloadAttachment (fake CDN)', () => {
  let fake: FakeDiscord;
  beforeAll(async () => {
    fake = await FakeDiscord.start();
  });
  afterAll(async () => {
    await fake.stop();
  });

  test('returns the bytes of a valid image', async () => {
    const data = await png(32, 16);
    const a = fake.addAttachment({ filename: 'ok.png', contentType: 'image/png', data });
    const got = await downloadAttachment('content', info({ url: a.url, size: a.size }), limits, 5000);
    expect(got.equals(data)).toBe(true);
  });

  test('stops reading past the byte cap even when the payload understated the size', async () => {
    const data = Buffer.concat([await png(8, 8), Buffer.alloc(5000)]);
    const a = fake.addAttachment({ filename: 'big.png', contentType: 'image/png', data, size: 10 });
    await expect(downloadAttachment('style', info({ name: 'big.png', url: a.url, size: 10 }), limits, 5000)).rejects.toThrow(/big\.png" is over the 2 KB limit/);
  });

  test('refuses bytes that are not an image, and decompression bombs by their header', async () => {
    const a = fake.addAttachment({ filename: 'fake.png', contentType: 'image/png', data: Buffer.from('GIF? no, text') });
    await expect(downloadAttachment('content', info({ name: 'fake.png', url: a.url }), limits, 5000)).rejects.toBeInstanceOf(AttachmentError);
    await expect(checkImageBytes('content', 'wide.png', await png(100, 50), limits)).rejects.toThrow(/100×50 \(5,000 pixels\); the limit is 4,096 pixels/);
  });

  test('a missing file or dead server is a clear error', async () => {
    await expect(downloadAttachment('content', info({ name: 'gone.png', url: `${fake.baseUrl}/cdn/nothing/here.png` }), limits, 5000)).rejects.toThrow(/Could not download the content image "gone\.png" \(HTTP 404\)/);
    await expect(downloadAttachment('content', info({ name: 'x.png', url: 'http://127.0.0.1:9/x.png' }), limits, 2000)).rejects.toThrow(/Could not download.*network error/);
  });
});
