// A worker that cannot start (here: no weights file) is a clear error at start() and for each job,
// never a hang or a crash of the service.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createJobService } from '../../../src/jobs/create-job-service.ts';
import { makePng, owner, recordEvents, tempDir } from '../helpers.ts';

const tmp = tempDir('engine-start');
afterAll(() => tmp.remove());

it('reports an engine that cannot start, at start() and to the jobs it was given', async () => {
  const missing = path.join(tmp.dir, 'missing.safetensors');
  const svc = createJobService({ dataDir: tmp.dir, weightsPath: missing, backend: 'wasm', engineThreads: 1 });
  const rec = recordEvents(svc);
  const img = await makePng(16, 16, 1);
  const r = svc.submit({ owner: owner('a'), inputs: { content: img, styles: [img] }, options: { size: 16, steps: 1 } });
  expect(r.ok).toBe(true);
  if (!r.ok) return;
  await expect(svc.start()).rejects.toThrow(/^the engine could not start: .*missing\.safetensors/);
  const end = await rec.waitEnd(r.job.id);
  expect(end.event).toEqual({ type: 'failed', reason: expect.stringMatching(/^the engine could not start: .*missing\.safetensors/) });
  expect((end.event as { reason: string }).reason).not.toContain('\n');
  await svc.stop();
});
