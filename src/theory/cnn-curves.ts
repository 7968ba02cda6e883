/**
 * Loss curves of a small convolutional network trained with SGD and with SGD + GAF: the
 * non-convex counterpart of the softmax-regression convergence study.
 *
 * What is measured: f(w_t), the mean cross-entropy over a fixed set of training images, every
 * `evalEvery` steps of minibatch SGD. The set is evaluated in one forward pass in training mode,
 * so batch normalisation uses that set's own statistics: f is then a deterministic function of
 * the weights (the objective that SGD's minibatch losses estimate), not of the running averages.
 * Such a pass also updates the batch-norm running averages, which nothing here reads (training
 * always runs in training mode). A network of this size can fit a few hundred images exactly,
 * so inf f = 0 and the loss itself is the gap f(w_t) - f*.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { createModel } from '../models/registry';
import { classifierLoss, trainableVariables, trainStep } from '../train/step';
import { batchOrder, checkFlatData, type FlatData } from './flat-data';
import { fitRates, type RateFit } from './fit';
import { checkNum, checkNumArray, fail } from './validate';

/** A method of {@link cnnLossCurves}: an optimizer per learning rate and the rates to try. */
export interface CnnMethod {
  label: string;
  /** A fresh optimizer with learning rate `lr` (disposed after its run). */
  make: (lr: number) => tf.Optimizer;
  lrs: readonly number[];
}

/** Options of {@link cnnLossCurves}. */
export interface CnnLossOptions {
  /** Training images flattened to height*width*channels features (e.g. `loadFlatFashionMnist`). */
  data: FlatData;
  methods: readonly CnnMethod[];
  /** Optimizer steps per run. */
  steps: number;
  /** Minibatch size (default 32). */
  batchSize?: number;
  /** Measure f every k steps (default 10; step 0 and the last step always). */
  evalEvery?: number;
  /** f is measured on the first `evalSize` images of `data` (default: all, at most 1024). */
  evalSize?: number;
  /** Model of the zoo (default `smallcnn`). */
  model?: string;
  /** Image shape of the flattened rows (default [28, 28, 1]). */
  inputShape?: [number, number, number];
  /** Seed of the initial weights: every run starts from the same weights (default 0). */
  initSeed?: number;
  /** Seed of the batch order: every run sees the same batches (default 0). */
  seed?: number;
  /** A run counts as diverged when f is not finite or exceeds this (default 10 * f(w_0)). */
  divergeAbove?: number;
  /** Called after each run, for progress output. */
  onRun?: (summary: CnnRunSummary, done: number, total: number) => void;
}

/** f(w_t) of one run at one step. */
export interface CnnLossRow {
  method: string;
  lr: number;
  /** `<method>, lr <lr>`: one legend entry per run. */
  run: string;
  step: number;
  loss: number;
}

/** One (method, learning rate) run. */
export interface CnnRunSummary {
  method: string;
  lr: number;
  initialLoss: number;
  /** f at the last step (NaN when diverged). */
  finalLoss: number;
  diverged: boolean;
  /** Whether this is the method's best run (lowest final f). */
  best: boolean;
  /** Rate fits of f(w_t) over the run's steps >= 1 (f* = 0), null when diverged. */
  fits: { linear: RateFit; sublinear: RateFit } | null;
  /** The fits flattened for tables (NaN without fits): f ~ C t^-p, and f ~ C rho^t. */
  p: number;
  pR2: number;
  rho: number;
  rhoR2: number;
}

/** What {@link cnnLossCurves} returns. */
export interface CnnLossResult {
  /** f(w_t) of every run. */
  rows: CnnLossRow[];
  /** The rows of each method's best run only (what a figure usually shows). */
  bestRows: CnnLossRow[];
  runs: CnnRunSummary[];
  /** Trainable parameters of the model. */
  params: number;
}

/**
 * Trains the zoo model (default `smallcnn`) from the same initial weights on the same batches
 * with every method at each of its learning rates and records f(w_t) on a fixed image set,
 * with power-law and geometric rate fits of each curve.
 */
export function cnnLossCurves(options: CnnLossOptions): CnnLossResult {
  const where = 'cnnLossCurves';
  checkFlatData(where, options.data);
  if (!Array.isArray(options.methods) || options.methods.length === 0)
    fail(where, 'methods', options.methods, 'a non-empty array of {label, make, lrs}');
  const steps = checkNum(where, 'steps', options.steps, { min: 1, integer: true });
  const batchSize = checkNum(where, 'batchSize', options.batchSize ?? 32, { min: 1, integer: true });
  const evalEvery = checkNum(where, 'evalEvery', options.evalEvery ?? 10, { min: 1, integer: true });
  const n = options.data.x.shape[0];
  const evalSize = Math.min(n, checkNum(where, 'evalSize', options.evalSize ?? Math.min(n, 1024), { min: 1, integer: true }));
  const shape = options.inputShape ?? [28, 28, 1];
  if (!Array.isArray(shape) || shape.length !== 3 || shape[0] * shape[1] * shape[2] !== options.data.x.shape[1]) {
    fail(
      where,
      'inputShape',
      shape,
      `[height, width, channels] with height*width*channels = ${options.data.x.shape[1]} (the data's features)`,
    );
  }
  const initSeed = checkNum(where, 'initSeed', options.initSeed ?? 0, { min: 0, integer: true });
  const seed = checkNum(where, 'seed', options.seed ?? 0, { min: 0, integer: true });
  const modelName = options.model ?? 'smallcnn';
  for (const m of options.methods) checkNumArray(where, `lrs of ${m.label}`, m.lrs, { min: 0, minOpen: true });

  const images = (x: tf.Tensor2D): tf.Tensor4D => tf.reshape(x, [x.shape[0], ...shape]) as tf.Tensor4D;
  const evalX = tf.tidy(() => images(options.data.x.slice([0, 0], [evalSize, -1])));
  const evalY = options.data.y.slice([0], [evalSize]);
  const total = options.methods.reduce((s, m) => s + m.lrs.length, 0);
  const rows: CnnLossRow[] = [];
  const runs: CnnRunSummary[] = [];
  let params = 0;
  try {
    for (const m of options.methods) {
      const mine: CnnRunSummary[] = [];
      for (const lr of m.lrs) {
        const model = createModel(modelName, { inputShape: shape, numClasses: options.data.classes, seed: initSeed });
        params = model.trainableWeights.reduce((s, w) => s + w.read().size, 0);
        const optimizer = m.make(lr);
        try {
          const varList = trainableVariables(model);
          const f = (): number => tf.tidy(() => classifierLoss(model, evalX, evalY, { training: true }).dataSync()[0]!);
          const f0 = f();
          const limit = options.divergeAbove ?? 10 * f0;
          const run = `${m.label}, lr ${lr}`;
          const curve: CnnLossRow[] = [{ method: m.label, lr, run, step: 0, loss: f0 }];
          let diverged = false;
          let t = 0;
          for (let epoch = 0; t < steps && !diverged; epoch++) {
            for (const idx of batchOrder(n, batchSize, seed, epoch)) {
              if (t >= steps || diverged) break;
              tf.tidy(() => {
                const ids = tf.tensor1d(idx, 'int32');
                const xb = images(tf.gather(options.data.x, ids) as tf.Tensor2D);
                const yb = tf.gather(options.data.y, ids);
                trainStep(model, optimizer, xb, yb, { varList });
              });
              t++;
              if (t % evalEvery === 0 || t === steps) {
                const loss = f();
                curve.push({ method: m.label, lr, run, step: t, loss });
                if (!Number.isFinite(loss) || loss > limit) diverged = true;
              }
            }
          }
          rows.push(...curve);
          let fits: CnnRunSummary['fits'] = null;
          if (!diverged) {
            try {
              fits = fitRates(
                curve.map((r) => ({ step: r.step, gap: r.loss })),
                { from: 1 },
              );
            } catch {
              fits = null; // fewer than two evaluated steps: nothing to fit
            }
          }
          const last = curve[curve.length - 1]!.loss;
          mine.push({
            method: m.label,
            lr,
            initialLoss: f0,
            finalLoss: diverged ? NaN : last,
            diverged,
            best: false,
            fits,
            p: fits?.sublinear.rate ?? NaN,
            pR2: fits?.sublinear.r2 ?? NaN,
            rho: fits?.linear.rate ?? NaN,
            rhoR2: fits?.linear.r2 ?? NaN,
          });
        } finally {
          optimizer.dispose();
          model.dispose();
        }
        runs.push(mine[mine.length - 1]!);
        options.onRun?.(mine[mine.length - 1]!, runs.length, total);
      }
      const ok = mine.filter((r) => !r.diverged);
      if (ok.length) ok.reduce((b, r) => (r.finalLoss < b.finalLoss ? r : b)).best = true;
    }
  } finally {
    tf.dispose([evalX, evalY]);
  }
  const bestRows = rows.filter((r) => runs.some((s) => s.best && s.method === r.method && s.lr === r.lr));
  return { rows, bestRows, runs, params };
}

/**
 * One line per method of a {@link cnnLossCurves} result: its best learning rate, f at the start
 * and end, and the fitted power-law exponent and per-step factor with their R^2.
 */
export function describeCnnCurves(result: CnnLossResult): string[] {
  const methods = [...new Set(result.runs.map((r) => r.method))];
  return methods.map((m) => {
    const best = result.runs.find((r) => r.method === m && r.best);
    const tried = result.runs.filter((r) => r.method === m);
    if (!best) return `${m}: every run diverged (lr ${tried.map((r) => r.lr).join(', ')}).`;
    const fit = best.fits
      ? `; f ~ t^-${best.fits.sublinear.rate.toFixed(2)} (R^2 ${best.fits.sublinear.r2.toFixed(3)}), geometric factor ${best.fits.linear.rate.toFixed(4)}/step (R^2 ${best.fits.linear.r2.toFixed(3)})`
      : '';
    return `${m}: best lr ${best.lr} of ${tried.map((r) => r.lr).join(', ')}: f ${best.initialLoss.toFixed(3)} -> ${best.finalLoss.toFixed(4)}${fit}.`;
  });
}
