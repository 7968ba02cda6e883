import type { Gaf } from '../gaf/gaf';
import { checkClip, type GradientClip } from './clip';
import type { Transform } from './transform';
import { activate, addWeightDecay, scaleByAdam, scaleByLearningRate } from './transforms/index';
import { checkGaf, checkKnownKeys, checkLearningRate, checkNumber } from './validate';

/** Options of {@link adam} (the reference's Adam_atan; plain Adam with L2 decay without `gaf`). */
export interface AdamOptions {
  /** Learning rate, default 1e-3. */
  learningRate?: number;
  /** Decay of the first moment, in [0, 1), default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1), default 0.999. */
  beta2?: number;
  /** > 0, default 1e-8, added to sqrt(v) before bias correction (PyTorch < 1.5 form). */
  epsilon?: number;
  /** L2 weight decay >= 0 added to the (activated) gradient, default 0; not AdamW. */
  weightDecay?: number;
  /** GAF applied to the raw gradient first (the reference's Adam_atan used 0.1*atan(15x)). */
  gaf?: Gaf | null;
  /** Gradient clipping on the raw gradient, before the GAF (default none). */
  clip?: GradientClip | null;
}

/** Fully resolved, validated Adam settings. */
export interface AdamRecipe {
  kind: 'adam';
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  gaf: Gaf | null;
  clip: GradientClip | null;
}

/** Option names accepted by {@link adam}. */
export const ADAM_KEYS: readonly string[] = ['learningRate', 'beta1', 'beta2', 'epsilon', 'weightDecay', 'gaf', 'clip'];

/** Validates {@link AdamOptions}; returns the learning rate and the resolved recipe. */
export function resolveAdam(opts: AdamOptions = {}, where = 'adam'): { learningRate: number; recipe: AdamRecipe } {
  checkKnownKeys(where, opts, ADAM_KEYS);
  const unit = { min: 0, max: 1, maxOpen: true };
  return {
    learningRate: checkLearningRate(where, opts.learningRate ?? 1e-3),
    recipe: {
      kind: 'adam',
      beta1: checkNumber(where, 'beta1', opts.beta1 ?? 0.9, unit),
      beta2: checkNumber(where, 'beta2', opts.beta2 ?? 0.999, unit),
      epsilon: checkNumber(where, 'epsilon', opts.epsilon ?? 1e-8, { min: 0, minOpen: true }),
      weightDecay: checkNumber(where, 'weightDecay', opts.weightDecay ?? 0, { min: 0 }),
      gaf: checkGaf(where, opts.gaf),
      clip: checkClip(where, opts.clip),
    },
  };
}

/** GAF on the raw gradient, L2 decay, Adam direction, learning rate. */
export function adamChain(r: AdamRecipe): Transform[] {
  return [
    ...(r.gaf ? [activate(r.gaf)] : []),
    ...(r.weightDecay !== 0 ? [addWeightDecay(r.weightDecay)] : []),
    scaleByAdam(r),
    scaleByLearningRate(),
  ];
}
