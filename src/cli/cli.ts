// The command line as a function of argv: dispatches a subcommand word, otherwise parses the flags
// and runs a stylize job. Returns the exit code; never throws for anything a user can type.
import { parseCliArgs, type CliArgs } from './args.ts';
import { EXIT_OK, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';
import { reportUsageError } from './report.ts';
import { SUBCOMMANDS } from './subcommands.ts';
import { usageText } from './usage.ts';
import { versionText } from './version.ts';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first !== undefined && !first.startsWith('-') && Object.hasOwn(SUBCOMMANDS, first)) {
    const command = await SUBCOMMANDS[first].load();
    return command.run(rest, io);
  }
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return reportUsageError(io, e.message);
    throw e;
  }
  if (args.command === 'help') {
    io.stdout.write(usageText());
    return EXIT_OK;
  }
  if (args.command === 'version') {
    io.stdout.write(versionText());
    return EXIT_OK;
  }
  if (args.options.grid) {
    const grid = await import('./grid.ts');
    return grid.run([...argv], io);
  }
  // Loaded only for a real run: the engine and its tensor library take a while to import.
  const { runStylize } = await import('./run.ts');
  return runStylize(args, io);
}
