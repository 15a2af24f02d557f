// Downloading attached images from the fake Slack's url_private with the bot token, with every
// limit and refusal the adapter promises.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadSlackImage, isTrustedFileUrl, SlackInputError, type SlackFile } from '../../src/slack/input-images.ts';
import { FakeSlack } from '../helpers/fake-slack/index.ts';
import { makePng } from './harness.ts';

const limits = { maxUploadBytes: 64 * 1024, maxInputPixels: 100 * 100 };
let fake: FakeSlack;
let client: webApi.WebClient;

beforeAll(async () => {
  fake = new FakeSlack();
  await fake.start();
  client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  await fake.stop();
});

function get(file: SlackFile, token = fake.botToken): Promise<Buffer> {
  return downloadSlackImage(file, { botToken: token, client, limits, label: 'The style image', apiUrl: fake.apiUrl });
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SlackInputError);
  return (e as Error).message;
}

describe('downloadSlackImage', () => {
  it('downloads with the bot token and returns the exact bytes', async () => {
    const png = await makePng(20, 10, 1);
    const f = fake.addFile({ name: 'a.png', bytes: png, user: 'U1', original_w: 20, original_h: 10 });
    const got = await get(fake.fileObject(f) as unknown as SlackFile);
    expect(got.equals(png)).toBe(true);
    expect(fake.downloads.at(-1)).toMatchObject({ fileId: f.id, authorized: true });
  });

  it('asks files.info for a file object without its URL (Slack Connect)', async () => {
    const png = await makePng(12, 12, 2);
    const f = fake.addFile({ name: 'b.png', bytes: png, user: 'U1' });
    const got = await get({ id: f.id, file_access: 'check_file_info' });
    expect(got.equals(png)).toBe(true);
    expect(fake.callsTo('files.info').at(-1)?.args.file).toBe(f.id);
  });

  it('reports a refused download (wrong token) with its status', async () => {
    const f = fake.addFile({ name: 'c.png', bytes: await makePng(8, 8, 3), user: 'U1' });
    const message = await refusal(get({ ...(fake.fileObject(f) as unknown as SlackFile) }, 'xoxb-wrong'));
    expect(message).toBe('could not download The style image "c.png" from Slack: HTTP 403 (does the app have the files:read scope?)');
    expect(fake.downloads.at(-1)).toMatchObject({ fileId: f.id, authorized: false });
  });

  it('refuses bytes that are not a raster image, whatever the file object says', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const f = fake.addFile({ name: 'd.png', bytes: svg, user: 'U1', mimetype: 'image/png', filetype: 'png' });
    expect(await refusal(get(fake.fileObject(f) as unknown as SlackFile))).toBe('The style image "d.png" is not an image (svg): attach a PNG, JPEG, WebP or GIF.');
  });

  it('enforces the byte limit on what actually arrives, and the pixel limit on the real header', async () => {
    const big = Buffer.concat([await makePng(8, 8, 4), Buffer.alloc(100 * 1024, 7)]);
    // The file object understates its size: the download itself is refused.
    const f = fake.addFile({ name: 'e.png', bytes: big, user: 'U1' });
    const obj = { ...(fake.fileObject(f) as unknown as SlackFile), size: 1000 };
    expect(await refusal(get(obj))).toBe('The style image "e.png" is 101 KB; the limit is 64 KB.');
    // Without a content-length the body is counted as it arrives.
    const c = fake.addFile({ name: 'chunked.png', bytes: big, user: 'U1', chunked: true });
    expect(await refusal(get({ ...(fake.fileObject(c) as unknown as SlackFile), size: 1000 }))).toBe('The style image "chunked.png" is larger than the limit of 64 KB.');
    // A small file whose header says 200×200 > 100×100 pixels, the object not saying so.
    const flat = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#336699' } }).png().toBuffer();
    expect(flat.length).toBeLessThan(limits.maxUploadBytes);
    const g = fake.addFile({ name: 'g.png', bytes: flat, user: 'U1' });
    expect(await refusal(get(fake.fileObject(g) as unknown as SlackFile))).toBe('The style image "g.png" is 200×200 px (0 megapixels); the limit is 0 megapixels.');
  });

  it('sends the token only to Slack’s file hosts or the configured API host', async () => {
    expect(isTrustedFileUrl('https://files.slack.com/files-pri/T1-F1/x.png')).toBe(true);
    expect(isTrustedFileUrl('http://files.slack.com/x.png')).toBe(false);
    expect(isTrustedFileUrl('https://evil.example/x.png')).toBe(false);
    expect(isTrustedFileUrl('https://slack.com.evil.example/x.png')).toBe(false);
    expect(isTrustedFileUrl(`${fake.url}/files/x`, fake.apiUrl)).toBe(true);
    let hits = 0;
    const other = createServer((_req, res) => {
      hits++;
      res.end('nope');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x.png`;
    expect(await refusal(get({ id: 'F9', name: 'x.png', mimetype: 'image/png', url_private: url }))).toBe('The style image "x.png" is not hosted by Slack; refusing to download it.');
    expect(hits).toBe(0);
    await new Promise((r) => other.close(r));
  });
});
