// One pino logger for the whole app. Tokens never reach it: redact catches the usual places anyway.
import { pino } from 'pino';

export const logger = pino({
  name: 'stylize',
  level: process.env.STYLIZE_LOG_LEVEL ?? (process.env.VITEST ? 'silent' : 'info'),
  redact: {
    paths: ['token', '*.token', 'headers.authorization', '*.headers.authorization', 'botToken', 'appToken', 'signingSecret'],
    censor: '[redacted]',
  },
});

export type Logger = typeof logger;
