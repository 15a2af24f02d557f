// Numeric settings read from the environment (chat adapters, the job queue). A malformed value stops the
// start-up with a one-line message naming the variable, rather than running with a silent default.

export interface EnvNumberRule {
  /** Only whole numbers (counts, pixels). */
  integer?: boolean;
  /** 0 is accepted (e.g. an interval of 0 = no throttling). */
  allowZero?: boolean;
}

/** undefined when the variable is unset or blank; throws `NAME: got "raw", expected …` when malformed. */
export function envNumber(env: NodeJS.ProcessEnv, name: string, rule: EnvNumberRule = {}): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !rule.allowZero) || (rule.integer && !Number.isInteger(n))) {
    const kind = rule.integer ? 'whole number' : 'number';
    throw new Error(`${name}: got "${raw}", expected a ${rule.allowZero ? `${kind} ≥ 0` : `positive ${kind}`}`);
  }
  return n;
}
