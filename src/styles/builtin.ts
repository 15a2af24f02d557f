// The paintings shipped in src/styles/builtin/ (public domain; credits in its README.md), available
// by name everywhere: the CLI's --style-name and every chat workspace.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface BuiltinStyle {
  /** Short name users type: lower-case, digits and "-". */
  name: string;
  title: string;
  artist: string;
  year: number;
  /** Absolute path of the JPEG (at most 1024 px on the long side). */
  file: string;
  credit: string;
}

const DIR = fileURLToPath(new URL('./builtin/', import.meta.url));

function builtin(name: string, title: string, artist: string, year: number): BuiltinStyle {
  return { name, title, artist, year, file: `${DIR}${name}.jpg`, credit: `${artist}, ${title}, ${year} (public domain)` };
}

export const BUILTIN_STYLES: readonly BuiltinStyle[] = [
  builtin('starry-night', 'The Starry Night', 'Vincent van Gogh', 1889),
  builtin('scream', 'The Scream', 'Edvard Munch', 1893),
  builtin('shipwreck', 'The Shipwreck', 'J. M. W. Turner', 1805),
  builtin('woman-with-hat', 'Woman with a Hat', 'Henri Matisse', 1905),
];

export const BUILTIN_STYLE_NAMES: readonly string[] = BUILTIN_STYLES.map((s) => s.name);

export function findBuiltinStyle(name: string): BuiltinStyle | undefined {
  return BUILTIN_STYLES.find((s) => s.name === name);
}

/** The JPEG bytes of a built-in style, or undefined when there is none by that name. */
export async function readBuiltinStyle(name: string): Promise<Buffer | undefined> {
  const style = findBuiltinStyle(name);
  return style ? readFile(style.file) : undefined;
}
