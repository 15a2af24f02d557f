import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The files that start real processes (the bot, workers, redis-server, the soak) take the longest.
// Vitest runs the longest first once it has timings, but a fresh clone (CI) has none and runs the
// largest files first, which left the 90-second soak to run alone at the end: these go first.
const LONGEST_FIRST = ['test/soak/', 'test/ops/', 'test/jobs/'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const rel = path.relative(f.project.config.root, f.moduleId).split(path.sep).join('/');
      const i = LONGEST_FIRST.findIndex((prefix) => rel.startsWith(prefix));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs backends are process-global; forks isolate each test file in its own process.
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
  },
});
