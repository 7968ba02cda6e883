/**
 * The writer of a run's `steps.jsonl` (run-format/step-metrics.ts): one line every `every`
 * optimizer steps (steps 1, 1+every, 1+2*every, ..., the cadence of the gradient observer), so a
 * dashboard can follow a run between epochs. Each line is appended in one write as it is made,
 * so a crash loses at most the line being written (readers ignore a torn last line); the runner
 * drops the lines of epochs after the checkpoint it resumes from, so a resumed run continues
 * the file without duplicates.
 *
 * Costs per step: a clock read and a modulo. Gradient norms are read only on logging steps (the
 * observer computes nothing on the others), in the one read-back the observer already does.
 * @module
 */
import { gafFromJSON } from '../gaf/gaf';
import { gafKnee } from '../gaf/knee';
import type { GradientStats } from '../optim/observe';
import { appendJsonLine, type StepGradient, type StepLine } from '../run-format/index';
import type { ResolvedConfig } from '../config/index';

/** What the epoch loop knows after a step, passed to {@link StepMetricsLog.afterStep}. */
export interface StepInfo {
  /** The optimizer's iteration count after the step (1-based step number). */
  step: number;
  /** 1-based epoch and batch. */
  epoch: number;
  batch: number;
  batches: number;
  /** This batch's loss. */
  loss: number;
  /** Samples trained in this epoch so far, this batch included. */
  samples: number;
  lr: number | undefined;
}

/**
 * The knee of the run's GAF where the step lines can say what it enlarges: a built-in GAF
 * applied to the gradient (not to the update, where the raw gradient's magnitudes are not what
 * the GAF sees). Null otherwise: no GAF, a control, the adaptive GAF, a reference variant.
 */
export function kneeOfConfig(r: Pick<ResolvedConfig, 'optimizer'>): number | null {
  const o = r.optimizer as { gaf?: { kind: string; alpha: number; beta: number } | null; placement?: string };
  if (!o.gaf || o.placement === 'update') return null;
  try {
    return gafKnee(gafFromJSON(o.gaf as Parameters<typeof gafFromJSON>[0])) ?? null;
  } catch {
    return null;
  }
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Appends a run's step lines; one per run and training call. */
export class StepMetricsLog {
  private last = performance.now();
  private samples = 0;
  private pending: { step: number; grads: StepGradient[] } | null = null;

  /**
   * @param file the run's `steps.jsonl`
   * @param every log steps 1, 1+every, ... (integer >= 1)
   * @param knee the GAF's knee ({@link kneeOfConfig}); null when the fractions do not apply
   * @param names the model's names of tfjs variables (tfjs names them per session; the model's are stable)
   */
  constructor(
    readonly file: string,
    readonly every: number,
    readonly knee: number | null,
    private readonly names: ReadonlyMap<string, string> = new Map(),
  ) {
    if (!Number.isInteger(every) || every < 1) throw new Error(`StepMetricsLog: every must be an integer >= 1, got ${every}.`);
  }

  /** Whether step `step` (1-based) gets a line. */
  logs(step: number): boolean {
    return (step - 1) % this.every === 0;
  }

  /** The observer cadence that serves both this log and gradient statistics every `gradEvery` steps. */
  observationEvery(gradEvery: number): number {
    return gcd(gradEvery, this.every);
  }

  /** Restarts the step clock (at the start of an epoch, so evaluation time is not counted as a step). */
  restartClock(): void {
    this.last = performance.now();
    this.samples = 0;
  }

  /** Takes the observer's statistics of a step; kept for that step's line when it is a logging step. */
  gradients(stats: readonly GradientStats[]): void {
    const step = stats[0]?.step;
    if (step === undefined || !this.logs(step)) return;
    this.pending = {
      step,
      grads: stats.map((s) => ({
        variable: this.names.get(s.variable) ?? s.variable,
        rawL2: s.raw.l2,
        actL2: s.activated.l2,
        enlarged: this.knee === null ? null : (s.raw.belowKnee ?? null),
        restricted: this.knee === null ? null : (s.raw.aboveKnee ?? null),
      })),
    };
  }

  /** Called after every step; appends the step's line on logging steps. */
  afterStep(s: StepInfo): void {
    const now = performance.now();
    const stepMs = now - this.last;
    this.last = now;
    const size = s.samples - this.samples;
    this.samples = s.samples;
    if (!this.logs(s.step)) return;
    const line: StepLine = {
      step: s.step,
      epoch: s.epoch,
      batch: s.batch,
      batches: s.batches,
      loss: s.loss,
      lr: s.lr ?? null,
      stepMs,
      imagesPerSec: size / Math.max(1e-9, stepMs / 1000),
      time: Date.now(),
    };
    if (this.pending?.step === s.step) {
      line.knee = this.knee;
      line.grads = this.pending.grads;
    }
    this.pending = null;
    appendJsonLine(this.file, line);
  }
}
