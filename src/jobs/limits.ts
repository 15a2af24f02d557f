// Global ceilings (from env) and per-workspace limits. A workspace admin may only lower a limit:
// the effective limit is min(ceiling, workspace value).
import { normalizeName } from '../option-names.ts';
import { OptionsError } from '../options.ts';
import type { Limits } from './types.ts';

/** The limits, by the names admins set them with (the keys of Limits). */
export const LIMIT_KEYS = ['maxUserJobs', 'maxQueue', 'maxSteps', 'maxSize', 'jobTimeoutSec', 'maxStyles'] as const satisfies readonly (keyof Limits)[];

export type LimitKey = (typeof LIMIT_KEYS)[number];

export const DEFAULT_CEILINGS: Readonly<Limits> = {
  maxUserJobs: 2,
  maxQueue: 50,
  maxSteps: 1000,
  maxSize: 1024,
  jobTimeoutSec: 3600,
  maxStyles: 100,
};

const ENV_NAMES: Record<LimitKey, string> = {
  maxUserJobs: 'STYLIZE_MAX_USER_JOBS',
  maxQueue: 'STYLIZE_MAX_QUEUE',
  maxSteps: 'STYLIZE_MAX_STEPS',
  maxSize: 'STYLIZE_MAX_SIZE',
  jobTimeoutSec: 'STYLIZE_JOB_TIMEOUT_SEC',
  maxStyles: 'STYLIZE_MAX_STYLES',
};

/** The smallest value that still lets a job run (size 16 is the schema's minimum). */
const MINIMUM: Record<LimitKey, number> = {
  maxUserJobs: 1,
  maxQueue: 1,
  maxSteps: 1,
  maxSize: 16,
  jobTimeoutSec: 1,
  // 0: nobody may save styles (the built-ins stay).
  maxStyles: 0,
};

const DESCRIPTION: Record<LimitKey, string> = {
  maxUserJobs: 'jobs one user may have queued or running',
  maxQueue: 'jobs waiting in the queue',
  maxSteps: 'steps of one job',
  maxSize: 'output size in pixels',
  jobTimeoutSec: 'seconds one job may run',
  maxStyles: 'saved styles in the style library',
};

export function isLimitKey(key: string): key is LimitKey {
  return (LIMIT_KEYS as readonly string[]).includes(key);
}

/** Accepts any spelling of a limit key ("max-size", "MaxSize"). */
export function findLimitKey(name: string): LimitKey | undefined {
  const n = normalizeName(name);
  return LIMIT_KEYS.find((k) => normalizeName(k) === n);
}

export function describeLimit(key: LimitKey): string {
  return DESCRIPTION[key];
}

function parseWholeNumber(raw: unknown): number | undefined {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw.trim()) : raw;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** The global ceilings: STYLIZE_MAX_USER_JOBS, _MAX_QUEUE, _MAX_STEPS, _MAX_SIZE, _JOB_TIMEOUT_SEC, _MAX_STYLES. */
export function limitsFromEnv(env: Record<string, string | undefined> = process.env): Limits {
  const out: Limits = { ...DEFAULT_CEILINGS };
  for (const key of LIMIT_KEYS) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw.trim() === '') continue;
    const n = parseWholeNumber(raw);
    if (n === undefined || n < MINIMUM[key]) {
      throw new Error(`${ENV_NAMES[key]}: got ${JSON.stringify(raw)}, expected a whole number ≥ ${MINIMUM[key]}`);
    }
    out[key] = n;
  }
  return out;
}

/** Validates a workspace limit against the ceiling; throws OptionsError with a one-line message. */
export function parseLimit(key: LimitKey, value: unknown, ceilings: Limits): number {
  const n = parseWholeNumber(value);
  if (n === undefined || n < MINIMUM[key]) {
    throw new OptionsError(`${key}: got ${JSON.stringify(value)}, expected a whole number from ${MINIMUM[key]} to ${ceilings[key]}`);
  }
  if (n > ceilings[key]) {
    throw new OptionsError(`${key}: ${n} is above this server's ceiling of ${ceilings[key]} (${DESCRIPTION[key]}); ask the bot's operator to raise it`);
  }
  return n;
}

export function effectiveLimits(ceilings: Limits, workspace: Partial<Limits>): Limits {
  const out: Limits = { ...ceilings };
  for (const key of LIMIT_KEYS) {
    const v = workspace[key];
    if (v !== undefined) out[key] = Math.min(ceilings[key], v);
  }
  return out;
}
