// --timelapse, --plot and --compare: what a run records for them while it optimises, and the files
// written from that once it is done.
import type { PipelineResult } from '../engine/pipeline.ts';
import type { Progress } from '../engine/types.ts';
import { comparisonInputs, composeComparison } from '../engine/visuals/compare.ts';
import { FrameRecorder, type Frame } from '../engine/visuals/frames.ts';
import { renderRunChart } from '../engine/visuals/loss-chart.ts';
import { LossTrace } from '../engine/visuals/loss-trace.ts';
import { encodeTimelapse, timelapseFormatOf } from '../engine/visuals/timelapse.ts';
import type { RunArgs } from './args.ts';
import { writeFileAtomic, writeImageFile } from './output.ts';

export class RunVisuals {
  private readonly trace: LossTrace | undefined;
  private readonly recorder: FrameRecorder | undefined;

  constructor(private readonly args: RunArgs) {
    this.trace = args.plot !== undefined ? new LossTrace() : undefined;
    this.recorder = args.timelapse !== undefined ? new FrameRecorder() : undefined;
  }

  progress(p: Progress): void {
    this.trace?.add(p);
  }

  /** The pipeline's frame callback, when a time-lapse was asked for. */
  get onFrame(): ((frame: Frame) => void) | undefined {
    const recorder = this.recorder;
    return recorder ? (frame) => recorder.add(frame) : undefined;
  }

  /** Writes the asked-for files; returns their names. */
  async write(result: PipelineResult): Promise<string[]> {
    const a = this.args;
    const written: string[] = [];
    if (a.timelapse !== undefined && this.recorder) {
      const frames = await this.recorder.frames();
      const film = await encodeTimelapse(
        frames.map((f) => f.png),
        { format: timelapseFormatOf(a.timelapse) ?? 'gif' },
      );
      await writeFileAtomic(a.timelapse, film.data);
      written.push(a.timelapse);
    }
    if (a.plot !== undefined && this.trace) {
      const o = a.options;
      const title = `${o.mode} · ${result.width}×${result.height} · ${o.optimizer} · ${result.iterations} iterations`;
      await writeImageFile(a.plot, await renderRunChart(this.trace.points, title));
      written.push(a.plot);
    }
    if (a.compare !== undefined) {
      await writeImageFile(a.compare, await composeComparison(result.png, comparisonInputs(a.options.mode, a.content, a.styles)));
      written.push(a.compare);
    }
    return written;
  }
}
