// Exit codes follow the usual Unix convention: 2 for a bad command line, 130 (128 + SIGINT) when
// interrupted, 1 for anything that failed while running.
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A mistake on the command line: reported as one line plus the --help hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The first line of an error's message: the CLI never prints stack traces or multi-line dumps. */
export function oneLine(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.split('\n')[0].trim() || (e instanceof Error ? e.name : 'unknown error');
}
