// Writing images: the format follows the file name, and a file appears only once it is complete
// (written to a temporary name, then renamed), so an interrupted run leaves nothing half-written.
import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import sharp from 'sharp';

const FORMAT_BY_EXTENSION = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' } as const;
export const OUTPUT_EXTENSIONS: readonly string[] = Object.keys(FORMAT_BY_EXTENSION);

/** neural-style's convention: out.png → out_100.png for the preview at iteration 100. */
export function previewPath(output: string, iteration: number): string {
  const ext = extname(output);
  return join(dirname(output), `${basename(output, ext)}_${iteration}${ext}`);
}

async function encodeFor(file: string, png: Buffer): Promise<Buffer> {
  const format = FORMAT_BY_EXTENSION[extname(file).toLowerCase() as keyof typeof FORMAT_BY_EXTENSION] ?? 'png';
  if (format === 'png') return png;
  return sharp(png).toFormat(format, { quality: 95 }).toBuffer();
}

/** Writes a PNG buffer to `file` in the format its extension names. */
export async function writeImageFile(file: string, png: Buffer): Promise<void> {
  await writeFileAtomic(file, await encodeFor(file, png));
}

/** Writes bytes as they are, under a temporary name first. */
export async function writeFileAtomic(file: string, data: Buffer): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
