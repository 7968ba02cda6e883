/**
 * Saddle points: how long the real gaf-lab optimizers take to leave a saddle when started a
 * small perturbation away from it, with and without a GAF.
 *
 * Linear theory (what the tests check): near a non-degenerate saddle, GD multiplies the
 * component along a direction of negative curvature -c by (1 + eta*c) per step, so from a
 * component y0 it needs about ln(r/y0)/ln(1 + eta*c) steps to reach distance r: the escape
 * time grows like ln(1/perturbation). With a GAF, tiny gradients are multiplied by g'(0), so the
 * growth factor becomes (1 + eta*c*g'(0)) as long as the gradient stays in g's linear range
 * (|d| << 1/beta for atan); beyond that a bounded g caps the step at eta*sup|g| and the growth
 * becomes linear. At tiny gradients a GAF is therefore the same as GD with step eta*g'(0):
 * compare against that too before crediting the GAF. At a degenerate saddle (the monkey
 * saddle, zero Hessian) the gradient is quadratic in the distance and escape takes a time that
 * grows like 1/perturbation, for both.
 *
 * Measured (lr 0.1, radius 0.5, default directions; GD / GD + 0.1*atan(20x) / GD at lr 0.2):
 * x^2 - y^2 from 1e-8: 100 / 80 / 54 steps, from 1e-4: 49 / 52 / 27, from 1e-1: 11 / 30 / 6;
 * the 10-d quartic saddle from 1e-8: 200 / 127 / 105. The GAF helps when the start is tiny
 * (long linear phase, gradients doubled) and hurts when it is not (its capped steps make the
 * last part of the escape linear instead of exponential); GD with the step multiplied by
 * g'(0) beats it everywhere. Monkey saddle within 5000 steps: GD escapes only from 1e-2 (558)
 * and 1e-1 (52); the GAF also from 1e-3 (2823).
 */
import * as tf from '@tensorflow/tfjs';
import type { Gaf } from '../gaf/gaf';
import { sgd } from '../optim/factories';
import {
  labelledTrajectories,
  runTrajectory,
  type LabelledTrajectoryRow,
  type OptimizerFactory,
  type TheoryProblem,
  type TrajectoryRow,
} from './trajectory';
import { checkNum, checkNumArray, fail } from './validate';

/** A function with a saddle point, and what linear theory needs to know about it. */
export interface SaddleProblem extends TheoryProblem {
  /** Location of the saddle. */
  readonly saddle: readonly number[];
  /** f at the saddle. */
  readonly saddleValue: number;
  /** Default direction of the initial perturbation (unit length). */
  readonly direction: readonly number[];
  /** Coordinates that span the directions of negative curvature at the saddle (empty when degenerate). */
  readonly unstable: readonly number[];
  /** c > 0 where the Hessian at the saddle has eigenvalue -c along `unstable` (0 when degenerate). */
  readonly negativeCurvature: number;
  /** The formula, for notebook text. */
  readonly formula: string;
}

const unit = (v: number[]): number[] => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

/** f(x, y) = x^2 - y^2: Hessian diag(2, -2), escape along y (GD growth factor 1 + 2*eta). */
export function saddle2d(): SaddleProblem {
  return Object.freeze({
    name: 'x^2 - y^2',
    formula: 'f(x, y) = x^2 - y^2',
    dims: 2,
    saddle: [0, 0],
    saddleValue: 0,
    direction: unit([1, 1]),
    unstable: [1],
    negativeCurvature: 2,
    loss: (w: tf.Tensor1D) =>
      tf.tidy(() => {
        const sq = tf.square(w);
        return tf.sub(sq.slice([0], [1]), sq.slice([1], [1])).sum();
      }) as tf.Scalar,
    value: (w: ArrayLike<number>) => w[0]! * w[0]! - w[1]! * w[1]!,
  });
}

/**
 * The monkey saddle f(x, y) = x^3 - 3 x y^2: zero gradient and zero Hessian at the origin, three
 * descending valleys (at 60, 180 and 300 degrees). Unbounded below. The default perturbation
 * points to 135 degrees, between a flat ridge and the valley along the negative x axis.
 */
export function monkeySaddle(): SaddleProblem {
  return Object.freeze({
    name: 'monkey saddle',
    formula: 'f(x, y) = x^3 - 3 x y^2',
    dims: 2,
    saddle: [0, 0],
    saddleValue: 0,
    direction: unit([-1, 1]),
    unstable: [],
    negativeCurvature: 0,
    loss: (w: tf.Tensor1D) =>
      tf.tidy(() => {
        const x = w.slice([0], [1]);
        const y = w.slice([1], [1]);
        return tf.sub(tf.pow(x, 3), tf.mul(3, tf.mul(x, tf.square(y)))).sum();
      }) as tf.Scalar,
    value: (w: ArrayLike<number>) => w[0]! ** 3 - 3 * w[0]! * w[1]! ** 2,
  });
}

/**
 * A d-dimensional saddle bounded below: f(x) = sum_i s_i x_i^2/2 + sum_i x_i^4/4 with s_i = -1
 * for the first `negatives` coordinates and +1 for the rest. Saddle at 0 (Hessian diag(s)),
 * minima at x_i = +-1 on the negative coordinates, f_min = -negatives/4. GD growth factor near
 * the saddle: 1 + eta.
 */
export function quarticSaddle(options: { dims?: number; negatives?: number } = {}): SaddleProblem {
  const dims = checkNum('quarticSaddle', 'dims', options.dims ?? 10, { min: 1, integer: true });
  const neg = checkNum('quarticSaddle', 'negatives', options.negatives ?? 1, { min: 1, max: dims, integer: true });
  const s = Array.from({ length: dims }, (_, i) => (i < neg ? -1 : 1));
  return Object.freeze({
    name: `quartic saddle (d=${dims}, ${neg} negative)`,
    formula: `f(x) = sum_i s_i x_i^2/2 + sum_i x_i^4/4, s = (${neg} x -1, ${dims - neg} x +1)`,
    dims,
    saddle: new Array<number>(dims).fill(0),
    saddleValue: 0,
    direction: unit(new Array<number>(dims).fill(1)),
    unstable: Array.from({ length: neg }, (_, i) => i),
    negativeCurvature: 1,
    loss: (w: tf.Tensor1D) =>
      tf.tidy(() => {
        const sq = tf.square(w);
        return tf.add(tf.mul(0.5, tf.sum(tf.mul(tf.tensor1d(s), sq))), tf.mul(0.25, tf.sum(tf.square(sq))));
      }) as tf.Scalar,
    value: (w: ArrayLike<number>) => {
      let f = 0;
      for (let i = 0; i < dims; i++) {
        const q = w[i]! * w[i]!;
        f += (s[i]! * q) / 2 + (q * q) / 4;
      }
      return f;
    },
  });
}

/** An optimizer compared at saddles, with what linear theory needs. */
export interface SaddleMethod {
  label: string;
  /** A fresh optimizer. */
  make: OptimizerFactory;
  /**
   * The step multiplier at tiny gradients: lr for GD, lr*g'(0) with a GAF. Enables the linear
   * prediction of the escape time; leave out for methods without one (e.g. momentum, Adam).
   */
  smallGradientStep?: number;
}

/**
 * SGD (no momentum) with an optional GAF on the gradient, as a {@link SaddleMethod}.
 *
 * @example saddleMethod({lr: 0.1, gaf: gafs.atan({alpha: 0.1, beta: 20})})
 */
export function saddleMethod(options: { lr: number; gaf?: Gaf | null; label?: string }): SaddleMethod {
  const lr = checkNum('saddleMethod', 'lr', options.lr, { min: 0, minOpen: true, hint: 'e.g. {lr: 0.1}.' });
  const gaf = options.gaf ?? null;
  return {
    label: options.label ?? (gaf ? `GD+GAF ${gaf.name}, lr ${lr}` : `GD, lr ${lr}`),
    make: () => sgd({ learningRate: lr, gaf }),
    smallGradientStep: gaf ? lr * gaf.derivative(0) : lr,
  };
}

/**
 * Linear-theory escape time: the first integer t with y0 * growth^t > radius, i.e.
 * floor(ln(radius/y0)/ln(growth)) + 1 (0 when y0 > radius already). For x^2 - y^2 and GD,
 * growth = 1 + 2*eta; with a GAF in its linear range, growth = 1 + 2*eta*g'(0).
 */
export function predictedEscapeSteps(growth: number, y0: number, radius: number): number {
  checkNum('predictedEscapeSteps', 'growth', growth, { min: 1, minOpen: true });
  checkNum('predictedEscapeSteps', 'y0', y0, { min: 0, minOpen: true });
  checkNum('predictedEscapeSteps', 'radius', radius, { min: 0, minOpen: true });
  if (y0 > radius) return 0;
  return Math.floor(Math.log(radius / y0) / Math.log(growth)) + 1;
}

/** Options of {@link escapeTime}. */
export interface EscapeOptions {
  /** Distance of the start from the saddle (> 0). */
  perturbation: number;
  /** Escape = the iterate is farther than this from the saddle (default 0.5). */
  radius?: number;
  /** Also escape when f drops below f(saddle) - lossDrop (off by default). */
  lossDrop?: number;
  /** Step cap (default 10000). */
  maxSteps?: number;
  /** Direction of the perturbation (normalised here; default the problem's). */
  direction?: readonly number[];
}

/** What {@link escapeTime} returns. */
export interface EscapeResult {
  /** Steps until escape, or null when it did not escape within maxSteps. */
  steps: number | null;
  /** Which criterion fired first. */
  via: 'radius' | 'lossDrop' | null;
  /** Linear-theory prediction (see {@link predictedEscapeSteps}) when the problem and method allow one. */
  predicted: number | null;
  finalLoss: number;
  final: number[];
  diverged: boolean;
}

function startOf(problem: SaddleProblem, perturbation: number, direction: readonly number[] | undefined, where: string): number[] {
  const dir = direction === undefined ? problem.direction.slice() : checkNumArray(where, 'direction', direction);
  if (dir.length !== problem.dims) fail(where, 'direction', direction, `of length ${problem.dims}`);
  const n = Math.hypot(...dir);
  if (!(n > 0)) fail(where, 'direction', direction, 'a non-zero vector');
  return problem.saddle.map((s, i) => s + (perturbation * dir[i]!) / n);
}

/**
 * Steps until an optimizer started at `saddle + perturbation * direction` leaves the ball of
 * `radius` around the saddle (or, with `lossDrop`, lowers f by that much).
 */
export function escapeTime(problem: SaddleProblem, method: SaddleMethod | OptimizerFactory, options: EscapeOptions): EscapeResult {
  const where = 'escapeTime';
  const p = checkNum(where, 'perturbation', options.perturbation, { min: 0, minOpen: true, hint: 'e.g. 1e-6.' });
  const radius = checkNum(where, 'radius', options.radius ?? 0.5, { min: 0, minOpen: true });
  const drop = options.lossDrop === undefined ? undefined : checkNum(where, 'lossDrop', options.lossDrop, { min: 0, minOpen: true });
  const maxSteps = checkNum(where, 'maxSteps', options.maxSteps ?? 10000, { min: 1, integer: true });
  const m: SaddleMethod = typeof method === 'function' ? { label: 'optimizer', make: method } : method;
  const start = startOf(problem, p, options.direction, where);
  let via: EscapeResult['via'] = null;
  const stop = (w: Float32Array, loss: number): boolean => {
    let d2 = 0;
    for (let i = 0; i < w.length; i++) d2 += (w[i]! - problem.saddle[i]!) ** 2;
    if (Math.sqrt(d2) > radius) via = 'radius';
    else if (drop !== undefined && loss < problem.saddleValue - drop) via = 'lossDrop';
    return via !== null;
  };
  const r = runTrajectory(problem, m.make, { steps: maxSteps, start, stop, recordEvery: maxSteps + 1, recordCoords: 0 });
  let predicted: number | null = null;
  if (m.smallGradientStep !== undefined && problem.unstable.length > 0 && drop === undefined) {
    const y0 = Math.hypot(...problem.unstable.map((i) => start[i]! - problem.saddle[i]!));
    if (y0 > 0) predicted = predictedEscapeSteps(1 + m.smallGradientStep * problem.negativeCurvature, y0, radius);
  }
  return { steps: r.stoppedAt, via, predicted, finalLoss: r.finalLoss, final: r.final, diverged: r.diverged };
}

/** One row of {@link escapeTimes}. */
export interface EscapeRow {
  problem: string;
  method: string;
  perturbation: number;
  steps: number | null;
  escaped: boolean;
  via: 'radius' | 'lossDrop' | null;
  predicted: number | null;
}

/** Options of {@link escapeTimes}: those of {@link escapeTime} with a list of perturbations. */
export interface EscapeTimesOptions extends Omit<EscapeOptions, 'perturbation'> {
  /** Perturbation sizes (default 1e-8, 1e-7, ..., 1e-1). */
  perturbations?: readonly number[];
}

/** Escape time against perturbation size, for each method: rows for a table or a log-x plot. */
export function escapeTimes(problem: SaddleProblem, methods: readonly SaddleMethod[], options: EscapeTimesOptions = {}): EscapeRow[] {
  const ps = checkNumArray('escapeTimes', 'perturbations', options.perturbations ?? [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1], {
    min: 0,
    minOpen: true,
  });
  if (!Array.isArray(methods) || methods.length === 0) fail('escapeTimes', 'methods', methods, 'a non-empty array of saddleMethod(...)');
  const rows: EscapeRow[] = [];
  for (const m of methods) {
    for (const perturbation of ps) {
      const r = escapeTime(problem, m, { ...options, perturbation });
      rows.push({
        problem: problem.name,
        method: m.label,
        perturbation,
        steps: r.steps,
        escaped: r.steps !== null,
        via: r.via,
        predicted: r.predicted,
      });
    }
  }
  return rows;
}

/** Trajectory rows {step, loss, w0, w1, ...} from `saddle + perturbation*direction`, for plots. */
export function saddleTrajectory(
  problem: SaddleProblem,
  method: SaddleMethod | OptimizerFactory,
  options: { perturbation: number; steps: number; direction?: readonly number[]; recordEvery?: number },
): TrajectoryRow[] {
  const p = checkNum('saddleTrajectory', 'perturbation', options.perturbation, { min: 0 });
  const make = typeof method === 'function' ? method : method.make;
  const start = p === 0 ? problem.saddle.slice() : startOf(problem, p, options.direction, 'saddleTrajectory');
  return runTrajectory(problem, make, { steps: options.steps, start, recordEvery: options.recordEvery }).rows;
}

/**
 * {@link saddleTrajectory} for several methods from the same start: rows tagged with `method`,
 * with every coordinate and the `distance` from the saddle (for a plot of the escape against the
 * step, where exponential growth is a straight line on a log axis), for contour plots. The
 * saddles here are unbounded below, so an escaping run flies off (to infinity on the monkey
 * saddle): `stopBeyond` ends each run at its first iterate farther than that from the saddle
 * (e.g. just outside the plotted box); without it a run stops only at `steps` or when it diverges.
 */
export function saddleTrajectories(
  problem: SaddleProblem,
  methods: readonly SaddleMethod[],
  options: { perturbation: number; steps: number; direction?: readonly number[]; recordEvery?: number; stopBeyond?: number },
): LabelledTrajectoryRow[] {
  const where = 'saddleTrajectories';
  const p = checkNum(where, 'perturbation', options.perturbation, { min: 0 });
  if (!Array.isArray(methods) || methods.length === 0) fail(where, 'methods', methods, 'a non-empty array of saddleMethod(...)');
  const beyond =
    options.stopBeyond === undefined
      ? undefined
      : checkNum(where, 'stopBeyond', options.stopBeyond, { min: 0, minOpen: true, hint: 'e.g. 1.5 for a plot of [-1, 1]^2.' });
  const start = p === 0 ? problem.saddle.slice() : startOf(problem, p, options.direction, where);
  const stop =
    beyond === undefined
      ? undefined
      : (w: Float32Array): boolean => {
          let d2 = 0;
          for (let i = 0; i < w.length; i++) d2 += (w[i]! - problem.saddle[i]!) ** 2;
          return Math.sqrt(d2) > beyond;
        };
  const rows = labelledTrajectories(problem, methods, {
    steps: options.steps,
    start,
    recordEvery: options.recordEvery,
    stop,
    recordCoords: problem.dims,
  });
  return rows.map((r) => ({ ...r, distance: Math.hypot(...problem.saddle.map((s0, i) => (r[`w${i}`] as number) - s0)) }));
}
