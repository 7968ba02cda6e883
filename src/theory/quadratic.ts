/**
 * Ill-conditioning on quadratics f(w) = 1/2 sum_i lambda_i w_i^2 (diagonal Hessian, minimum 0
 * at w = 0), minimised by the real gaf-lab optimizers.
 *
 * What theory says, so the measurements can be read against it:
 * - Gradient descent (GD) with step eta contracts direction i by |1 - eta*lambda_i| per step.
 *   The best fixed step is eta* = 2/(L+mu) (L = max lambda, mu = min lambda), giving the rate
 *   (kappa-1)/(kappa+1) with kappa = L/mu: iterations to a tolerance grow like kappa*ln(1/tol)/2.
 * - GD with a GAF g takes w_i <- w_i - eta*g(lambda_i w_i). For tiny gradients g(d) ~ g'(0)*d,
 *   so near the minimum it is GD with step eta*g'(0) (g'(0) = alpha*beta): the same condition
 *   number, the same kappa dependence, only the step is rescaled. Its linear-regime optimal
 *   step is therefore 2/((L+mu)*g'(0)). Far from the minimum a bounded g caps each component's
 *   step at eta*sup|g|, which slows the start instead of speeding it up. A GAF is element-wise
 *   and does not rotate or rescale directions by their curvature, so it cannot remove the
 *   kappa dependence; {@link itersVsCondition} measures how the two compare in practice.
 * - Momentum (Polyak's heavy ball, {@link heavyBallMethod}) is what improves the dependence to
 *   sqrt(kappa); it is included as a reference point.
 */
import * as tf from '@tensorflow/tfjs';
import type { Gaf } from '../gaf/gaf';
import { gafs } from '../gaf/gaf';
import { sgd } from '../optim/factories';
import { bestLearningRate, DEFAULT_LR_FACTORS, relativeGrid } from './learning-rate';
import {
  labelledTrajectories,
  runTrajectory,
  type LabelledTrajectoryRow,
  type OptimizerFactory,
  type TheoryProblem,
  type TrajectoryRow,
} from './trajectory';
import { checkNum, checkNumArray, fail, logSpace } from './validate';

/** A diagonal quadratic f(w) = 1/2 sum_i lambda_i w_i^2. */
export interface QuadraticProblem extends TheoryProblem {
  /** Hessian eigenvalues lambda_i (all > 0), in coordinate order. */
  readonly eigenvalues: readonly number[];
  /** Largest eigenvalue (smoothness constant). */
  readonly L: number;
  /** Smallest eigenvalue (strong-convexity constant). */
  readonly mu: number;
  /** Condition number L/mu. */
  readonly kappa: number;
}

/** The quadratic with the given Hessian eigenvalues (a 1-element array gives f = L w^2/2). */
export function diagonalQuadratic(eigenvalues: readonly number[], name?: string): QuadraticProblem {
  const eig = checkNumArray('diagonalQuadratic', 'eigenvalues', eigenvalues, { min: 0, minOpen: true, hint: 'e.g. [1, 100].' });
  const L = Math.max(...eig);
  const mu = Math.min(...eig);
  return Object.freeze({
    name: name ?? `quadratic(${eig.map((v) => Number(v.toPrecision(4))).join(', ')})`,
    dims: eig.length,
    eigenvalues: Object.freeze(eig.slice()),
    L,
    mu,
    kappa: L / mu,
    loss: (w: tf.Tensor1D) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.mul(tf.tensor1d(eig), tf.square(w))))) as tf.Scalar,
    value: (w: ArrayLike<number>) => {
      let s = 0;
      for (let i = 0; i < eig.length; i++) s += 0.5 * eig[i]! * w[i]! * w[i]!;
      return s;
    },
  });
}

/**
 * A `dims`-dimensional quadratic with condition number `condition`: eigenvalues log-spaced
 * from 1 to `condition` (so mu = 1, L = kappa = condition).
 *
 * @example quadratic(1000) // eigenvalues [1, 1000]
 */
export function quadratic(condition: number, dims = 2): QuadraticProblem {
  const kappa = checkNum('quadratic', 'condition', condition, { min: 1, hint: 'The condition number L/mu, e.g. 100.' });
  const d = checkNum('quadratic', 'dims', dims, { min: 1, integer: true });
  if (d === 1 && kappa !== 1)
    fail('quadratic', 'dims', dims, '>= 2 for a condition number above 1', 'A 1-D quadratic has kappa = 1; use diagonalQuadratic([L]).');
  return diagonalQuadratic(logSpace(1, kappa, d), `quadratic(kappa=${Number(kappa.toPrecision(4))}, dims=${d})`);
}

/** Options of {@link runOptimizer}. */
export interface RunOptimizerOptions {
  /** Most steps (default 10000). */
  steps?: number;
  /** Target loss: `iters` is the first step with f(w) <= tol (default 1e-6). */
  tol?: number;
  /** Starting point (default all ones). */
  start?: readonly number[];
  /** Record every k-th step in `rows` (default 1). */
  recordEvery?: number;
}

/** What {@link runOptimizer} returns. */
export interface RunOptimizerResult {
  /** Trajectory rows {step, loss, w0, w1, ...}. */
  rows: TrajectoryRow[];
  /** Steps to reach loss <= tol, or null (not reached within `steps`, or diverged). */
  iters: number | null;
  diverged: boolean;
  finalLoss: number;
}

/**
 * Minimises a quadratic with a real optimizer on a tf.variable until loss <= tol, and returns
 * the trajectory and the iteration count.
 *
 * @example runOptimizer(quadratic(100), () => sgd({learningRate: 2 / 101}), {tol: 1e-6})
 */
export function runOptimizer(problem: TheoryProblem, make: OptimizerFactory, options: RunOptimizerOptions = {}): RunOptimizerResult {
  const tol = checkNum('runOptimizer', 'tol', options.tol ?? 1e-6, { min: 0 });
  const r = runTrajectory(problem, make, {
    steps: options.steps ?? 10000,
    tol,
    start: options.start ?? new Array<number>(problem.dims).fill(1),
    recordEvery: options.recordEvery,
  });
  return { rows: r.rows, iters: r.diverged ? null : r.stoppedAt, diverged: r.diverged, finalLoss: r.finalLoss };
}

/**
 * Iterations plain GD at step `lr` needs on a diagonal quadratic, from the closed form
 * w_i(t) = (1 - lr*lambda_i)^t w_i(0) evaluated in float64 (no tfjs): the first t with
 * f(w(t)) <= tol, or null if not within `maxSteps`.
 */
export function gdIterationsClosedForm(
  problem: QuadraticProblem,
  lr: number,
  options: { tol?: number; start?: readonly number[]; maxSteps?: number } = {},
): number | null {
  const tol = options.tol ?? 1e-6;
  const start = options.start ?? new Array<number>(problem.dims).fill(1);
  const maxSteps = options.maxSteps ?? 1e6;
  const lam = problem.eigenvalues;
  const w = start.slice();
  for (let t = 0; t <= maxSteps; t++) {
    if (problem.value(w) <= tol) return t;
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * (1 - lr * lam[i]!);
  }
  return null;
}

/** A method compared on quadratics: how to build it for a learning rate, and its theory step. */
export interface QuadraticMethod {
  /** Legend label, e.g. `GD` or `GD+GAF 0.1*atan(20x)`. */
  label: string;
  /** A fresh optimizer with learning rate `lr` for `problem` (most methods ignore the problem). */
  make: (lr: number, problem: QuadraticProblem) => tf.Optimizer;
  /** The method's theoretically best fixed step on a quadratic with these L and mu. */
  theoryLr: (problem: QuadraticProblem) => number;
  /** That step as a formula, for tables (e.g. `2/(L+mu)`). */
  theoryLrRule: string;
}

/** Plain gradient descent (gaf-lab `sgd` without GAF); theory step 2/(L+mu). */
export function gdMethod(): QuadraticMethod {
  return { label: 'GD', make: (lr) => sgd({ learningRate: lr }), theoryLr: (p) => 2 / (p.L + p.mu), theoryLrRule: '2/(L+mu)' };
}

/**
 * GD with a GAF on the gradient (gaf-lab `sgd({gaf})`). Theory step 2/((L+mu) g'(0)): the
 * optimal step of the linearised iteration near the minimum, where g(d) ~ g'(0) d.
 */
export function gafMethod(gaf: Gaf, label = `GD+GAF ${gaf.name}`): QuadraticMethod {
  const slope = gaf.derivative(0);
  if (!(slope > 0 && Number.isFinite(slope)))
    fail('gafMethod', "gaf's g'(0)", slope, 'a finite number > 0', 'Use a GAF that increases through 0.');
  return {
    label,
    make: (lr) => sgd({ learningRate: lr, gaf }),
    theoryLr: (p) => 2 / ((p.L + p.mu) * slope),
    theoryLrRule: "2/((L+mu) g'(0))",
  };
}

/**
 * Polyak's heavy ball (gaf-lab `sgd` with momentum; PyTorch's form is the same iteration):
 * step 4/(sqrt L + sqrt mu)^2 and momentum ((sqrt kappa - 1)/(sqrt kappa + 1))^2, the optimal
 * pair on quadratics, set per problem; its iterations grow like sqrt(kappa). A reference for
 * what does fix ill-conditioning.
 */
export function heavyBallMethod(): QuadraticMethod {
  const momentumOf = (p: QuadraticProblem): number => Math.pow((Math.sqrt(p.kappa) - 1) / (Math.sqrt(p.kappa) + 1), 2);
  return {
    label: 'heavy ball',
    make: (lr, p) => sgd({ learningRate: lr, momentum: momentumOf(p) }),
    theoryLr: (p) => 4 / Math.pow(Math.sqrt(p.L) + Math.sqrt(p.mu), 2),
    theoryLrRule: '4/(sqrt L + sqrt mu)^2',
  };
}

/**
 * How each method's learning rate is chosen:
 * - `theory`: the method's {@link QuadraticMethod.theoryLr};
 * - `fixed`: the same `lr` for every method and problem (rarely fair: shown for contrast);
 * - `grid`: each method's best of `factors * theoryLr` (default {@link DEFAULT_LR_FACTORS},
 *   2^(k/2) for k = 4..-6, i.e. 4 down to 1/8), scored by iterations to tol: the fair comparison.
 */
export type LearningRatePolicy = { kind: 'theory' } | { kind: 'fixed'; lr: number } | { kind: 'grid'; factors?: readonly number[] };

/** Options of {@link itersVsCondition}. */
export interface ItersVsConditionOptions {
  /** Condition numbers (default [10, 100, 1000, 10000]). */
  conditions?: readonly number[];
  /** Dimension of each quadratic (default 2). */
  dims?: number;
  /** Methods (default GD and GD+GAF with `gaf`). */
  methods?: readonly QuadraticMethod[];
  /** GAF of the default GD+GAF method (default 0.1*atan(20x), the paper's CIFAR setting). */
  gaf?: Gaf;
  /** Learning-rate policy (default `{kind: 'grid'}`). */
  lr?: LearningRatePolicy;
  /** Loss tolerance (default 1e-6). */
  tol?: number;
  /** Step cap per run (default 200000); a run that does not reach tol within it counts as null. */
  maxSteps?: number;
  /** Start point (default all ones). */
  start?: readonly number[];
  /** Called after each (kappa, method) with its row, for progress output. */
  onRow?: (row: ItersVsConditionRow) => void;
}

/** One (condition number, method) result. */
export interface ItersVsConditionRow {
  kappa: number;
  method: string;
  /** The learning rate used. */
  lr: number | null;
  /** lr / the method's theory step (1 under the `theory` policy). */
  lrFactor: number | null;
  /** How lr was chosen: `theory: <rule>`, `fixed`, or `grid best of N`. */
  lrRule: string;
  /** Iterations to loss <= tol, or null when not reached within maxSteps (or diverged). */
  iters: number | null;
  /** For GD only: the same count from the float64 closed form at the same lr (a check on the run). */
  closedForm: number | null;
}

/**
 * Iterations to reach loss <= tol against the condition number, for GD and GD+GAF (or the
 * given methods), each with the learning rate its policy gives. With the default `grid`
 * policy every method gets its own best step from a half-octave grid around its theory step,
 * so the comparison is between methods, not between learning rates.
 *
 * Measured with the defaults (dims 2, start (1, 1), tol 1e-6, grid policy, cpu backend;
 * GD / GD + 0.1*atan(20x) / heavy ball): kappa 10: 39 / 93 / 17; 100: 444 / 870 / 69;
 * 1000: 4641 / 8639 / 238; 10^4: 46396 / 44584 / 754 iterations. GD+GAF needs about twice
 * GD's count up to kappa = 1000 (from (1, 1) the gradients start far outside atan's linear
 * range, so its steps are capped at lr*0.157 for a long while), and grows with kappa like GD.
 * Its apparent win at 10^4 is not convergence: its best step there is twice its linear
 * stability limit, and the stiff coordinate ends in the bounded 2-cycle the GAF creates
 * (amplitude 1.17e-5, loss 6.8e-7), which happens to lie below tol = 1e-6; with a smaller tol it
 * never gets there. Read iteration counts at a given tol with that in mind.
 */
export function itersVsCondition(options: ItersVsConditionOptions = {}): ItersVsConditionRow[] {
  const where = 'itersVsCondition';
  const conditions = checkNumArray(where, 'conditions', options.conditions ?? [10, 100, 1000, 10000], { min: 1 });
  const tol = checkNum(where, 'tol', options.tol ?? 1e-6, { min: 0, minOpen: true });
  const maxSteps = checkNum(where, 'maxSteps', options.maxSteps ?? 200000, { min: 1, integer: true });
  const policy = options.lr ?? { kind: 'grid' };
  if (!policy || !['theory', 'fixed', 'grid'].includes(policy.kind))
    fail(where, 'lr', policy, "{kind: 'theory'}, {kind: 'fixed', lr} or {kind: 'grid', factors?}");
  const methods = options.methods ?? [gdMethod(), gafMethod(options.gaf ?? gafs.atan({ alpha: 0.1, beta: 20 }))];
  const rows: ItersVsConditionRow[] = [];
  for (const kappa of conditions) {
    const problem = quadratic(kappa, options.dims ?? 2);
    const start = options.start ?? new Array<number>(problem.dims).fill(1);
    for (const m of methods) {
      const theory = m.theoryLr(problem);
      const run = (lr: number, cap: number): number | null =>
        runOptimizer(problem, () => m.make(lr, problem), { steps: cap, tol, start, recordEvery: cap + 1 }).iters;
      let lr: number | null;
      let iters: number | null;
      let lrRule: string;
      if (policy.kind === 'theory') {
        lr = theory;
        iters = run(lr, maxSteps);
        lrRule = `theory: ${m.theoryLrRule}`;
      } else if (policy.kind === 'fixed') {
        lr = checkNum(where, 'lr.lr', policy.lr, { min: 0, minOpen: true });
        iters = run(lr, maxSteps);
        lrRule = 'fixed';
      } else {
        const grid = relativeGrid(theory, policy.factors ?? DEFAULT_LR_FACTORS);
        // A run that cannot beat the best so far is cut at that count: it only has to lose.
        const best = bestLearningRate(grid, (g, bestSoFar) => {
          const it = run(g, Math.min(maxSteps, Number.isFinite(bestSoFar) ? bestSoFar - 1 : maxSteps));
          return { score: it ?? Infinity, result: it };
        });
        lr = best.lr;
        iters = best.result;
        lrRule = `grid best of ${grid.length} (${m.theoryLrRule} x 2^(k/2))`;
      }
      const closedForm = m.label === 'GD' && lr !== null ? gdIterationsClosedForm(problem, lr, { tol, start, maxSteps }) : null;
      const row = { kappa, method: m.label, lr, lrFactor: lr === null ? null : lr / theory, lrRule, iters, closedForm };
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/** One direction of {@link effectiveStep}. */
export interface EffectiveStepRow {
  direction: number;
  /** Raw gradient component d. */
  grad: number;
  /** g(d). */
  activated: number;
  /** g(d)/d: how much the GAF multiplies the step in this direction (g'(0) at d = 0). */
  ratio: number;
}

/**
 * The factor g(d)/d by which a GAF scales the step in each direction: above 1 where the
 * gradient is tiny (up to g'(0) = alpha*beta), below 1 where it is large. Since GD+GAF on a
 * quadratic is GD with step eta*g(d)/d per direction, these are the per-direction effective
 * learning-rate multipliers.
 */
export function effectiveStep(gaf: Gaf, grads: readonly number[]): EffectiveStepRow[] {
  const ds = checkNumArray('effectiveStep', 'grads', grads);
  return ds.map((d, i) => {
    const activated = gaf.value(d);
    return { direction: i, grad: d, activated, ratio: d === 0 ? gaf.derivative(0) : activated / d };
  });
}

/** One direction of {@link quadraticEffectiveSteps}. */
export interface QuadraticEffectiveStepRow extends EffectiveStepRow {
  eigenvalue: number;
  /** Coordinate w_i at which the gradient lambda_i*w_i was taken. */
  w: number;
  /** lr * ratio: the effective learning rate in this direction. */
  effectiveLr: number;
  /** 1 - effectiveLr*lambda_i: the factor w_i is multiplied by in this step (|.| < 1 contracts). */
  contraction: number;
}

/**
 * {@link effectiveStep} on a quadratic at point `w`: per direction the gradient lambda_i*w_i,
 * the GAF's multiplier, the effective learning rate and the per-step contraction factor of GD+GAF
 * (compare with 1 - lr*lambda_i for plain GD).
 */
export function quadraticEffectiveSteps(
  problem: QuadraticProblem,
  gaf: Gaf,
  options: { w?: readonly number[]; lr: number },
): QuadraticEffectiveStepRow[] {
  const lr = checkNum('quadraticEffectiveSteps', 'lr', options.lr, { min: 0, minOpen: true });
  const w = options.w === undefined ? new Array<number>(problem.dims).fill(1) : checkNumArray('quadraticEffectiveSteps', 'w', options.w);
  if (w.length !== problem.dims) fail('quadraticEffectiveSteps', 'w', options.w, `of length ${problem.dims}`);
  const grads = problem.eigenvalues.map((l, i) => l * w[i]!);
  return effectiveStep(gaf, grads).map((r, i) => {
    const lambda = problem.eigenvalues[i]!;
    const effectiveLr = lr * r.ratio;
    return { ...r, eigenvalue: lambda, w: w[i]!, effectiveLr, contraction: 1 - effectiveLr * lambda };
  });
}

/**
 * The learning rate each method used at condition number `kappa`, read from
 * {@link itersVsCondition} rows: `{label: lr}`. Methods whose every grid run failed (lr null) are
 * left out. Used to draw trajectories at the rates the iteration counts were measured with.
 */
export function learningRatesAt(rows: readonly ItersVsConditionRow[], kappa: number): Record<string, number> {
  const where = 'learningRatesAt';
  if (!Array.isArray(rows) || rows.length === 0) fail(where, 'rows', rows, 'a non-empty array of itersVsCondition rows');
  const at = rows.filter((r) => r.kappa === kappa);
  if (at.length === 0)
    fail(
      where,
      'kappa',
      kappa,
      `one of the rows' condition numbers (${[...new Set(rows.map((r) => r.kappa))].join(', ')})`,
      'Add it to the conditions of itersVsCondition.',
    );
  const out: Record<string, number> = {};
  for (const r of at) if (r.lr !== null) out[r.method] = r.lr;
  return out;
}

/** Options of {@link quadraticTrajectories}. */
export interface QuadraticTrajectoriesOptions {
  /** Most steps per run. */
  steps: number;
  /** Learning rate per method label (e.g. from {@link learningRatesAt}); a method not listed runs at its theory step. */
  lr?: Readonly<Record<string, number>>;
  /** Stop a run once f(w) <= tol (default: run all steps). */
  tol?: number;
  /** Start (default all ones). */
  start?: readonly number[];
  /** Record every k-th step (default 1). */
  recordEvery?: number;
}

/** A trajectory row of {@link quadraticTrajectories}: the method, its learning rate, the step, f and w0, w1, .... */
export type QuadraticTrajectoryRow = LabelledTrajectoryRow & { lr: number };

/**
 * Each method's trajectory on a quadratic from the same start, at the learning rate given for
 * it (or its theory step): rows tagged with `method` and `lr`, for contour plots.
 */
export function quadraticTrajectories(
  problem: QuadraticProblem,
  methods: readonly QuadraticMethod[],
  options: QuadraticTrajectoriesOptions,
): QuadraticTrajectoryRow[] {
  const where = 'quadraticTrajectories';
  if (!Array.isArray(methods) || methods.length === 0)
    fail(where, 'methods', methods, 'a non-empty array of gdMethod(), gafMethod(gaf), ...');
  const lrs = methods.map((m) => {
    const given = options.lr?.[m.label];
    return given === undefined ? m.theoryLr(problem) : checkNum(where, `lr["${m.label}"]`, given, { min: 0, minOpen: true });
  });
  const rows = labelledTrajectories(
    problem,
    methods.map((m, i) => ({ label: m.label, make: () => m.make(lrs[i]!, problem) })),
    {
      steps: options.steps,
      tol: options.tol,
      start: options.start ?? new Array<number>(problem.dims).fill(1),
      recordEvery: options.recordEvery,
    },
  );
  return rows.map((r) => ({ ...r, lr: lrs[methods.findIndex((m) => m.label === r.method)]! }));
}

/** One (step, direction) of {@link effectiveStepsAlong}. */
export interface EffectiveStepAlongRow extends QuadraticEffectiveStepRow {
  step: number;
}

/**
 * {@link quadraticEffectiveSteps} at every recorded iterate of a trajectory (rows with `step` and
 * `w0, w1, ...`, e.g. one method's rows of {@link quadraticTrajectories}): how the GAF's
 * per-direction multiplier g(d)/d and the effective learning rate change as the run approaches
 * the minimum. Iterates where a coordinate is exactly 0 use g'(0).
 */
export function effectiveStepsAlong(
  problem: QuadraticProblem,
  gaf: Gaf,
  rows: readonly { step: number; [coordinate: string]: number | string }[],
  options: { lr: number },
): EffectiveStepAlongRow[] {
  const where = 'effectiveStepsAlong';
  if (!Array.isArray(rows) || rows.length === 0) fail(where, 'rows', rows, 'a non-empty array of trajectory rows {step, w0, w1, ...}');
  return rows.flatMap((r, k) => {
    const w = problem.eigenvalues.map((_, i) => {
      const v = r[`w${i}`];
      if (typeof v !== 'number') fail(where, `rows[${k}].w${i}`, v, `a number (rows need every coordinate w0..w${problem.dims - 1})`);
      return v;
    });
    return quadraticEffectiveSteps(problem, gaf, { w, lr: options.lr }).map((e) => ({ ...e, step: r.step }));
  });
}

/** One point of {@link effectiveStepCurve}. */
export interface EffectiveStepCurveRow {
  gaf: string;
  /** Gradient component d (> 0). */
  grad: number;
  /** g(d). */
  activated: number;
  /** g(d)/d. */
  ratio: number;
}

/**
 * The multiplier g(d)/d of each GAF against the gradient size d on a log-spaced grid (for a
 * log-log plot): about g'(0) = alpha*beta for d well below 1/beta, falling like sup|g|/d for
 * bounded GAFs beyond it.
 */
export function effectiveStepCurve(
  gafList: readonly Gaf[],
  options: { min?: number; max?: number; points?: number } = {},
): EffectiveStepCurveRow[] {
  const where = 'effectiveStepCurve';
  if (!Array.isArray(gafList) || gafList.length === 0) fail(where, 'gafs', gafList, 'a non-empty array of GAFs');
  const min = checkNum(where, 'min', options.min ?? 1e-4, { min: 0, minOpen: true });
  const max = checkNum(where, 'max', options.max ?? 1e2, { min: min, minOpen: true });
  const n = checkNum(where, 'points', options.points ?? 61, { min: 2, integer: true });
  const ds = logSpace(min, max, n);
  return gafList.flatMap((g) => effectiveStep(g, ds).map((e) => ({ gaf: g.name, grad: e.grad, activated: e.activated, ratio: e.ratio })));
}
