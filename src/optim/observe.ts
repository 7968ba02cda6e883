import * as tf from '@tensorflow/tfjs';
import { checkNumber } from './validate';

/** Summary of one gradient tensor. */
export interface GradientSummary {
  /** Euclidean norm sqrt(sum g^2). */
  l2: number;
  /** max |g|. */
  maxAbs: number;
  /** Fraction of entries with |g| < tinyThreshold, in [0, 1]. */
  tinyFraction: number;
  /** Fraction of entries with |g| < knee (raw gradient, only when observed with a `knee`). */
  belowKnee?: number;
  /** Fraction of entries with |g| > knee (raw gradient, only when observed with a `knee`). */
  aboveKnee?: number;
}

/** What the observer reports for one variable at one step. */
export interface GradientStats {
  /** 1-based optimizer step (tfjs `iterations` after the step). */
  step: number;
  /** Variable name as tfjs knows it (in model.fit: the layer weight name). */
  variable: string;
  /** Number of entries in the gradient. */
  size: number;
  /** The gradient as it came in (before GAF, weight decay or momentum). */
  raw: GradientSummary;
  /**
   * The output of the GAF stage: the activated gradient, or for `gafPlacement: 'update'` and
   * the adaptive GAF the activated momentum output. Equal to `raw` when there is no GAF.
   */
  activated: GradientSummary;
}

/** Options of `optimizer.observeGradients`. */
export interface ObserveOptions {
  /** Observe steps 1, 1+every, 1+2*every, ... (integer >= 1, default 1: every step). */
  every?: number;
  /** Entries with |g| below this count as tiny (default {@link DEFAULT_TINY_THRESHOLD}). */
  tinyThreshold?: number;
  /** Called once per observed step with one record per variable updated in that step. */
  onStats: (stats: GradientStats[]) => void;
  /**
   * Also count the raw gradient's entries below and above this magnitude (`raw.belowKnee`,
   * `raw.aboveKnee`): given the GAF's knee, the components it enlarges and restricts.
   */
  knee?: number;
}

/**
 * Default threshold for "tiny" gradient entries: 1e-3, below which the atan GAFs of the paper
 * (alpha*beta = 2) clearly enlarge components (g(x) ~ alpha*beta*x).
 */
export const DEFAULT_TINY_THRESHOLD = 1e-3;

const PER_TENSOR = 3;
/** Values of a raw gradient's summary when a knee is counted too. */
const PER_TENSOR_KNEE = 5;

function summaryTensor(g: tf.Tensor, threshold: number, knee?: number): tf.Tensor1D {
  return tf.tidy(() => {
    const a = tf.abs(g);
    const parts = [tf.sqrt(tf.sum(tf.square(g))), tf.max(a), tf.mean(tf.cast(tf.less(a, threshold), 'float32'))];
    if (knee !== undefined) parts.push(tf.mean(tf.cast(tf.less(a, knee), 'float32')), tf.mean(tf.cast(tf.greater(a, knee), 'float32')));
    return tf.stack(parts) as tf.Tensor1D;
  });
}

function summaryAt(values: Float32Array | Int32Array | Uint8Array, at: number, withKnee = false): GradientSummary {
  const s: GradientSummary = { l2: values[at]!, maxAbs: values[at + 1]!, tinyFraction: values[at + 2]! };
  if (withKnee) {
    s.belowKnee = values[at + 3]!;
    s.aboveKnee = values[at + 4]!;
  }
  return s;
}

/** Collects the statistics of one step and reads them back with a single `dataSync`. */
export class StepCollector {
  private readonly names: string[] = [];
  private readonly sizes: number[] = [];
  private readonly parts: tf.Tensor[] = [];
  private readonly sameAsRaw: boolean[] = [];

  constructor(
    private readonly step: number,
    private readonly threshold: number,
    private readonly onStats: (stats: GradientStats[]) => void,
    private readonly knee?: number,
  ) {}

  /** Records one variable; `activated` null means "no GAF: same as raw". */
  add(variable: string, raw: tf.Tensor, activated: tf.Tensor | null): void {
    this.names.push(variable);
    this.sizes.push(raw.size);
    this.sameAsRaw.push(activated === null);
    this.parts.push(tf.keep(summaryTensor(raw, this.threshold, this.knee)));
    if (activated !== null) this.parts.push(tf.keep(summaryTensor(activated, this.threshold)));
  }

  /** Frees what was collected without reporting (the step failed). */
  discard(): void {
    tf.dispose(this.parts);
    this.parts.length = 0;
  }

  /**
   * Reads everything back at once, frees the tensors and calls `onStats`. Backends that cannot
   * read synchronously (webgpu in Node) read asynchronously: `onStats` is then called when the
   * read resolves, before anything the training loop awaits later (evaluation, the epoch's end).
   */
  finish(): void {
    if (this.parts.length === 0) return;
    let all: tf.Tensor | null = null;
    try {
      all = tf.concat(this.parts);
    } finally {
      tf.dispose(this.parts);
    }
    const read = all;
    if (tf.getBackend() === 'webgpu') {
      void read
        .data()
        .then(
          (values) => this.report(values),
          (e: unknown) =>
            process.stderr.write(
              `gaf-lab: gradient statistics of step ${this.step} could not be read back: ${e instanceof Error ? e.message : String(e)}\n`,
            ),
        )
        .finally(() => read.dispose());
      return;
    }
    try {
      this.report(read.dataSync());
    } finally {
      read.dispose();
    }
  }

  private report(values: Float32Array | Int32Array | Uint8Array): void {
    const stats: GradientStats[] = [];
    let at = 0;
    this.names.forEach((variable, i) => {
      const raw = summaryAt(values, at, this.knee !== undefined);
      at += this.knee !== undefined ? PER_TENSOR_KNEE : PER_TENSOR;
      let activated: GradientSummary = { l2: raw.l2, maxAbs: raw.maxAbs, tinyFraction: raw.tinyFraction };
      if (!this.sameAsRaw[i]) {
        activated = summaryAt(values, at);
        at += PER_TENSOR;
      }
      stats.push({ step: this.step, variable, size: this.sizes[i]!, raw, activated: { ...activated } });
    });
    this.onStats(stats);
  }
}

/**
 * Holds the (at most one) active gradient observer of an optimizer. While none is active the
 * optimizer asks `collectorFor` once per step and gets null: no tensors, no reads.
 */
export class ObservationHub {
  private active: { every: number; threshold: number; onStats: (s: GradientStats[]) => void; knee?: number } | null = null;

  /** Starts observing (replacing any earlier observer); returns the function that stops it. */
  observe(where: string, opts: ObserveOptions): () => void {
    if (opts === null || typeof opts !== 'object' || typeof opts.onStats !== 'function') {
      throw new Error(`${where}.observeGradients: give {onStats: (stats) => ...}; onStats must be a function.`);
    }
    const every = checkNumber(`${where}.observeGradients`, 'every', opts.every ?? 1, { min: 1 });
    if (!Number.isInteger(every)) throw new Error(`${where}.observeGradients: every must be an integer >= 1, got ${every}.`);
    const threshold = checkNumber(`${where}.observeGradients`, 'tinyThreshold', opts.tinyThreshold ?? DEFAULT_TINY_THRESHOLD, {
      min: 0,
      minOpen: true,
    });
    const knee = opts.knee === undefined ? undefined : checkNumber(`${where}.observeGradients`, 'knee', opts.knee, { min: 0 });
    const entry = { every, threshold, onStats: opts.onStats, knee };
    this.active = entry;
    return () => {
      if (this.active === entry) this.active = null;
    };
  }

  /** A collector when step `step` (1-based) is to be observed, else null. */
  collectorFor(step: number): StepCollector | null {
    const a = this.active;
    if (a === null || (step - 1) % a.every !== 0) return null;
    return new StepCollector(step, a.threshold, a.onStats, a.knee);
  }
}
