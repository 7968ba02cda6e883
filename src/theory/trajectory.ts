/**
 * Runs a real tfjs optimizer on a small problem defined on one vector variable and records
 * the iterates. Shared by the quadratic (ill-conditioning) and saddle-point studies: the
 * gradient comes from tfjs autodiff through `optimizer.minimize`, so what is measured is the
 * gaf-lab optimizer itself, not a re-implementation of its update rule.
 */
import * as tf from '@tensorflow/tfjs';
import { checkNum, checkNumArray, fail } from './validate';

/** A differentiable function of one vector w (shape `[dims]`), in tensor and in number form. */
export interface TheoryProblem {
  /** Short name for tables and legends, e.g. `quadratic(kappa=100)`. */
  readonly name: string;
  /** Length of w. */
  readonly dims: number;
  /** f(w) built from differentiable tf ops (the optimizer's gradient comes from this). */
  loss(w: tf.Tensor1D): tf.Scalar;
  /**
   * f(w) in float64 from plain numbers. Recorded losses and stopping rules use it on the
   * float32 iterate read back from the variable, so a tolerance like 1e-10 is not lost in
   * float32 rounding of the loss itself.
   */
  value(w: ArrayLike<number>): number;
}

/**
 * Makes a fresh optimizer for one run. The runner disposes it at the end of the run, so the
 * factory must not hand out an optimizer that is used elsewhere.
 */
export type OptimizerFactory = () => tf.Optimizer;

/** One recorded iterate: `step` updates done, `loss` = f(w_step), `w0, w1, ...` its coordinates. */
export interface TrajectoryRow {
  step: number;
  loss: number;
  [coordinate: string]: number;
}

/** Options of {@link runTrajectory}. */
export interface TrajectoryOptions {
  /** Most optimizer steps to take (integer >= 0). */
  steps: number;
  /** Starting point w_0 (length `dims`). */
  start: readonly number[];
  /** Stop at the first step t with f(w_t) <= tol (that t is `stoppedAt`). */
  tol?: number;
  /** Extra stopping rule, checked after every step (and at step 0) with the iterate read back. */
  stop?: (w: Float32Array, loss: number, step: number) => boolean;
  /** Record every k-th step (default 1); step 0 and the last step are always recorded. */
  recordEvery?: number;
  /** Record at most this many coordinates as `w0..` (default `min(dims, 10)`). */
  recordCoords?: number;
  /**
   * A loss that is not finite or above this counts as divergence and ends the run
   * (default `1e6 * max(1, |f(w_0)|)`).
   */
  divergeAbove?: number;
}

/** What {@link runTrajectory} returns: plain data only (no tensors). */
export interface TrajectoryResult {
  rows: TrajectoryRow[];
  /** First step at which `tol` or `stop` was met (0 when already at the start), else null. */
  stoppedAt: number | null;
  /** True when the loss blew up (see `divergeAbove`). */
  diverged: boolean;
  /** Steps actually taken. */
  steps: number;
  /** Last iterate and its loss. */
  final: number[];
  finalLoss: number;
}

function rowOf(step: number, loss: number, w: Float32Array, coords: number): TrajectoryRow {
  const row: TrajectoryRow = { step, loss };
  for (let i = 0; i < coords; i++) row[`w${i}`] = w[i]!;
  return row;
}

/**
 * Minimises `problem` from `start` with the optimizer `make()` returns, one
 * `optimizer.minimize` per step, reading the iterate back after each step. Leaves no tensors
 * behind (the variable and the optimizer are disposed).
 */
export function runTrajectory(problem: TheoryProblem, make: OptimizerFactory, options: TrajectoryOptions): TrajectoryResult {
  const where = 'runTrajectory';
  const steps = checkNum(where, 'steps', options.steps, { min: 0, integer: true, hint: 'e.g. {steps: 1000}.' });
  const start = checkNumArray(where, 'start', options.start);
  if (start.length !== problem.dims) fail(where, 'start', options.start, `of length ${problem.dims} (the dims of ${problem.name})`);
  const tol = options.tol === undefined ? undefined : checkNum(where, 'tol', options.tol, { min: 0 });
  const every = checkNum(where, 'recordEvery', options.recordEvery ?? 1, { min: 1, integer: true });
  const coords = checkNum(where, 'recordCoords', options.recordCoords ?? Math.min(problem.dims, 10), { min: 0, integer: true });
  if (typeof make !== 'function')
    fail(where, 'make', make, 'a function returning a fresh tf.Optimizer', 'e.g. () => sgd({learningRate: 0.1}).');

  const optimizer = make();
  // Duck-typed rather than instanceof: a notebook may load a second copy of tfjs.
  if (
    !optimizer ||
    typeof (optimizer as tf.Optimizer).minimize !== 'function' ||
    typeof (optimizer as tf.Optimizer).dispose !== 'function'
  ) {
    fail(where, 'make()', typeof optimizer, 'a tf.Optimizer (from sgd(), adam(), withGaf(), tf.train.*)');
  }
  const w = tf.tidy(() => tf.variable(tf.tensor1d(start), true));
  try {
    const f0 = problem.value(Float32Array.from(start));
    const divergeAbove = options.divergeAbove ?? 1e6 * Math.max(1, Math.abs(f0));
    const rows: TrajectoryRow[] = [];
    let cur = w.dataSync() as Float32Array;
    let loss = problem.value(cur);
    const met = (t: number): boolean => (tol !== undefined && loss <= tol) || (options.stop !== undefined && options.stop(cur, loss, t));
    let stoppedAt: number | null = met(0) ? 0 : null;
    let diverged = false;
    let t = 0;
    rows.push(rowOf(0, loss, cur, coords));
    while (stoppedAt === null && t < steps) {
      optimizer.minimize(() => problem.loss(w as tf.Tensor1D), false, [w]);
      t++;
      cur = w.dataSync() as Float32Array;
      loss = problem.value(cur);
      diverged = !Number.isFinite(loss) || loss > divergeAbove;
      if (!diverged && met(t)) stoppedAt = t;
      if (t % every === 0 || diverged || stoppedAt !== null || t === steps) rows.push(rowOf(t, loss, cur, coords));
      if (diverged) break;
    }
    return { rows, stoppedAt, diverged, steps: t, final: Array.from(cur), finalLoss: loss };
  } finally {
    w.dispose();
    optimizer.dispose();
  }
}

/** An optimizer with a legend label, for {@link labelledTrajectories}. */
export interface LabelledOptimizer {
  /** Legend label, e.g. `GD, lr 0.1`. */
  label: string;
  /** A fresh optimizer for one run. */
  make: OptimizerFactory;
}

/** A {@link TrajectoryRow} with the label of the method that produced it. */
export interface LabelledTrajectoryRow {
  method: string;
  step: number;
  loss: number;
  [coordinate: string]: number | string;
}

/**
 * {@link runTrajectory} for each optimizer from the same start, with the rows of all runs in one
 * array, each tagged with its `method` label (runs in the order given, steps in order within a
 * run): the input of a trajectory-on-contour figure.
 */
export function labelledTrajectories(
  problem: TheoryProblem,
  runs: readonly LabelledOptimizer[],
  options: TrajectoryOptions,
): LabelledTrajectoryRow[] {
  const where = 'labelledTrajectories';
  if (!Array.isArray(runs) || runs.length === 0) fail(where, 'runs', runs, 'a non-empty array of {label, make}');
  const labels = runs.map((r, i) => {
    if (!r || typeof r.label !== 'string' || r.label === '') fail(where, `runs[${i}].label`, r?.label, 'a non-empty string');
    return r.label;
  });
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup !== undefined) fail(where, 'runs', labels, 'distinct labels (the legend tells runs apart by label)', `"${dup}" appears twice.`);
  return runs.flatMap((r) => runTrajectory(problem, r.make, options).rows.map((row) => ({ ...row, method: r.label })));
}
