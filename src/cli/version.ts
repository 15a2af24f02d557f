// `stylize --version`, for the main command and every subcommand alike.
import { readFileSync } from 'node:fs';

export function versionText(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `stylize ${pkg.version}\n`;
}
