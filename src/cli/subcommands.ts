// `stylize <command> …`: a first word that is not a flag selects a subcommand. Each one lives in its
// own module, loaded only when used, and gets the rest of argv. To add one (e.g. `sheet`):
//   sheet: { summary: 'contact sheet of …', load: () => import('./sheet.ts') },
import type { CliIo } from './io.ts';

export interface SubcommandModule {
  /** argv after the command word; returns the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

export interface Subcommand {
  /** One line for `stylize --help`. */
  summary: string;
  load(): Promise<SubcommandModule>;
}

export const SUBCOMMANDS: Record<string, Subcommand> = {
  grid: { summary: 'four small candidates at style strengths ×¼, ×1, ×4, ×16 in one 2×2 image (then upscale or --vary)', load: () => import('./grid.ts') },
  upscale: { summary: 'continue a grid candidate at the full size: --from-grid grid.json --pick N', load: () => import('./upscale.ts') },
  sheet: { summary: 'experiment contact sheets: layer studies, noise vs content init, content × style grid', load: () => import('./sheet.ts') },
};
