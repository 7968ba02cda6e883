/**
 * The per-step records of a run folder: `steps.jsonl`, one line every few optimizer steps
 * (the config's `stepMetrics.every`), written while the run trains so that a dashboard, a
 * notebook chart or an exporter can follow it. See docs/run-format.md.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJsonLines } from './json-lines';
import { RUN_FILES } from './run-files';

/**
 * The gradient figures of one layer (variable) at a logging step, present when the run observes
 * gradients (`gradStats` in the config).
 */
export interface StepGradient {
  /** The variable's name in the model (`dense_Dense1/kernel`). */
  variable: string;
  /** L2 norm of the raw gradient (before the GAF). */
  rawL2: number;
  /** L2 norm of the GAF's output (equal to rawL2 without a GAF). */
  actL2: number;
  /**
   * Fraction of the raw gradient's components with |x| below the GAF's knee, where |g(x)| > |x|:
   * the components the GAF enlarges. Null when the optimizer has no built-in GAF.
   */
  enlarged: number | null;
  /** Fraction of components with |x| above the knee, where |g(x)| < |x|: those the GAF restricts. Null without a GAF. */
  restricted: number | null;
}

/** One line of `steps.jsonl`. */
export interface StepLine {
  /** 1-based optimizer step (the optimizer's iteration count after the step). */
  step: number;
  /** 1-based epoch, and the 1-based batch within it out of `batches`. */
  epoch: number;
  batch: number;
  batches: number;
  /** Cross-entropy of this step's batch (before the update). */
  loss: number;
  /** Learning rate the step used (null when the optimizer has none to read). */
  lr: number | null;
  /** Wall time since the previous step ended (data loading, forward, backward, update, read-back), in ms. */
  stepMs: number;
  /** Batch size over `stepMs`. */
  imagesPerSec: number;
  /** Milliseconds since the Unix epoch when the step ended (for wall-clock axes and TensorBoard). */
  time: number;
  /** The GAF's knee (see {@link StepGradient}); null without a built-in GAF or without gradient observation. */
  knee?: number | null;
  /** Per-layer gradient figures; only when the run observes gradients. */
  grads?: StepGradient[];
}

/** The path of a run's `steps.jsonl`. */
export function stepsFile(runDir: string): string {
  return path.join(runDir, RUN_FILES.steps);
}

/**
 * The step lines of a run in file order (a torn last line, from a write in progress or a crash,
 * is ignored). A run made before step metrics existed, or that has not logged a step yet, has none.
 */
export function readStepLines(runDir: string): StepLine[] {
  return readJsonLines<StepLine>(stepsFile(runDir));
}

/**
 * The step lines appended since byte `offset` (for following a growing file): the complete lines
 * after it, and the offset to pass next time (just after the last complete line). A file that
 * shrank below `offset` (rewritten on resume) is read again from the start, with `reset` true.
 */
export function readStepLinesFrom(runDir: string, offset: number): { lines: StepLine[]; next: number; reset: boolean } {
  const file = stepsFile(runDir);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { lines: [], next: 0, reset: offset > 0 };
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const reset = size < offset;
    const start = reset ? 0 : offset;
    const buf = Buffer.alloc(size - start);
    if (buf.length > 0) fs.readSync(fd, buf, 0, buf.length, start);
    const end = buf.lastIndexOf(0x0a) + 1; // only complete lines
    const lines: StepLine[] = [];
    for (const text of buf.subarray(0, end).toString('utf8').split('\n')) {
      if (text.trim() === '') continue;
      try {
        const v = JSON.parse(text) as unknown;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) lines.push(v as StepLine);
      } catch {
        // a damaged line is skipped here; readStepLines names it
      }
    }
    return { lines, next: start + end, reset };
  } finally {
    fs.closeSync(fd);
  }
}
