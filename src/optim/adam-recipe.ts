import type { Gaf } from '../gaf/gaf';
import { checkClip, type GradientClip } from './clip';
import type { Transform } from './transform';
import { activate, addWeightDecay, scaleByAdam, scaleByLearningRate } from './transforms/index';
import { numberField, readNumber } from './fields';
import { checkGaf, checkKnownKeys, LEARNING_RATE_HINT } from './validate';

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

const unitOpen = { min: 0, max: 1, maxOpen: true } as const;

/** Defaults and ranges of {@link AdamOptions}' numbers (PyTorch's defaults). */
export const ADAM_FIELDS = {
  learningRate: numberField({ default: 1e-3, min: 0, hint: LEARNING_RATE_HINT }),
  beta1: numberField({ default: 0.9, ...unitOpen }),
  beta2: numberField({ default: 0.999, ...unitOpen }),
  epsilon: numberField({ default: 1e-8, min: 0, minOpen: true }),
  weightDecay: numberField({ default: 0, min: 0 }),
};

/** Option names accepted by {@link adam}. */
export const ADAM_KEYS: readonly string[] = [...Object.keys(ADAM_FIELDS), 'gaf', 'clip'];

/** Validates {@link AdamOptions}; returns the learning rate and the resolved recipe. */
export function resolveAdam(opts: AdamOptions = {}, where = 'adam'): { learningRate: number; recipe: AdamRecipe } {
  checkKnownKeys(where, opts, ADAM_KEYS);
  const f = ADAM_FIELDS;
  return {
    learningRate: readNumber(where, 'learningRate', opts.learningRate, f.learningRate),
    recipe: {
      kind: 'adam',
      beta1: readNumber(where, 'beta1', opts.beta1, f.beta1),
      beta2: readNumber(where, 'beta2', opts.beta2, f.beta2),
      epsilon: readNumber(where, 'epsilon', opts.epsilon, f.epsilon),
      weightDecay: readNumber(where, 'weightDecay', opts.weightDecay, f.weightDecay),
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
