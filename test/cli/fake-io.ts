// An in-memory CliIo for in-process tests of the command line.
import type { CliIo } from '../../src/cli/io.ts';

export interface FakeIo extends CliIo {
  out: () => string;
  err: () => string;
  interrupt: () => void;
}

export function fakeIo(env: NodeJS.ProcessEnv = {}): FakeIo {
  let out = '';
  let err = '';
  const handlers = new Set<() => void>();
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    out: () => out,
    err: () => err,
    interrupt: () => handlers.forEach((h) => h()),
  };
}
