import type { Gaf } from '../gaf/gaf';
import { checkClip, type GradientClip } from './clip';
import type { Transform } from './transform';
import { activate, addWeightDecay, scaleByLearningRate, scaleByRms, trace } from './transforms/index';
import { checkBoolean, checkGaf, checkKnownKeys, checkLearningRate, checkNumber } from './validate';

/** Options of {@link rmsprop} (PyTorch's RMSprop, with an optional GAF on the raw gradient). */
export interface RmspropOptions {
  /** Learning rate, default 1e-2 (PyTorch's default). */
  learningRate?: number;
  /** Smoothing constant (PyTorch's `alpha`) in [0, 1), default 0.99. */
  decay?: number;
  /** > 0, default 1e-8, added to the root of the running average. */
  epsilon?: number;
  /** Momentum in [0, 1), default 0: `buf = mu*buf + d/avg`, step `lr*buf`. */
  momentum?: number;
  /** Normalise by the running variance (subtracting the squared running mean), default false. */
  centered?: boolean;
  /** L2 weight decay >= 0 added to the (activated) gradient, default 0. */
  weightDecay?: number;
  /** GAF applied to the raw gradient first (a reference run used 0.7*atan(0.7x)). */
  gaf?: Gaf | null;
  /** Gradient clipping on the raw gradient, before the GAF (default none). */
  clip?: GradientClip | null;
}

/** Fully resolved, validated RMSprop settings. */
export interface RmspropRecipe {
  kind: 'rmsprop';
  decay: number;
  epsilon: number;
  momentum: number;
  centered: boolean;
  weightDecay: number;
  gaf: Gaf | null;
  clip: GradientClip | null;
}

/** Option names accepted by {@link rmsprop}. */
export const RMSPROP_KEYS: readonly string[] = ['learningRate', 'decay', 'epsilon', 'momentum', 'centered', 'weightDecay', 'gaf', 'clip'];

/** Validates {@link RmspropOptions}; returns the learning rate and the resolved recipe. */
export function resolveRmsprop(opts: RmspropOptions = {}, where = 'rmsprop'): { learningRate: number; recipe: RmspropRecipe } {
  checkKnownKeys(where, opts, RMSPROP_KEYS);
  const unit = { min: 0, max: 1, maxOpen: true };
  return {
    learningRate: checkLearningRate(where, opts.learningRate ?? 1e-2),
    recipe: {
      kind: 'rmsprop',
      decay: checkNumber(where, 'decay', opts.decay ?? 0.99, unit),
      epsilon: checkNumber(where, 'epsilon', opts.epsilon ?? 1e-8, { min: 0, minOpen: true }),
      momentum: checkNumber(where, 'momentum', opts.momentum ?? 0, unit),
      centered: checkBoolean(where, 'centered', opts.centered ?? false),
      weightDecay: checkNumber(where, 'weightDecay', opts.weightDecay ?? 0, { min: 0 }),
      gaf: checkGaf(where, opts.gaf),
      clip: checkClip(where, opts.clip),
    },
  };
}

/** GAF on the raw gradient, L2 decay, RMS scaling, optional momentum, learning rate. */
export function rmspropChain(r: RmspropRecipe): Transform[] {
  return [
    ...(r.gaf ? [activate(r.gaf)] : []),
    ...(r.weightDecay !== 0 ? [addWeightDecay(r.weightDecay)] : []),
    scaleByRms(r),
    // PyTorch's RMSprop buffer starts at zero: mu*0 + x = x, the same as trace's copy-start.
    ...(r.momentum !== 0 ? [trace({ momentum: r.momentum, dampening: 0, nesterov: false })] : []),
    scaleByLearningRate(),
  ];
}
