/**
 * Fair learning rates for comparisons: each method gets its own best learning rate from a
 * grid, instead of one shared value that happens to suit one of them.
 */
import { checkNumArray, fail } from './validate';

/** One grid point that was tried. */
export interface LearningRateTrial<R> {
  lr: number;
  /** Lower is better; `Infinity` for a failed run (diverged, never reached the target). */
  score: number;
  result: R;
}

/** What {@link bestLearningRate} found. */
export interface BestLearningRate<R> {
  /** The grid value with the lowest score, or null when every run failed (all scores infinite). */
  lr: number | null;
  score: number;
  /** That run's result (null when all failed). */
  result: R | null;
  /** Every grid point in the order tried. */
  tried: LearningRateTrial<R>[];
}

/** What the evaluator of {@link bestLearningRate} returns for one learning rate. */
export interface LearningRateScore<R> {
  score: number;
  result: R;
}

/**
 * Tries every learning rate of `grid` in order and returns the one with the lowest score.
 * `evaluate(lr, bestSoFar)` receives the best score so far (Infinity at first) so it can stop a
 * run as soon as the run can no longer win (e.g. cap the steps at the best iteration count):
 * that keeps grid searches over slow, ill-conditioned problems affordable. Ties keep the first.
 *
 * @example
 * bestLearningRate([0.5, 0.25, 0.125], (lr, cap) => { const r = run(lr, cap); return {score: r.iters ?? Infinity, result: r}; })
 */
export function bestLearningRate<R>(
  grid: readonly number[],
  evaluate: (lr: number, bestSoFar: number) => LearningRateScore<R>,
): BestLearningRate<R> {
  const lrs = checkNumArray('bestLearningRate', 'grid', grid, { min: 0, minOpen: true, hint: 'e.g. [0.1, 0.05, 0.02].' });
  if (typeof evaluate !== 'function') fail('bestLearningRate', 'evaluate', evaluate, 'a function (lr, bestSoFar) => {score, result}');
  const tried: LearningRateTrial<R>[] = [];
  let best: LearningRateTrial<R> | null = null;
  for (const lr of lrs) {
    const { score, result } = evaluate(lr, best === null ? Infinity : best.score);
    const s = Number.isNaN(score) ? Infinity : score;
    const trial = { lr, score: s, result };
    tried.push(trial);
    if (Number.isFinite(s) && (best === null || s < best.score)) best = trial;
  }
  return { lr: best?.lr ?? null, score: best?.score ?? Infinity, result: best?.result ?? null, tried };
}

/**
 * Learning rates `center * factor`, ordered from the center outward (factor 1 first, then by
 * |log factor|, the larger rate first on ties). Default factors 2^(k/2) for k = 4 .. -6, i.e.
 * 4, 2.83, 2, ..., 0.125 times `center`: half-octave steps, coarse enough to be cheap and fine
 * enough that the best grid point is within a factor 1.19 of the best rate in that range.
 * Center first because the theory step is usually close to the best, so it sets a low cap early
 * and {@link bestLearningRate} can cut the later runs short.
 */
export function relativeGrid(center: number, factors: readonly number[] = DEFAULT_LR_FACTORS): number[] {
  const c = checkNumArray('relativeGrid', 'center', [center], { min: 0, minOpen: true })[0]!;
  const fs = checkNumArray('relativeGrid', 'factors', factors, { min: 0, minOpen: true });
  return fs
    .slice()
    .sort((a, b) => Math.abs(Math.log(a)) - Math.abs(Math.log(b)) || b - a)
    .map((f) => c * f);
}

/** The default factors of {@link relativeGrid}: 2^(k/2), k = 4 .. -6. */
export const DEFAULT_LR_FACTORS: readonly number[] = Object.freeze(Array.from({ length: 11 }, (_, i) => Math.pow(2, (4 - i) / 2)));
