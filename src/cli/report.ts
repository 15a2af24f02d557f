import { CancelledError } from '../engine/types.ts';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, oneLine } from './errors.ts';
import type { CliIo } from './io.ts';

/** `stylize: <message>` + the help hint of `helpCommand` on stderr; returns exit code 2. */
export function reportUsageError(io: CliIo, message: string, helpCommand = 'stylize'): number {
  io.stderr.write(`stylize: ${message.split('\n')[0]}\nTry '${helpCommand} --help'.\n`);
  return EXIT_USAGE;
}

/**
 * How a run that threw ends: a usage mistake found late (e.g. an unreadable input) gets the help hint,
 * Ctrl-C — seen as an aborted signal or a CancelledError — exits 130, anything else is one line and exit 1.
 */
export function reportRunFailure(io: CliIo, e: unknown, aborted: boolean, helpCommand = 'stylize'): number {
  if (e instanceof UsageError) return reportUsageError(io, e.message, helpCommand);
  if (aborted || e instanceof CancelledError) {
    io.stderr.write('stylize: cancelled\n');
    return EXIT_INTERRUPTED;
  }
  io.stderr.write(`stylize: ${oneLine(e)}\n`);
  return EXIT_FAILURE;
}
