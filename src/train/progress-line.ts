/**
 * A progress line for long work (notebook cells, ablation studies) that updates in place in a
 * notebook cell instead of flooding the output, and prints a line now and then elsewhere.
 * @module
 */
import { formatDuration } from './progress';
import { tslabModule } from './tslab';

/** A progress reporter made by {@link progressLine}. */
export interface ProgressLine {
  /** Sets the number of units done (and an optional note such as the current item). */
  update(done: number, note?: string): void;
  /** Marks it finished (prints the final line). */
  done(note?: string): void;
}

/** Options of {@link progressLine}. */
export interface ProgressLineOptions {
  /** Outside a notebook, print at most every this many seconds (default 10). */
  minSeconds?: number;
  /** Clock in ms (tests inject one). */
  now?: () => number;
  /** Where text goes outside a notebook (default console.log). */
  log?: (line: string) => void;
}

/** `label [#####.....] 12/40 (30%) 1 min 02 s left - note`. */
export function formatProgress(label: string, done: number, total: number, elapsedSeconds: number, note?: string): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const width = 20;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  const eta = done > 0 && done < total ? `, ${formatDuration((elapsedSeconds / done) * (total - done))} left` : '';
  const time = done >= total ? `, ${formatDuration(elapsedSeconds)}` : eta;
  return `${label} [${bar}] ${done}/${total} (${Math.round(frac * 100)}%)${time}${note ? ` - ${note}` : ''}`;
}

/**
 * Progress of `total` units of work. In a tslab cell one display entry is rewritten on every
 * update (the saved notebook keeps only the last state); elsewhere a line is printed at most
 * every `minSeconds`, plus the final one.
 */
export function progressLine(label: string, total: number, options: ProgressLineOptions = {}): ProgressLine {
  if (!Number.isInteger(total) || total < 0)
    throw new Error(`progressLine(${label}): total must be a whole number >= 0, got ${String(total)}.`);
  const now = options.now ?? (() => performance.now());
  const log = options.log ?? ((s: string) => console.log(s));
  const minMs = (options.minSeconds ?? 10) * 1000;
  const t0 = now();
  const tslab = options.log ? null : tslabModule();
  const entry = tslab?.newDisplay() ?? null;
  let lastPrint = -Infinity;
  let count = 0;
  const show = (text: string, force: boolean): void => {
    if (entry) entry.text(text);
    else if (force || now() - lastPrint >= minMs) {
      log(text);
      lastPrint = now();
    }
  };
  show(formatProgress(label, 0, total, 0), false);
  return {
    update(done, note) {
      count = done;
      show(formatProgress(label, done, total, (now() - t0) / 1000, note), false);
    },
    done(note) {
      show(formatProgress(label, Math.max(count, total), total, (now() - t0) / 1000, note), true);
    },
  };
}
