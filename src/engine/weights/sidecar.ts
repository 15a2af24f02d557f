// `<weights>.json` next to a downloaded weights file records what was downloaded, so a file damaged
// later (disk error, interrupted copy, someone editing it) is caught on load instead of producing
// silently wrong images.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { fileError } from './errors.ts';
import { tempPathFor } from './safetensors.ts';

export interface WeightsSidecar {
  size: number;
  sha256: string;
  /** Where the tensors came from. */
  url: string;
  /** ISO date of the download. */
  date: string;
  /** 'ranges': only the conv tensors were fetched; 'full': the whole file was, then the convs kept. */
  mode?: 'ranges' | 'full';
}

export function sidecarPath(weightsPath: string): string {
  return `${weightsPath}.json`;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function writeSidecar(weightsPath: string, info: WeightsSidecar): Promise<void> {
  const target = sidecarPath(weightsPath);
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, `${JSON.stringify(info, null, 2)}\n`);
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** The sidecar of `weightsPath`, or undefined when there is none. */
export async function readSidecar(weightsPath: string): Promise<WeightsSidecar | undefined> {
  const target = sidecarPath(weightsPath);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let parsed: Partial<WeightsSidecar>;
  try {
    parsed = JSON.parse(text) as Partial<WeightsSidecar>;
  } catch {
    parsed = {};
  }
  if (typeof parsed.size !== 'number' || typeof parsed.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.sha256)) {
    throw fileError(weightsPath, `its checksum record ${target} is unreadable: delete both files to re-download, or just ${target} to use the file unchecked`);
  }
  return parsed as WeightsSidecar;
}

/**
 * Checks size and sha256 against the sidecar, if any. Returns false when there is no sidecar (a file
 * the user placed by hand), true when it matched; throws when it does not.
 */
export async function verifySidecar(weightsPath: string): Promise<boolean> {
  const record = await readSidecar(weightsPath);
  if (!record) return false;
  const advice = `the file is damaged or was replaced. Delete ${weightsPath} to re-download it (or delete ${sidecarPath(weightsPath)} if you put the file there yourself)`;
  const size = (await stat(weightsPath)).size;
  if (size !== record.size) throw fileError(weightsPath, `size ${size} bytes differs from the ${record.size} recorded at download: ${advice}`);
  const sha256 = await sha256File(weightsPath);
  if (sha256 !== record.sha256) throw fileError(weightsPath, `sha256 ${sha256.slice(0, 12)}… differs from the ${record.sha256.slice(0, 12)}… recorded at download: ${advice}`);
  return true;
}
