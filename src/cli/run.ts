// One stylize run from validated arguments: backend → weights → engine → pipeline → output file, with
// progress, the JSON log, previews and Ctrl-C handling.
import type { Engine } from '../engine/engine.ts';
import { planScales } from '../engine/multires.ts';
import { runPipeline } from '../engine/pipeline.ts';
import { CancelledError, type Progress } from '../engine/types.ts';
import { chooseBackend, engineThreads, startEngine } from '../engine/start-engine.ts';
import { loadVggWeights } from '../engine/weights/vgg-weights.ts';
import { withDashes, type RunArgs } from './args.ts';
import { EXIT_OK, UsageError, oneLine } from './errors.ts';
import { formatSeconds } from './format.ts';
import { checkInputFiles } from './input-files.ts';
import type { CliIo } from './io.ts';
import { openJsonLog, type JsonLog } from './log-json.ts';
import { previewPath, writeImageFile } from './output.ts';
import { createBarReporter, createLineReporter, type ProgressReporter } from './progress.ts';
import { reportRunFailure } from './report.ts';
import { RunVisuals } from './visual-outputs.ts';
import { obtainWeightsPath } from './weights.ts';

function reporterFor(io: CliIo, printEvery: number): ProgressReporter {
  return io.stderr.isTTY ? createBarReporter(io.stderr as NodeJS.WritableStream) : createLineReporter(io.stdout, printEvery);
}

/** A coarse-to-fine plan that cannot run is the user's flags' fault: say so before loading anything. */
function checkScalePlan(args: RunArgs): void {
  try {
    planScales(args.options);
  } catch (e) {
    throw new UsageError(withDashes(oneLine(e)));
  }
}

export async function runStylize(args: RunArgs, io: CliIo): Promise<number> {
  const controller = new AbortController();
  const { signal } = controller;
  const removeInterrupt = io.onInterrupt(() => controller.abort());
  const throwIfAborted = () => {
    if (signal.aborted) throw new CancelledError();
  };
  let log: JsonLog | undefined;
  let engine: Engine | undefined;
  let reporter: ProgressReporter | undefined;
  const previews: Promise<void>[] = [];
  try {
    checkScalePlan(args);
    await checkInputFiles(args);
    if (args.logJson !== undefined) log = openJsonLog(args.logJson);
    const threads = engineThreads(io.env);
    const backend = await chooseBackend(args.backend, { threads });
    throwIfAborted();
    const weightsPath = await obtainWeightsPath(args.weights, io, signal);
    throwIfAborted();
    engine = await startEngine(backend, await loadVggWeights(weightsPath), threads);
    throwIfAborted();

    const progress = reporterFor(io, args.options.printEvery);
    reporter = progress;
    const visuals = new RunVisuals(args);
    const result = await runPipeline({
      content: args.content,
      styles: args.styles,
      initImage: args.initImage,
      options: args.options,
      engine,
      signal,
      onProgress(p: Progress) {
        log?.write(p);
        visuals.progress(p);
        progress.update(p);
      },
      onFrame: visuals.onFrame,
      onPreview(iteration: number, png: Buffer) {
        const file = previewPath(args.output, iteration);
        // Caught at once: a rejection left pending until the run ends would crash the process.
        previews.push(writeImageFile(file, png).catch((e) => void io.stderr.write(`stylize: warning: preview ${file} not written (${oneLine(e)})\n`)));
      },
    });
    await Promise.all(previews);
    throwIfAborted();
    await writeImageFile(args.output, result.png);
    const extras = await visuals.write(result);
    progress.finish();
    io.stdout.write(`done in ${formatSeconds(result.runtimeMs)} → ${[args.output, ...extras].join(', ')}\n`);
    return EXIT_OK;
  } catch (e) {
    reporter?.stop();
    await Promise.all(previews);
    return reportRunFailure(io, e, signal.aborted);
  } finally {
    removeInterrupt();
    log?.close();
    await engine?.dispose();
  }
}
