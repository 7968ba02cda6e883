import type { Gaf } from '../gaf/gaf';
import { checkClip, type GradientClip } from './clip';
import type { Transform } from './transform';
import { activate, addWeightDecay, scaleByLearningRate, scaleByRms, trace } from './transforms/index';
import { booleanField, numberField, readBoolean, readNumber } from './fields';
import { checkGaf, checkKnownKeys, LEARNING_RATE_HINT } from './validate';

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

const unitOpen = { min: 0, max: 1, maxOpen: true } as const;

/** Defaults and ranges of {@link RmspropOptions}' numbers and flags (PyTorch's defaults). */
export const RMSPROP_FIELDS = {
  learningRate: numberField({ default: 1e-2, min: 0, hint: LEARNING_RATE_HINT }),
  decay: numberField({ default: 0.99, ...unitOpen }),
  epsilon: numberField({ default: 1e-8, min: 0, minOpen: true }),
  momentum: numberField({ default: 0, ...unitOpen }),
  centered: booleanField(false),
  weightDecay: numberField({ default: 0, min: 0 }),
};

/** Option names accepted by {@link rmsprop}. */
export const RMSPROP_KEYS: readonly string[] = [...Object.keys(RMSPROP_FIELDS), 'gaf', 'clip'];

/** Validates {@link RmspropOptions}; returns the learning rate and the resolved recipe. */
export function resolveRmsprop(opts: RmspropOptions = {}, where = 'rmsprop'): { learningRate: number; recipe: RmspropRecipe } {
  checkKnownKeys(where, opts, RMSPROP_KEYS);
  const f = RMSPROP_FIELDS;
  return {
    learningRate: readNumber(where, 'learningRate', opts.learningRate, f.learningRate),
    recipe: {
      kind: 'rmsprop',
      decay: readNumber(where, 'decay', opts.decay, f.decay),
      epsilon: readNumber(where, 'epsilon', opts.epsilon, f.epsilon),
      momentum: readNumber(where, 'momentum', opts.momentum, f.momentum),
      centered: readBoolean(where, 'centered', opts.centered, f.centered),
      weightDecay: readNumber(where, 'weightDecay', opts.weightDecay, f.weightDecay),
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
