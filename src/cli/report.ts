import { EXIT_USAGE } from './errors.ts';
import type { CliIo } from './io.ts';

/** `stylize: <message>` + the help hint on stderr; returns exit code 2. */
export function reportUsageError(io: CliIo, message: string): number {
  io.stderr.write(`stylize: ${message.split('\n')[0]}\nTry 'stylize --help'.\n`);
  return EXIT_USAGE;
}
