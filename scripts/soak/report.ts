// The soak's table (the figures the README quotes) and, for each violation, the job's event trail:
// what the users did with it, and every line of the bot's and the workers' logs that names it.
import { existsSync, readFileSync } from 'node:fs';
import type { CheckResult } from './check.ts';
import type { AnswerKind } from './command-answers.ts';
import type { FaultKind } from './faults.ts';
import type { Action } from './load.ts';

export interface FaultCount {
  kind: FaultKind;
  signal: string;
  injected: number;
  /** Due, but the process was already down (another fault's restart under way). */
  skipped: number;
}

export interface SoakSummary {
  mode: string;
  seed: number;
  minutes: number;
  actions: Action[];
  faults: FaultCount[];
  result: CheckResult;
  drainMs: number;
  /** Processes that exited without being killed (restarted by the soak, as systemd would). */
  unexpectedExits: { name: string; at: number; how: string }[];
}

const ANSWER_ROWS: [AnswerKind, string][] = [
  ['submit', 'submits (refused: per-user caps, queue full, ...)'],
  ['rerun', 're-runs (a new job / refused)'],
  ['timelapse', 'time-lapses (the GIF posted / refused)'],
  ['chart', 'loss charts (posted / refused)'],
  ['cancel', 'cancels (done / refused)'],
  ['config', 'config changes'],
];

function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

export function summaryRows(s: SoakSummary): [string, string][] {
  const { jobs, endings, violations } = s.result;
  const byState = (state: string) => jobs.filter((j) => j.state === state);
  const failed = byState('failed');
  const reasons = new Map<string, number>();
  for (const j of failed) {
    const reason = (j.error ?? '?').replace(/\(.*?\)/g, '').split(/[:,.]/)[0].trim().slice(0, 48);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const latencies = jobs
    .flatMap((j) => {
      const at = endings.get(j.id)?.at;
      return at && at >= j.createdAt ? [at - j.createdAt] : [];
    })
    .sort((a, b) => a - b);
  const duplicates = violations.filter((v) => /\b([2-9]|\d{2,}) (results|failure messages)/.test(v.what)).length;
  const lost = violations.filter((v) => /never posted|lost|: 0 failure messages/.test(v.what)).length;
  const submitted = s.actions.filter((a) => a.kind.startsWith('stylize') || a.kind === 'sheet' || a.kind.startsWith('bad') || a.kind.startsWith('rerun')).length;
  const rows: [string, string][] = [
    ['mode / seed / minutes', `${s.mode} / ${s.seed} / ${s.minutes}`],
    ['user actions (submits, re-runs, cancels, ...)', String(s.actions.length)],
    ['jobs submitted (commands, re-runs, bad inputs)', String(submitted)],
    ['  not delivered (bot down)', String(s.actions.filter((a) => a.undelivered).length)],
    ['jobs accepted (in the database)', String(jobs.length)],
    ['  completed', String(byState('completed').length)],
    ['  failed', String(failed.length)],
    ...[...reasons].map(([r, n]): [string, string] => [`    ${r}`, String(n)]),
    ['  cancelled', String(byState('cancelled').length)],
    ['bad inputs refused once / unanswered (bot down)', `${s.result.refused} / ${s.result.unanswered}`],
    ['other commands, answered once: accepted / refused / unanswered (bot down)', ''],
    ...ANSWER_ROWS.map(([kind, label]): [string, string] => {
      const c = s.result.answers[kind];
      return [`  ${label}`, `${c.accepted} / ${c.refused} / ${c.unanswered}`];
    }),
    ...s.faults.map((f): [string, string] => [`faults: ${f.kind} ${f.signal}`, `${f.injected}${f.skipped ? ` (+${f.skipped} due while down)` : ''}`]),
    ['processes that exited by themselves (restarted)', s.unexpectedExits.length === 0 ? '0' : `${s.unexpectedExits.length}: ${[...new Set(s.unexpectedExits.map((e) => `${e.name} ${e.how}`))].join(', ')}`],
    ['duplicates (must be 0)', String(duplicates)],
    ['lost (must be 0)', String(lost)],
    ['violations (must be 0)', String(violations.length)],
    ['submit → final message p50 / p99', `${seconds(percentile(latencies, 50))} / ${seconds(percentile(latencies, 99))}`],
    ['drain after the last fault', seconds(s.drainMs)],
    ['SQLite integrity_check', s.result.integrity],
  ];
  return rows;
}

export function formatTable(rows: [string, string][]): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

/** The violations, each with what the users did with the job and every log line naming it. */
export function formatViolations(s: SoakSummary, logFiles: string[], maxLines = 40): string {
  const logs = logFiles.filter((f) => existsSync(f)).map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n') }));
  return s.result.violations
    .map((v) => {
      const out = [`VIOLATION ${v.jobId ? `job ${v.jobId}: ` : ''}${v.what}`];
      if (v.jobId) {
        for (const a of s.actions.filter((x) => x.jobId === v.jobId)) out.push(`    user ${a.user} ${a.kind} at ${new Date(a.at).toISOString()}`);
        const trail = logs.flatMap(({ f, lines }) => lines.filter((l) => l.includes(v.jobId!)).map((l) => `    ${f.split('/').pop()}: ${l.slice(0, 300)}`));
        out.push(...trail.slice(0, maxLines), ...(trail.length > maxLines ? [`    … ${trail.length - maxLines} more lines`] : []));
      }
      return out.join('\n');
    })
    .join('\n');
}
