// Bolt and its WebClient log through this adapter, so their lines land in the app's pino logger
// (silent under vitest, redacted tokens) instead of a second console logger.
import { inspect } from 'node:util';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { logger as rootLogger, type Logger } from '../log.ts';

function line(parts: unknown[]): string {
  return parts.map((p) => (typeof p === 'string' ? p : inspect(p, { depth: 3, breakLength: Infinity }))).join(' ');
}

export function boltLogger(base: Logger = rootLogger.child({ module: 'slack' })): BoltLogger {
  // Bolt asks for a level at construction; the app's STYLIZE_LOG_LEVEL stays in charge, so the value
  // is only remembered for getLevel().
  let level: LogLevel = LogLevel.INFO;
  let log = base;
  return {
    debug: (...msg: unknown[]) => log.debug(line(msg)),
    info: (...msg: unknown[]) => log.info(line(msg)),
    warn: (...msg: unknown[]) => log.warn(line(msg)),
    error: (...msg: unknown[]) => log.error(line(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (name: string) => {
      log = base.child({ component: name });
    },
  };
}
