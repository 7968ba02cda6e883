import type { Gaf } from '../gaf/gaf';
import { checkClip, type GradientClip } from './clip';
import type { Transform } from './transform';
import {
  activate,
  adaptiveAtan,
  addWeightDecay,
  scaledSign,
  scaleByLearningRate,
  trace,
  WEIGHT_DECAY_TARGETS,
  type WeightDecayTarget,
} from './transforms/index';
import { booleanField, numberField, readBoolean, readNumber } from './fields';
import { checkGaf, checkKnownKeys, checkNumber, checkOneOf, fail, LEARNING_RATE_HINT } from './validate';

/**
 * Where the GAF acts in SGD:
 * - `'gradient'` (SGD_atan): g on the raw gradient, then weight decay, then momentum.
 * - `'update'` (SGD_atanMom, SGD_tanh_Mom, SGD_log_Mom): weight decay, momentum on the raw
 *   decayed gradient, then g on the momentum output (the buffer keeps un-activated values).
 */
export type GafPlacement = 'gradient' | 'update';

/** The valid {@link GafPlacement} values. */
export const GAF_PLACEMENTS: readonly GafPlacement[] = Object.freeze(['gradient', 'update'] as const);

/** Momentum settings shared by the SGD variants (PyTorch conventions). */
export interface MomentumOptions {
  /** Momentum factor mu in [0, 1). 0 (default) disables the buffer. */
  momentum?: number;
  /** Dampening tau in [0, 1] (default 0): the buffer adds `(1 - tau) * d` after the first step. */
  dampening?: number;
  /** Nesterov momentum (default false); needs momentum > 0 and dampening = 0, as in PyTorch. */
  nesterov?: boolean;
  /** L2 weight decay wd >= 0 (default 0): `wd * p` is added to the update. */
  weightDecay?: number;
  /**
   * Which variables `weightDecay` acts on (default `'all'`); `'kernels'`: only convolution and
   * linear weights (see `isKernelVariable`), as the authors' ImageNet script does.
   */
  weightDecayOn?: WeightDecayTarget;
  /** Gradient clipping on the raw gradient (default none); see {@link GradientClip}. */
  clip?: GradientClip | null;
}

/** Options of {@link sgd}. */
export interface SgdOptions extends MomentumOptions {
  /** Learning rate (required, >= 0). Can be changed later through `optimizer.learningRate`. */
  learningRate: number;
  /** Gradient activation function; leave out for plain SGD (the reference's SGD_ori). */
  gaf?: Gaf | null;
  /**
   * Where `gaf` acts (default `'gradient'`, the reference's SGD_atan and the paper's
   * formulation). Ignored when there is no `gaf`.
   */
  gafPlacement?: GafPlacement;
  /**
   * Scaled sign-SGD: the update's components are replaced by `signScale * sign(.)` where a GAF
   * would act (see `gafPlacement`); leave out for none. Cannot be combined with `gaf`.
   */
  signScale?: number;
}

/** Options of {@link sgdAdaptiveGaf} (the reference's SGD_atanMom_Ada). */
export interface AdaptiveSgdOptions extends MomentumOptions {
  /** Learning rate (required, >= 0). */
  learningRate: number;
  /** > 0. The activated update is bounded by `max|d| / shrink` (the reference ran 1.5 and 2). */
  shrink: number;
  /** > 0. Slope scale: `beta = gamma / alpha` (the reference ran 1.1 to 2). */
  gamma: number;
}

/** Resolved momentum settings. */
export interface MomentumRecipe {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** `'kernels'` when decay skips all but conv/linear weights; absent (not undefined) for all, so older settings keep their form. */
  weightDecayOn?: 'kernels';
  clip: GradientClip | null;
}

/** Fully resolved, validated settings of an SGD optimizer (what `getConfig` stores). */
export interface SgdRecipe extends MomentumRecipe {
  kind: 'sgd';
  gaf: Gaf | null;
  gafPlacement: GafPlacement;
  /** Scaled sign-SGD's scale; absent (not undefined) when off, so older settings keep their form. */
  signScale?: number;
}

/** Fully resolved, validated settings of an adaptive-GAF SGD optimizer. */
export interface AdaptiveSgdRecipe extends MomentumRecipe {
  kind: 'sgdAdaptiveGaf';
  shrink: number;
  gamma: number;
}

/** Defaults and ranges of the momentum settings shared by the SGD variants (PyTorch's). */
export const MOMENTUM_FIELDS = {
  momentum: numberField({ default: 0, min: 0, max: 1, maxOpen: true }),
  dampening: numberField({ default: 0, min: 0, max: 1 }),
  nesterov: booleanField(false),
  weightDecay: numberField({ default: 0, min: 0, hint: 'The reference CIFAR runs used 5e-4.' }),
};

const sgdLearningRate = numberField({
  min: 0,
  whyRequired: 'the reference has no default for SGD',
  hint: `e.g. {learningRate: 0.1}. ${LEARNING_RATE_HINT}`,
});
const adaptiveHint = 'The reference runs used e.g. shrink=2, gamma=2.';

/** Defaults and ranges of {@link SgdOptions}' numbers and flags. */
export const SGD_FIELDS = { learningRate: sgdLearningRate, ...MOMENTUM_FIELDS };

/** Defaults and ranges of {@link AdaptiveSgdOptions}' numbers and flags. */
export const ADAPTIVE_SGD_FIELDS = {
  learningRate: sgdLearningRate,
  ...MOMENTUM_FIELDS,
  shrink: numberField({ min: 0, minOpen: true, hint: adaptiveHint }),
  gamma: numberField({ min: 0, minOpen: true, hint: adaptiveHint }),
};

/** Option names accepted by {@link sgd}. */
export const SGD_KEYS: readonly string[] = [...Object.keys(SGD_FIELDS), 'weightDecayOn', 'clip', 'gaf', 'gafPlacement', 'signScale'];
/** Option names accepted by {@link sgdAdaptiveGaf}. */
export const ADAPTIVE_SGD_KEYS: readonly string[] = [...Object.keys(ADAPTIVE_SGD_FIELDS), 'weightDecayOn', 'clip'];

function resolveMomentum(where: string, o: MomentumOptions): MomentumRecipe {
  const f = MOMENTUM_FIELDS;
  const momentum = readNumber(where, 'momentum', o.momentum, f.momentum);
  const dampening = readNumber(where, 'dampening', o.dampening, f.dampening);
  const nesterov = readBoolean(where, 'nesterov', o.nesterov, f.nesterov);
  const weightDecay = readNumber(where, 'weightDecay', o.weightDecay, f.weightDecay);
  if (nesterov && (momentum === 0 || dampening !== 0)) {
    fail(
      where,
      'nesterov',
      `true with momentum=${momentum}, dampening=${dampening}`,
      'needs momentum > 0 and dampening = 0 (PyTorch rule)',
      'Set momentum (e.g. 0.9) and dampening 0, or nesterov: false.',
    );
  }
  const on = checkOneOf(where, 'weightDecayOn', o.weightDecayOn ?? 'all', WEIGHT_DECAY_TARGETS);
  return { momentum, dampening, nesterov, weightDecay, ...(on === 'kernels' ? { weightDecayOn: on } : {}), clip: checkClip(where, o.clip) };
}

/** Validates {@link SgdOptions}; returns the learning rate and the resolved recipe. */
export function resolveSgd(opts: SgdOptions, where = 'sgd'): { learningRate: number; recipe: SgdRecipe } {
  checkKnownKeys(where, opts, SGD_KEYS);
  const learningRate = readNumber(where, 'learningRate', opts.learningRate, SGD_FIELDS.learningRate);
  const recipe: SgdRecipe = {
    kind: 'sgd',
    ...resolveMomentum(where, opts),
    gaf: checkGaf(where, opts.gaf),
    gafPlacement: checkOneOf(where, 'gafPlacement', opts.gafPlacement ?? 'gradient', GAF_PLACEMENTS),
  };
  if (opts.signScale !== undefined) {
    const signScale = checkNumber(where, 'signScale', opts.signScale, {
      min: 0,
      minOpen: true,
      hint: 'e.g. the bound of the GAF it stands for: alpha*pi/2 for atan, alpha for tanh.',
    });
    if (recipe.gaf) fail(where, 'signScale', signScale, `cannot be combined with gaf ${recipe.gaf.name}`, 'Leave out one of them.');
    recipe.signScale = signScale;
  }
  return { learningRate, recipe };
}

/** Validates {@link AdaptiveSgdOptions}; returns the learning rate and the resolved recipe. */
export function resolveAdaptiveSgd(
  opts: AdaptiveSgdOptions,
  where = 'sgdAdaptiveGaf',
): { learningRate: number; recipe: AdaptiveSgdRecipe } {
  checkKnownKeys(where, opts, ADAPTIVE_SGD_KEYS);
  const f = ADAPTIVE_SGD_FIELDS;
  const learningRate = readNumber(where, 'learningRate', opts.learningRate, f.learningRate);
  const recipe: AdaptiveSgdRecipe = {
    kind: 'sgdAdaptiveGaf',
    ...resolveMomentum(where, opts),
    shrink: readNumber(where, 'shrink', opts.shrink, f.shrink),
    gamma: readNumber(where, 'gamma', opts.gamma, f.gamma),
  };
  return { learningRate, recipe };
}

function momentumStages(r: MomentumRecipe): { decay: Transform[]; momentum: Transform[] } {
  return {
    decay: r.weightDecay !== 0 ? [addWeightDecay(r.weightDecay, r.weightDecayOn ?? 'all')] : [],
    momentum: r.momentum !== 0 ? [trace(r)] : [],
  };
}

/** The transform chain of an SGD recipe (see {@link GafPlacement} for the two orders). */
export function sgdChain(r: SgdRecipe): Transform[] {
  const { decay, momentum } = momentumStages(r);
  const g = r.gaf ? [activate(r.gaf)] : r.signScale !== undefined ? [scaledSign(r.signScale)] : [];
  return r.gafPlacement === 'gradient'
    ? [...g, ...decay, ...momentum, scaleByLearningRate()]
    : [...decay, ...momentum, ...g, scaleByLearningRate()];
}

/** The transform chain of SGD_atanMom_Ada: decay, momentum, adaptive atan, learning rate. */
export function adaptiveSgdChain(r: AdaptiveSgdRecipe): Transform[] {
  const { decay, momentum } = momentumStages(r);
  return [...decay, ...momentum, adaptiveAtan(r.shrink, r.gamma), scaleByLearningRate()];
}
