// `stylize` entry point (bin/stylize.js imports this). Everything else is in cli.ts, which tests call
// in-process; this file only binds it to the real process.

// The shared pino logger writes JSON to stdout at info level; on a terminal that would interleave with
// the progress output, so the CLI only lets errors through unless asked otherwise.
process.env.STYLIZE_LOG_LEVEL ??= 'error';

const { runCli } = await import('./cli.ts');
const { processIo } = await import('./io.ts');
const { oneLine } = await import('./errors.ts');

try {
  process.exitCode = await runCli(process.argv.slice(2), processIo());
} catch (e) {
  // Not a user error: still one line, unless a developer asks for the trace.
  process.stderr.write(`stylize: ${process.env.STYLIZE_DEBUG ? String((e as Error).stack ?? e) : oneLine(e)}\n`);
  process.exitCode = 1;
}
