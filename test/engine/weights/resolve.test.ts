import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/engine/weights/errors.ts';
import { consoleDownloadProgress } from '../../../src/engine/weights/progress.ts';
import { DEFAULT_MODELS_DIR, resolveWeightsPath } from '../../../src/engine/weights/resolve.ts';
import { readSidecar } from '../../../src/engine/weights/sidecar.ts';
import { loadVggWeights } from '../../../src/engine/weights/vgg-weights.ts';
import { deadUrl, startFileServer } from '../../helpers/file-server.ts';
import type { FileServer } from '../../helpers/file-server.ts';
import { writeRandomWeightsFile } from '../../../scripts/lib/random-weights.ts';

let dir: string;
let source: string;
let server: FileServer | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylize-resolve-'));
  source = await writeRandomWeightsFile(join(dir, 'source.safetensors'), 5, { dtype: 'BF16' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(): Promise<FileServer> {
  server = await startFileServer({ file: source });
  return server;
}

let n = 0;
async function emptyModelsDir(): Promise<string> {
  const d = join(dir, `models-${++n}`);
  await mkdir(d);
  return d;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WeightsError);
  return err as Error;
}

describe('resolveWeightsPath', () => {
  it('prefers --weights, then STYLIZE_WEIGHTS, then models/vgg19.safetensors, without downloading', async () => {
    const srv = await serve();
    const modelsDir = await emptyModelsDir();
    const cached = join(modelsDir, 'vgg19.safetensors');
    await writeFile(cached, 'cached');
    const fromEnv = join(dir, 'env.safetensors');
    await writeFile(fromEnv, 'env');
    const fromFlag = join(dir, 'flag.safetensors');
    await writeFile(fromFlag, 'flag');
    const env = { STYLIZE_WEIGHTS: fromEnv, STYLIZE_WEIGHTS_URL: srv.url };

    expect(await resolveWeightsPath({ flag: fromFlag, env, modelsDir })).toBe(fromFlag);
    expect(await resolveWeightsPath({ env, modelsDir })).toBe(fromEnv);
    expect(await resolveWeightsPath({ env: { STYLIZE_WEIGHTS_URL: srv.url }, modelsDir })).toBe(cached);
    expect(srv.requests).toHaveLength(0);
  });

  it('treats a flag or env path that does not exist as an error, not a reason to download', async () => {
    const srv = await serve();
    const modelsDir = await emptyModelsDir();
    const env = { STYLIZE_WEIGHTS_URL: srv.url };
    const missing = join(dir, 'nope.safetensors');
    const flagErr = await rejection(resolveWeightsPath({ flag: missing, env, modelsDir }));
    expect(flagErr.message).toBe(`--weights ${missing}: no such file`);
    const envErr = await rejection(resolveWeightsPath({ env: { ...env, STYLIZE_WEIGHTS: missing }, modelsDir }));
    expect(envErr.message).toBe(`STYLIZE_WEIGHTS ${missing}: no such file`);
    const dirErr = await rejection(resolveWeightsPath({ flag: modelsDir, env, modelsDir }));
    expect(dirErr.message).toMatch(/not a file/);
    expect(srv.requests).toHaveLength(0);
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it('downloads into models/ from STYLIZE_WEIGHTS_URL when nothing is there, then reuses the file', async () => {
    const srv = await serve();
    const modelsDir = join(await emptyModelsDir(), 'not-yet-created');
    const progress: number[] = [];
    const path = await resolveWeightsPath({ env: { STYLIZE_WEIGHTS_URL: srv.url }, modelsDir, onProgress: (d) => progress.push(d) });
    expect(path).toBe(join(modelsDir, 'vgg19.safetensors'));
    expect(progress.length).toBeGreaterThan(1);
    expect((await readSidecar(path))?.url).toBe(srv.url);
    expect(await loadVggWeights(path)).toHaveLength(16);
    const requests = srv.requests.length;
    expect(requests).toBeGreaterThanOrEqual(3);
    expect(await resolveWeightsPath({ env: { STYLIZE_WEIGHTS_URL: srv.url }, modelsDir })).toBe(path);
    expect(srv.requests).toHaveLength(requests);
  });

  it('lets the url option override STYLIZE_WEIGHTS_URL', async () => {
    const srv = await serve();
    const modelsDir = await emptyModelsDir();
    const path = await resolveWeightsPath({ url: srv.url, env: { STYLIZE_WEIGHTS_URL: await deadUrl() }, modelsDir, onProgress: () => undefined });
    expect((await readSidecar(path))?.url).toBe(srv.url);
  });

  it('fails offline with the URL and both ways to provide the file by hand', async () => {
    const url = await deadUrl();
    const modelsDir = await emptyModelsDir();
    const err = await rejection(resolveWeightsPath({ env: { STYLIZE_WEIGHTS_URL: url }, modelsDir, onProgress: () => undefined }));
    expect(err.message).toContain(url);
    expect(err.message).toContain(`save it as ${join(modelsDir, 'vgg19.safetensors')}, or point STYLIZE_WEIGHTS at it`);
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it('defaults to <repo>/models', () => {
    expect(DEFAULT_MODELS_DIR).toBe(join(import.meta.dirname, '../../../models'));
  });
});

describe('consoleDownloadProgress without a TTY', () => {
  it('logs once per 10%', () => {
    const lines: string[] = [];
    const p = consoleDownloadProgress('weights', { stream: { isTTY: false } as NodeJS.WriteStream, log: (l) => lines.push(l) });
    for (let done = 0; done <= 1000; done += 7) p.update(done, 1000);
    p.update(1000, 1000);
    p.stop();
    expect(lines).toHaveLength(11);
    expect(lines[0]).toMatch(/^weights: 0% /);
    expect(lines[5]).toMatch(/^weights: 50% /);
    expect(lines[10]).toMatch(/^weights: 100% \(0\.0 MB of 0\.0 MB\)$/);
  });

  it('logs every 50 MB when the size is unknown', () => {
    const lines: string[] = [];
    const p = consoleDownloadProgress('w', { stream: { isTTY: false } as NodeJS.WriteStream, log: (l) => lines.push(l) });
    for (let mb = 0; mb <= 120; mb += 1) p.update(mb * 1024 * 1024, 0);
    expect(lines).toEqual(['w: 0.0 MB', 'w: 50.0 MB', 'w: 100.0 MB']);
  });
});
