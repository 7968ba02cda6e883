/**
 * Convergence rate on a convex problem with real data: L2-regularised softmax regression
 * (multinomial logistic regression) on flattened images, minimised by full-batch or
 * large-batch gradient descent with and without a GAF.
 *
 * Objective: F(W, b) = mean_i CE(softmax(W^T x_i + b), y_i) + (l2/2) ||W||^2. It is convex,
 * L-smooth with L <= 1/2 * lambda_max([X 1]^T [X 1] / n) + l2 ({@link smoothnessBound}; the
 * 1/2 bounds the largest eigenvalue of the softmax Hessian diag(p) - p p^T), and l2-strongly
 * convex in W when l2 > 0 (not in b). Classical GD theory with step 1/L: gap <= L R^2 / (2t)
 * for convex F (sublinear, p = 1), and gap shrinks at least by (1 - mu/L) per step when
 * mu-strongly convex (linear). The bound is loose: the measured rate is usually much faster.
 *
 * The paper's claim (Liu et al., "Activated Gradients for Deep Neural Networks", IEEE TNNLS;
 * arXiv 2107.04228): under some assumptions, SGD with a GAF converges faster than SGD. As we
 * read it, the analysis is of the usual smooth stochastic kind, i.e. it assumes (1) F is
 * L-smooth and bounded below; (2) stochastic gradients are unbiased with bounded variance;
 * (3) g satisfies the four GAF conditions (odd, increasing, g'(0) > 1, restricted growth), so
 * that g(d) keeps the sign of d and, for small d, |g(d)| is about g'(0)|d| > |d|; with the same
 * learning rate, the activated step is then larger where gradients are small, which is where
 * the speed-up comes from. (The exact statement and constants are in the paper; they could not
 * be checked against its text when this module was written: verify before quoting.) A direct
 * consequence worth testing: if the gain is a factor g'(0) on small gradients, plain GD with
 * its learning rate multiplied by g'(0) should do as well. {@link convergenceRuns} therefore
 * gives every method its own tuned learning rate, so a measured speed-up is not just a larger
 * step in disguise.
 *
 * Measured (2000 centered training images, l2 = 1e-2, full batch, wasm backend; L bound 10.08,
 * f* = 0.53732 from 2000 Nesterov steps, still-moving estimate 0): GD's best grid step was 8/L
 * = 0.794, GD + 0.1*atan(20x)'s was 0.397, exactly half (g'(0) = 2), and the two gap curves
 * agree to within 2% at steps 0, 10, 50, 100, 200, ..., 500 (gap 1.19e-3 vs 1.21e-3 at 500). The gradients of
 * this problem lie in atan's linear range, where a GAF is a learning-rate multiplier. Over
 * steps 0-500 a power law fits the gap better (exponent 1.32, R^2 0.98) than a geometric
 * decay (rate 0.9917 per step, R^2 0.83): the linear regime promised by strong convexity
 * (mu = 0.01) has not started yet.
 *
 * Notebook 05 (1000 centred images, same l2, 300 steps): at the same step 1/L GD+GAF ended with
 * gap 2.5e-2 against GD's 6.3e-2; tuned, GD took 11.3/L and GD+GAF 5.66/L (half) and ended 4%
 * apart. {@link learningRateEquivalence} (GD at GD+GAF's step times 2) stayed within 3.7% at
 * step 300 but was 24% off at step 3: the largest starting gradient component, 5.8e-2, is just
 * above atan's knee 1/beta = 0.05, so the first steps are capped.
 */
import * as tf from '@tensorflow/tfjs';
import { gafs, type Gaf } from '../gaf/gaf';
import { sgd } from '../optim/factories';
import { classifierLoss, trainStep, type Classifier } from '../train/step';
import { batchOrder, checkFlatData, type FlatData } from './flat-data';
import { fitRates, type RateFit } from './fit';
import { bestLearningRate, relativeGrid } from './learning-rate';
import { checkNum, checkNumArray, fail } from './validate';

/** A softmax-regression problem: data and the L2 coefficient on W. */
export interface SoftmaxProblem {
  data: FlatData;
  /**
   * Coefficient of (l2/2)||W||^2 (default 1e-2). > 0 makes the problem strongly convex in W, so
   * GD converges linearly and the reference run reaches f* in a few thousand steps.
   */
  l2?: number;
}

interface Params {
  w: tf.Variable;
  b: tf.Variable;
}

/** W and b as plain tensors: the point where {@link linearModel} is evaluated. */
type Weights = { w: tf.Tensor; b: tf.Tensor };

function checkProblem(where: string, p: SoftmaxProblem): { data: FlatData; l2: number } {
  if (!p || typeof p !== 'object') fail(where, 'problem', typeof p, '{data, l2?}');
  checkFlatData(where, p.data);
  return { data: p.data, l2: checkNum(where, 'l2', p.l2 ?? 1e-2, { min: 0 }) };
}

/** The linear model x W + b as a classifier, for the shared loss and step. */
function linearModel(params: Weights): Classifier {
  return (x) => tf.add(tf.matMul(x, params.w), params.b);
}

/** (l2/2) ||W||^2, or nothing when l2 = 0. */
function l2Penalty(params: Weights, l2: number): (() => tf.Scalar) | undefined {
  return l2 > 0 ? () => tf.mul(0.5 * l2, tf.sum(tf.square(params.w))) as tf.Scalar : undefined;
}

/** F at the current parameters on the whole data set, as a number. */
function fullObjective(params: Params, data: FlatData, l2: number): number {
  return tf.tidy(() => classifierLoss(linearModel(params), data.x, data.y, { penalty: l2Penalty(params, l2) }).dataSync()[0]!);
}

/**
 * Upper bound on the smoothness constant L of the softmax-regression objective:
 * 1/2 * lambda_max([X 1]^T [X 1] / n) + l2, with lambda_max from `iterations` power iterations
 * (default 100, from a fixed start vector, so the result is deterministic). GD with step 1/L is
 * guaranteed to decrease F.
 */
export function smoothnessBound(problem: SoftmaxProblem, iterations = 100): number {
  const { data, l2 } = checkProblem('smoothnessBound', problem);
  checkNum('smoothnessBound', 'iterations', iterations, { min: 1, integer: true });
  const n = data.x.shape[0];
  const lambda = tf.tidy(() => {
    const xa = tf.concat([data.x, tf.ones([n, 1])], 1);
    let v: tf.Tensor = tf.div(tf.ones([xa.shape[1]!, 1]), Math.sqrt(xa.shape[1]!));
    let est = 0;
    for (let k = 0; k < iterations; k++) {
      const u = tf.div(tf.matMul(xa, tf.matMul(xa, v), true, false), n);
      const norm = tf.norm(u);
      est = norm.dataSync()[0]!;
      v = tf.div(u, norm);
    }
    return est;
  });
  return 0.5 * lambda + l2;
}

/** A method compared on softmax regression. */
export interface ConvexMethod {
  label: string;
  /** A fresh optimizer with learning rate `lr`. */
  make: (lr: number) => tf.Optimizer;
  /** Theory step for smoothness L (1/L for GD, 1/(L g'(0)) with a GAF: the linear-regime equivalent). */
  theoryLr: (L: number) => number;
}

/** Full-batch (or minibatch) GD: gaf-lab `sgd` without GAF; theory step 1/L. */
export function gdConvexMethod(): ConvexMethod {
  return { label: 'GD', make: (lr) => sgd({ learningRate: lr }), theoryLr: (L) => 1 / L };
}

/**
 * GD with a GAF on the gradient. Its theory step is 1/(L g'(0)) (`step: 'equivalent'`, the
 * default: the step whose linear-range equivalent is GD's 1/L), or GD's own 1/L
 * (`step: 'same'`: the comparison "same learning rate, with and without a GAF").
 */
export function gafConvexMethod(gaf: Gaf, label = `GD+GAF ${gaf.name}`, step: 'equivalent' | 'same' = 'equivalent'): ConvexMethod {
  const slope = gaf.derivative(0);
  if (!(slope > 0 && Number.isFinite(slope))) fail('gafConvexMethod', "gaf's g'(0)", slope, 'a finite number > 0');
  if (step !== 'equivalent' && step !== 'same') fail('gafConvexMethod', 'step', step, "'equivalent' or 'same'");
  return { label, make: (lr) => sgd({ learningRate: lr, gaf }), theoryLr: step === 'same' ? (L) => 1 / L : (L) => 1 / (L * slope) };
}

/** Options of {@link runSoftmaxRegression}. */
export interface SoftmaxRunOptions {
  /** Optimizer steps. */
  steps: number;
  /** Minibatch size; omit (or >= n) for full-batch GD. */
  batchSize?: number;
  /** Record F on the whole data every k steps (default 1 for full batch, 10 for minibatches). */
  evalEvery?: number;
  /** Seed of the minibatch order (default 0). */
  seed?: number;
  /** Stop early when F is not finite (always) or above this (default 1e3 * F(0)). */
  divergeAbove?: number;
}

/** F on the whole data set after `step` updates. */
export interface ObjectiveRow {
  step: number;
  loss: number;
}

/** What {@link runSoftmaxRegression} returns. */
export interface SoftmaxRunResult {
  rows: ObjectiveRow[];
  diverged: boolean;
  finalLoss: number;
  /** Lowest F recorded. */
  bestLoss: number;
}

/**
 * Minimises softmax regression from W = 0, b = 0 with the optimizer `make()` returns (disposed
 * at the end), recording F on the whole data set. With full batches the F of step t is the cost
 * the step itself computed, so recording costs nothing extra.
 */
export function runSoftmaxRegression(problem: SoftmaxProblem, make: () => tf.Optimizer, options: SoftmaxRunOptions): SoftmaxRunResult {
  const where = 'runSoftmaxRegression';
  const { data, l2 } = checkProblem(where, problem);
  const steps = checkNum(where, 'steps', options.steps, { min: 0, integer: true });
  const n = data.x.shape[0];
  const batch =
    options.batchSize === undefined ? n : Math.min(n, checkNum(where, 'batchSize', options.batchSize, { min: 1, integer: true }));
  const full = batch >= n;
  const evalEvery = checkNum(where, 'evalEvery', options.evalEvery ?? (full ? 1 : 10), { min: 1, integer: true });
  const seed = checkNum(where, 'seed', options.seed ?? 0, { min: 0, integer: true });
  // Built inside tidy so the zero tensors the variables copy are freed.
  const params: Params = tf.tidy(() => ({
    w: tf.variable(tf.zeros([data.features, data.classes])),
    b: tf.variable(tf.zeros([data.classes])),
  }));
  const optimizer = make();
  const model = linearModel(params);
  const stepOptions = { varList: [params.w, params.b], penalty: l2Penalty(params, l2) };
  try {
    const f0 = fullObjective(params, data, l2);
    const divergeAbove = options.divergeAbove ?? 1e3 * Math.max(1, f0);
    const rows: ObjectiveRow[] = [];
    let diverged = false;
    let last = f0;
    const record = (step: number, loss: number): void => {
      rows.push({ step, loss });
      last = loss;
      if (!Number.isFinite(loss) || loss > divergeAbove) diverged = true;
    };
    if (full) {
      for (let t = 0; t < steps && !diverged; t++) {
        const { loss } = trainStep(model, optimizer, data.x, data.y, stepOptions);
        const f = loss.dataSync()[0]!;
        loss.dispose();
        // The cost is F at the parameters before this step: that is F after t steps.
        if (t % evalEvery === 0) record(t, f);
        else if (!Number.isFinite(f) || f > divergeAbove) record(t, f);
      }
      if (!diverged) record(steps, fullObjective(params, data, l2));
    } else {
      record(0, f0);
      let t = 0;
      for (let epoch = 0; t < steps && !diverged; epoch++) {
        for (const idx of batchOrder(n, batch, seed, epoch)) {
          if (t >= steps || diverged) break;
          tf.tidy(() => {
            const ids = tf.tensor1d(idx, 'int32');
            const xb = tf.gather(data.x, ids) as tf.Tensor2D;
            const yb = tf.gather(data.y, ids) as tf.Tensor1D;
            trainStep(model, optimizer, xb, yb, stepOptions);
          });
          t++;
          if (t % evalEvery === 0 || t === steps) record(t, fullObjective(params, data, l2));
        }
      }
    }
    const finite = rows.map((r) => r.loss).filter(Number.isFinite);
    return { rows, diverged, finalLoss: last, bestLoss: finite.length ? Math.min(...finite) : NaN };
  } finally {
    tf.dispose([params.w, params.b]);
    optimizer.dispose();
  }
}

/** Options of {@link referenceOptimum}. */
export interface ReferenceOptions {
  /** Full-batch steps (default 2000). */
  steps?: number;
  /** Learning rate (default 1/L from {@link smoothnessBound}). */
  lr?: number;
  /**
   * Nesterov momentum. Default: (sqrt k - 1)/(sqrt k + 1) with k = L/l2, the classical choice for
   * an l2-strongly convex, L-smooth function; 0.9 when l2 = 0.
   */
  momentum?: number;
}

/** An estimate of min F and how far it may still be from the true minimum. */
export interface ReferenceOptimum {
  /** Lowest F seen in the reference run: the f* used for gaps. */
  fStar: number;
  /** Decrease of F over the last 10% of the run: if the run were still moving, f* could be lower by about this much or more. */
  lastDecrease: number;
  lr: number;
  steps: number;
  method: string;
}

/**
 * f* for the gap curves, from a long full-batch run of Nesterov-accelerated GD (gaf-lab `sgd`
 * with Nesterov momentum, step 1/L). Accelerated GD needs about sqrt(L/mu) steps per e-fold of
 * the gap where GD needs L/mu, so it gets much closer to the minimum than the GD runs it
 * serves as reference for. It is an estimate: fit only gaps well above `lastDecrease` and the
 * float32 resolution of F (about 1e-7 times F).
 */
export function referenceOptimum(problem: SoftmaxProblem, options: ReferenceOptions = {}): ReferenceOptimum {
  const where = 'referenceOptimum';
  const steps = checkNum(where, 'steps', options.steps ?? 2000, { min: 10, integer: true });
  const { l2 } = checkProblem(where, problem);
  const L = smoothnessBound(problem);
  const k = l2 > 0 ? L / l2 : Infinity;
  const momentum = checkNum(where, 'momentum', options.momentum ?? (Number.isFinite(k) ? (Math.sqrt(k) - 1) / (Math.sqrt(k) + 1) : 0.9), {
    min: 0,
    max: 0.9999,
  });
  const lr = options.lr === undefined ? 1 / L : checkNum(where, 'lr', options.lr, { min: 0, minOpen: true });
  const r = runSoftmaxRegression(problem, () => sgd({ learningRate: lr, momentum, nesterov: momentum > 0 }), { steps });
  if (r.diverged) fail(where, 'lr', lr, 'small enough for the reference run to converge (it diverged)', 'Leave lr out to use 1/L.');
  const cut = r.rows.filter((row) => row.step <= 0.9 * steps);
  const at90 = cut[cut.length - 1]!.loss;
  return {
    fStar: r.bestLoss,
    lastDecrease: Math.max(0, at90 - r.finalLoss),
    lr,
    steps,
    method: `Nesterov GD, momentum ${Number(momentum.toPrecision(4))}, lr ${Number(lr.toPrecision(4))}`,
  };
}

/**
 * Default learning-rate factors of {@link convergenceRuns}: 2^(k/2) for k = 8 .. -2 (16 down to
 * 1/2) times the theory step. Skewed upwards because 1/L with the bound of
 * {@link smoothnessBound} is conservative: on Fashion-MNIST GD's best step was 4/L.
 */
export const CONVEX_LR_FACTORS: readonly number[] = Object.freeze(Array.from({ length: 11 }, (_, i) => Math.pow(2, (8 - i) / 2)));

/** Options of {@link convergenceRuns}. */
export interface ConvergenceOptions {
  /** Methods (default GD and GD+GAF with `gaf`). */
  methods?: readonly ConvexMethod[];
  /** GAF of the default GD+GAF (default 0.1*atan(20x)). */
  gaf?: Gaf;
  /** Steps of each measured run (default 500). */
  steps?: number;
  /** Minibatch size (default: full batch). */
  batchSize?: number;
  /**
   * Learning rates: `theory` (each method's theory step), or `grid` (default): each method's
   * best of {@link CONVEX_LR_FACTORS} times its theory step, scored by F after `tuneSteps`.
   */
  lr?: 'theory' | 'grid';
  /** Factors of the grid (default {@link CONVEX_LR_FACTORS}). */
  factors?: readonly number[];
  /** Steps of each tuning run (default steps/5). */
  tuneSteps?: number;
  /** f* for the gaps (default: {@link referenceOptimum} with its defaults). */
  fStar?: number;
  /** Called when a method's runs are done, for progress output. */
  onMethod?: (label: string, lr: number) => void;
}

/** One point of a gap curve. */
export interface GapRow {
  method: string;
  lr: number;
  step: number;
  loss: number;
  /** loss - f*. */
  gap: number;
}

/** What {@link convergenceRuns} returns. */
export interface ConvergenceResult {
  rows: GapRow[];
  fStar: number;
  /** Smoothness bound used for the theory steps. */
  L: number;
  /** Per method: learning rate, how it was chosen, and both rate fits of its gap curve. */
  methods: { method: string; lr: number; lrRule: string; diverged: boolean; fits: { linear: RateFit; sublinear: RateFit } | null }[];
}

/**
 * Gap curves F(w_t) - f* of GD and GD+GAF on softmax regression, each with its own learning
 * rate (tuned on a grid by default), with linear and sublinear rate fits of each curve (points
 * with gap above 1e-6 * |f*|, about 10x the float32 resolution of F).
 */
export function convergenceRuns(problem: SoftmaxProblem, options: ConvergenceOptions = {}): ConvergenceResult {
  const where = 'convergenceRuns';
  checkProblem(where, problem);
  const steps = checkNum(where, 'steps', options.steps ?? 500, { min: 2, integer: true });
  const tuneSteps = checkNum(where, 'tuneSteps', options.tuneSteps ?? Math.max(1, Math.round(steps / 5)), { min: 1, integer: true });
  const policy = options.lr ?? 'grid';
  if (policy !== 'grid' && policy !== 'theory') fail(where, 'lr', policy, "'grid' or 'theory'");
  const factors = checkNumArray(where, 'factors', options.factors ?? CONVEX_LR_FACTORS, { min: 0, minOpen: true });
  const L = smoothnessBound(problem);
  const fStar = options.fStar ?? referenceOptimum(problem).fStar;
  const methods = options.methods ?? [gdConvexMethod(), gafConvexMethod(options.gaf ?? gafs.atan({ alpha: 0.1, beta: 20 }))];
  const runOpts = { batchSize: options.batchSize };
  const rows: GapRow[] = [];
  const summary: ConvergenceResult['methods'] = [];
  const floor = 1e-6 * Math.max(1, Math.abs(fStar));
  for (const m of methods) {
    const theory = m.theoryLr(L);
    let lr = theory;
    let lrRule = 'theory';
    if (policy === 'grid') {
      const best = bestLearningRate(relativeGrid(theory, factors), (g) => {
        const r = runSoftmaxRegression(problem, () => m.make(g), { ...runOpts, steps: tuneSteps, evalEvery: tuneSteps });
        return { score: r.diverged ? Infinity : r.finalLoss, result: r.finalLoss };
      });
      if (best.lr === null) fail(where, `learning rate of ${m.label}`, 'none', 'found: every grid value diverged', 'Pass smaller factors.');
      lr = best.lr;
      lrRule = `grid best of ${factors.length} by F after ${tuneSteps} steps`;
    }
    const r = runSoftmaxRegression(problem, () => m.make(lr), { ...runOpts, steps });
    const curve = r.rows.map((row) => ({ method: m.label, lr, step: row.step, loss: row.loss, gap: row.loss - fStar }));
    rows.push(...curve);
    let fits: { linear: RateFit; sublinear: RateFit } | null = null;
    try {
      fits = fitRates(curve, { minGap: floor });
    } catch {
      fits = null; // fewer than two points above the floor: nothing to fit
    }
    summary.push({ method: m.label, lr, lrRule, diverged: r.diverged, fits });
    options.onMethod?.(m.label, lr);
  }
  return { rows, fStar, L, methods: summary };
}

/** Options of {@link learningRateEquivalence}. */
export interface EquivalenceOptions {
  /** The GAF of GD+GAF. */
  gaf: Gaf;
  /** Learning rate of GD+GAF; plain GD runs at lr * g'(0). */
  lr: number;
  /** Full-batch steps of each run. */
  steps: number;
  /** f* for the gaps. */
  fStar: number;
}

/** What {@link learningRateEquivalence} returns. */
export interface EquivalenceResult {
  /** Gap curves of both runs (methods `GD+GAF <name>` and `GD at lr*g'(0)`). */
  rows: GapRow[];
  /** g'(0) of the GAF: the factor on GD's learning rate. */
  slope: number;
  /** Largest |gap_GAF - gap_GD| / gap_GD over the steps whose GD gap is above 1e-6 * max(1, |f*|). */
  maxRelativeDifference: number;
  /** Step where that largest difference occurs. */
  atStep: number;
  /** |gap_GAF - gap_GD| / gap_GD at the last step (NaN when that GD gap is below the floor). */
  finalRelativeDifference: number;
  /** Largest |component| of the gradient of F at the start (W = 0, b = 0). */
  maxAbsGradient0: number;
  /** 1/beta of the GAF (components below it are in its nearly linear range); NaN when it has no beta. */
  knee: number;
}

/**
 * Tests the simplest explanation of a GAF speed-up on a smooth problem: in its linear range
 * g(d) = g'(0) d, so GD+GAF at learning rate lr should follow plain GD at lr * g'(0). Runs
 * both from W = 0 for `steps` full-batch steps and reports how far apart the gap curves get,
 * with the largest starting gradient component to compare with the knee 1/beta.
 */
export function learningRateEquivalence(problem: SoftmaxProblem, options: EquivalenceOptions): EquivalenceResult {
  const where = 'learningRateEquivalence';
  const { data, l2 } = checkProblem(where, problem);
  if (!options || typeof options.gaf?.apply !== 'function')
    fail(where, 'gaf', options?.gaf, 'a Gaf such as gafs.atan({alpha: 0.1, beta: 20})');
  const lr = checkNum(where, 'lr', options.lr, { min: 0, minOpen: true });
  const steps = checkNum(where, 'steps', options.steps, { min: 1, integer: true });
  const fStar = checkNum(where, 'fStar', options.fStar);
  const slope = options.gaf.derivative(0);
  if (!(slope > 0 && Number.isFinite(slope))) fail(where, "gaf's g'(0)", slope, 'a finite number > 0');
  const gafLabel = `GD+GAF ${options.gaf.name}`;
  const gdLabel = `GD at lr*g'(0)`;
  const a = runSoftmaxRegression(problem, () => sgd({ learningRate: lr, gaf: options.gaf }), { steps });
  const b = runSoftmaxRegression(problem, () => sgd({ learningRate: lr * slope }), { steps });
  const rows: GapRow[] = [
    ...a.rows.map((r) => ({ method: gafLabel, lr, step: r.step, loss: r.loss, gap: r.loss - fStar })),
    ...b.rows.map((r) => ({ method: gdLabel, lr: lr * slope, step: r.step, loss: r.loss, gap: r.loss - fStar })),
  ];
  const floor = 1e-6 * Math.max(1, Math.abs(fStar));
  let maxRel = 0;
  let atStep = 0;
  let finalRel = NaN;
  for (const rb of b.rows) {
    const ra = a.rows.find((r) => r.step === rb.step);
    const gb = rb.loss - fStar;
    if (!ra || !(gb > floor)) continue;
    const rel = Math.abs(ra.loss - fStar - gb) / gb;
    if (rb.step === steps) finalRel = rel;
    if (rel > maxRel || !Number.isFinite(rel)) {
      maxRel = rel;
      atStep = rb.step;
    }
  }
  const maxAbsGradient0 = tf.tidy(() => {
    const w = tf.zeros([data.features, data.classes]);
    const bias = tf.zeros([data.classes]);
    const grads = tf.grads((wv: tf.Tensor, bv: tf.Tensor) => {
      const at = { w: wv, b: bv };
      return classifierLoss(linearModel(at), data.x, data.y, { penalty: l2Penalty(at, l2) });
    })([w, bias]);
    return Math.max(...grads.map((g) => tf.max(tf.abs(g)).dataSync()[0]!));
  });
  const beta = options.gaf.config.beta;
  return {
    rows,
    slope,
    maxRelativeDifference: maxRel,
    atStep,
    finalRelativeDifference: finalRel,
    maxAbsGradient0,
    knee: typeof beta === 'number' ? 1 / beta : NaN,
  };
}

/**
 * One line per method of a {@link convergenceRuns} result (learning rate and how it was chosen,
 * final gap, both rate fits and which fits better) and, given a {@link learningRateEquivalence}
 * result, one line on how closely GD at lr * g'(0) follows GD+GAF.
 */
export function describeConvergence(result: ConvergenceResult, equivalence?: EquivalenceResult): string[] {
  const lines = result.methods.map((m) => {
    const mine = result.rows.filter((r) => r.method === m.method);
    const last = mine[mine.length - 1];
    const gap = last ? `gap ${last.gap.toExponential(2)} at step ${last.step}` : 'no rows';
    if (m.diverged) return `${m.method}: lr ${Number(m.lr.toPrecision(4))} diverged.`;
    const fit = m.fits
      ? `; geometric fit rho = ${m.fits.linear.rate.toFixed(4)}/step (R^2 ${m.fits.linear.r2.toFixed(3)}), power fit gap ~ t^-${m.fits.sublinear.rate.toFixed(2)} (R^2 ${m.fits.sublinear.r2.toFixed(3)}): the ${m.fits.sublinear.r2 > m.fits.linear.r2 ? 'power law' : 'geometric decay'} fits better`
      : '';
    return `${m.method}: lr ${Number(m.lr.toPrecision(4))} (${Number((m.lr * result.L).toPrecision(3))}/L, ${m.lrRule}); ${gap}${fit}.`;
  });
  if (equivalence) {
    const e = equivalence;
    lines.push(
      `GD at lr*g'(0) (g'(0) = ${e.slope}) vs GD+GAF: gap curves differ by at most ${(100 * e.maxRelativeDifference).toFixed(2)}% (step ${e.atStep}), ` +
        `${Number.isFinite(e.finalRelativeDifference) ? `by ${(100 * e.finalRelativeDifference).toFixed(2)}%` : 'by n/a (gap below the float32 floor)'} at the last step; ` +
        `largest starting gradient component ${e.maxAbsGradient0.toExponential(2)} vs knee 1/beta = ${Number.isFinite(e.knee) ? e.knee.toExponential(2) : 'n/a'}.`,
    );
  }
  return lines;
}

/** One method of a {@link convergenceRuns} result as a flat table row. */
export interface ConvergenceFitRow {
  /** Caller's name for the comparison, e.g. `same lr`. */
  setting: string;
  method: string;
  lr: number;
  /** lr * L: the step in units of the theory step 1/L. */
  lrTimesL: number;
  /** Gap at the last step. */
  finalGap: number;
  /** Geometric fit gap ~ C rho^t: rho and R^2 (NaN without a fit). */
  rho: number;
  rhoR2: number;
  /** Power-law fit gap ~ C t^-p: p and R^2 (NaN without a fit). */
  p: number;
  pR2: number;
  /** Which fit has the higher R^2. */
  betterFit: string;
}

/** The methods of a {@link convergenceRuns} result as rows for a table. */
export function convergenceFitRows(result: ConvergenceResult, setting: string): ConvergenceFitRow[] {
  if (!result || !Array.isArray(result.methods)) fail('convergenceFitRows', 'result', typeof result, 'the result of convergenceRuns(...)');
  return result.methods.map((m) => {
    const mine = result.rows.filter((r) => r.method === m.method);
    const f = m.fits;
    return {
      setting,
      method: m.method,
      lr: m.lr,
      lrTimesL: m.lr * result.L,
      finalGap: mine.length ? mine[mine.length - 1]!.gap : NaN,
      rho: f?.linear.rate ?? NaN,
      rhoR2: f?.linear.r2 ?? NaN,
      p: f?.sublinear.rate ?? NaN,
      pR2: f?.sublinear.r2 ?? NaN,
      betterFit: f ? (f.sublinear.r2 > f.linear.r2 ? 'power law' : 'geometric') : 'none',
    };
  });
}
