// `stylize sheet --plot`: one curve per run of the sheet, of the loss its cell is labelled with
// (content for reconstructions, style for textures, total otherwise), so a reconstruct sheet shows
// at a glance how much slower the deeper layers converge.
import type { RunCell } from '../engine/sheet/plan.ts';
import type { Progress } from '../engine/types.ts';
import { renderChart, type ChartSeries } from '../engine/visuals/loss-chart.ts';
import { LossTrace } from '../engine/visuals/loss-trace.ts';

export class SheetCurves {
  private readonly runs: { cell: RunCell; trace: LossTrace }[] = [];

  start(cell: RunCell): void {
    this.runs.push({ cell, trace: new LossTrace() });
  }

  add(p: Progress): void {
    this.runs.at(-1)?.trace.add(p);
  }

  render(title: string): Promise<Buffer> {
    const metrics = new Set(this.runs.map((r) => r.cell.metric));
    const series: ChartSeries[] = this.runs.map(({ cell, trace }, i) => ({
      name: `${i + 1}. ${cell.title}`,
      points: trace.points.map((p) => [p.iter, p[cell.metric]] as const),
    }));
    return renderChart({ title: `${title}: ${[...metrics].join(' / ')} loss per run`, series });
  }
}
