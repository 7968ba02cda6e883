/**
 * One progress line for a whole sweep trained inside a notebook cell: runs done out of the
 * sweep's runs, with the current run, epoch and batch as a note, instead of a line per batch.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readManifest, RUN_FILES, type RunStatus } from '../run-format/index';
import type { ProgressEvent } from '../train/progress';
import { expandSweep, parseSweepConfig, readSweep } from '../sweep/index';
import { progressLine, type ProgressLineOptions } from '../train/progress-line';

/** Options of {@link sweepProgress}. */
export interface SweepProgressOptions extends ProgressLineOptions {
  /** Label in front of the bar (default: the sweep's name). */
  label?: string;
  /** Refresh the note on batch events at most every this many seconds (default 2). */
  batchSeconds?: number;
  /** The sweep will be trained from a clean folder (`trainSweep({fresh: true})`): ignore what the folder holds now. */
  fresh?: boolean;
}

/** What {@link sweepProgress} returns: pass `onProgress` to `runSweep`, call `finish` after it. */
export interface SweepProgress {
  /** The handler for `runSweep(config, {onProgress})`. */
  onProgress: (e: ProgressEvent) => void;
  /** Prints the final line (once; also done by itself when the last run ends) and returns its note. */
  finish(): string;
  /** Runs that ended while this was listening, by status. */
  readonly ended: Partial<Record<RunStatus, number>>;
  /** Runs of the sweep, and how many of them had ended (completed or diverged) before; the bar counts the rest. */
  readonly total: number;
  readonly endedBefore: number;
}

const pct = (v: number | null | undefined): string => (typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : '-');

/**
 * A progress line over the runs of the sweep `config` (object or file; the run list of its
 * folder's sweep.json when the folder exists): runs that had already ended there count as done
 * from the start (runSweep skips them); each `end` event adds one. The note shows the run in flight, its epoch and batch (refreshed at most every
 * `batchSeconds`), and its last test top-1.
 */
export function sweepProgress(config: unknown, options: SweepProgressOptions = {}): SweepProgress {
  const sweep = parseSweepConfig(config);
  const sweepDir = path.resolve(sweep.outDir);
  // An existing folder's own list is what runSweep goes through (or refuses, if the config changed).
  const runIds =
    !options.fresh && fs.existsSync(path.join(sweepDir, 'sweep.json'))
      ? readSweep(sweepDir).runs.map((r) => r.runId)
      : expandSweep({ ...sweep, outDir: sweepDir }).map((r) => r.runId);
  const endedBefore = options.fresh
    ? 0
    : runIds.filter((runId) => {
        const dir = path.join(sweepDir, runId);
        if (!fs.existsSync(path.join(dir, RUN_FILES.manifest))) return false;
        const status = readManifest(dir).status;
        return status === 'completed' || status === 'diverged';
      }).length;
  const total = runIds.length;
  const now = options.now ?? (() => performance.now());
  const minBatchMs = 1000 * (options.batchSeconds ?? 2);
  // The bar counts the runs left to train, so that its time estimate comes from this session's pace.
  const toTrain = total - endedBefore;
  const line = progressLine(options.label ?? sweep.name ?? 'sweep', toTrain, options);
  const ended: Partial<Record<RunStatus, number>> = {};
  let done = 0;
  let finished = '';
  let lastBatch = -Infinity;
  let current = '';
  if (endedBefore > 0) line.update(0, `${endedBefore} of ${total} runs had ended before`);

  const summary = (): string => {
    const parts = Object.entries(ended).map(([s, n]) => `${n} ${s}`);
    return `${parts.length ? parts.join(', ') : 'nothing trained'}${endedBefore ? `; ${endedBefore} had ended before` : ''}`;
  };
  const finish = (): string => {
    if (!finished) {
      finished = summary();
      line.done(finished);
    }
    return finished;
  };
  const onProgress = (e: ProgressEvent): void => {
    switch (e.type) {
      case 'start':
        current = e.runId;
        line.update(done, `${current}: starting${e.startEpoch ? ` (resuming after epoch ${e.startEpoch})` : ''}`);
        return;
      case 'batch':
        if (now() - lastBatch < minBatchMs) return;
        lastBatch = now();
        line.update(done, `${current}: epoch ${e.epoch}/${e.epochs}, batch ${e.batch}/${e.batches}, loss ${e.loss.toFixed(3)}`);
        return;
      case 'epoch':
        line.update(done, `${current}: epoch ${e.metrics.epoch}/${e.epochs} done, test top-1 ${pct(e.metrics.testTop1)}`);
        return;
      case 'end':
        ended[e.status] = (ended[e.status] ?? 0) + 1;
        done++;
        line.update(done, `${e.runId}: ${e.status}${e.message ? ` (${e.message})` : ''}`);
        if (done >= toTrain) finish();
        return;
    }
  };
  return { onProgress, finish, ended, total, endedBefore };
}
