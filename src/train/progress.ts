/**
 * Progress of a run: the events the runner emits, and a printer for them. On a terminal the
 * printer rewrites one line (`\r`) with a bar, loss, accuracy and ETA; elsewhere (notebook
 * cells, CI logs, files) it prints a line at a few points of each long epoch and one line per
 * epoch, so the output stays short.
 * @module
 */
import type { EpochMetrics, RunStatus } from '../run-format/index';

/** What {@link runExperiment} reports while it works. */
export type ProgressEvent =
  | {
      type: 'start';
      runId: string;
      runDir: string;
      backend: string;
      epochs: number;
      /** Epochs already done (non-zero on resume). */
      startEpoch: number;
      batchesPerEpoch: number;
      trainSize: number;
      testSize: number;
    }
  | {
      type: 'batch';
      /** 1-based epoch and the number of batches done in it. */
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      /** Running mean loss and top-1 accuracy of the epoch. */
      loss: number;
      accuracy: number;
      lr: number | undefined;
    }
  | { type: 'epoch'; epochs: number; metrics: EpochMetrics }
  | { type: 'end'; runId: string; status: RunStatus; epochsDone: number; message?: string }
  /**
   * Something the user must know that does not stop the run (a damaged checkpoint passed over
   * for an earlier one, a checkpoint loaded without verification). The runner also writes it to
   * stderr, so {@link progressPrinter} does not print it again.
   */
  | { type: 'warning'; runId: string; message: string };

/** Options of {@link progressPrinter}. */
export interface ProgressPrinterOptions {
  /** Where to write (default process.stdout). */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Rewrite one line with `\r` (default: whether the stream is a TTY). */
  tty?: boolean;
  /** Without a TTY: print within an epoch at every this many percent ... (default 25). */
  everyPercent?: number;
  /** ... but only when at least this many seconds passed since the last line (default 10). */
  minSeconds?: number;
  /** Prefix of every line (e.g. a worker name). */
  prefix?: string;
  /** Clock in milliseconds (tests inject one). */
  now?: () => number;
}

/** `93 s`, `4 min 10 s`, `2 h 05 min`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(2)}%`);
const fix = (v: number | null, d = 4): string => (v === null ? '-' : v.toFixed(d));

/** A bar of `width` cells, `done` of `total` filled. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.min(width, Math.round((width * done) / total)) : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The one-line summary of an epoch. */
export function formatEpochLine(m: EpochMetrics, epochs: number): string {
  const test = m.testLoss === null ? '' : ` | test loss ${fix(m.testLoss)} top1 ${pct(m.testTop1)} top5 ${pct(m.testTop5)}`;
  return (
    `epoch ${m.epoch}/${epochs} | train loss ${fix(m.trainLoss)} top1 ${pct(m.trainTop1)}${test} | lr ${m.lr === null ? '-' : m.lr.toPrecision(3)} | ` +
    `${m.epochSeconds.toFixed(1)} s, ${Math.round(m.imagesPerSecond)} img/s${m.diverged ? ' | DIVERGED' : ''}`
  );
}

/**
 * A progress handler for `runExperiment(config, {onProgress})`.
 * @example runExperiment(config, { onProgress: progressPrinter() })
 */
export function progressPrinter(options: ProgressPrinterOptions = {}): (e: ProgressEvent) => void {
  const stream = options.stream ?? process.stdout;
  const tty = options.tty ?? Boolean(stream.isTTY);
  const every = options.everyPercent ?? 25;
  const minMs = 1000 * (options.minSeconds ?? 10);
  const now = options.now ?? (() => performance.now());
  const prefix = options.prefix ?? '';
  let start = now();
  let lastLine = start;
  let lastBucket = 0;
  let doneAtStart = 0; // batches of earlier processes (resume): not counted in the rate
  let lineOpen = false;

  const out = (s: string): void => {
    stream.write(s);
  };
  const endLine = (): void => {
    if (lineOpen) out('\n');
    lineOpen = false;
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        start = lastLine = now();
        doneAtStart = e.startEpoch * e.batchesPerEpoch;
        out(
          `${prefix}run ${e.runId} (${e.backend}): ${e.trainSize} training / ${e.testSize} test images, ` +
            `${e.epochs} epochs of ${e.batchesPerEpoch} batches${e.startEpoch > 0 ? `, resuming after epoch ${e.startEpoch}` : ''}\n`,
        );
        return;
      case 'batch': {
        const done = (e.epoch - 1) * e.batches + e.batch;
        const rate = (done - doneAtStart) / Math.max(1e-9, (now() - start) / 1000);
        const eta = (e.epochs * e.batches - done) / rate;
        const text =
          `${prefix}epoch ${e.epoch}/${e.epochs} ${bar(e.batch, e.batches)} ${e.batch}/${e.batches} ` +
          `loss ${e.loss.toFixed(4)} acc ${(100 * e.accuracy).toFixed(1)}%${e.lr !== undefined ? ` lr ${e.lr.toPrecision(3)}` : ''} ETA ${formatDuration(eta)}`;
        if (tty) {
          const width = stream.columns ?? 120;
          out(`\r${text.slice(0, width - 1).padEnd(Math.min(width - 1, text.length + 2))}`);
          lineOpen = true;
          return;
        }
        const bucket = Math.floor((100 * e.batch) / e.batches / every);
        if (e.batch === 1) lastBucket = 0;
        if (bucket > lastBucket && e.batch < e.batches && now() - lastLine >= minMs) {
          out(`${text}\n`);
          lastLine = now();
        }
        if (bucket > lastBucket) lastBucket = bucket;
        return;
      }
      case 'epoch':
        // Erase the bar's line on a terminal and print the summary in its place.
        if (tty && lineOpen) out('\r\x1b[K');
        lineOpen = false;
        out(`${prefix}${formatEpochLine(e.metrics, e.epochs)}\n`);
        lastLine = now();
        return;
      case 'warning':
        return;
      case 'end':
        endLine();
        out(`${prefix}run ${e.runId}: ${e.status} after ${e.epochsDone} epoch(s)${e.message ? ` (${e.message})` : ''}\n`);
        return;
    }
  };
}
