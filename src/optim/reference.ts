import { BUILTIN_GAFS, DEFAULT_GAF_PARAMS, GAF_PARAM_RULE, type BuiltinGafKind, type GafParams } from '../gaf/gaf';
import { ADAM_FIELDS, resolveAdam } from './adam-recipe';
import { numberField } from './fields';
import { GafOptimizer } from './gaf-optimizer';
import type { Recipe } from './recipes';
import { ADAPTIVE_SGD_FIELDS, resolveAdaptiveSgd, resolveSgd, type GafPlacement } from './sgd-recipe';
import type { WeightDecayTarget } from './transforms/index';
import { checkKnownKeys } from './validate';

/** Names of the optimizers in the authors' PyTorch code that {@link fromReference} rebuilds. */
export const REFERENCE_OPTIMIZERS = Object.freeze([
  'SGD_ori',
  'SGD_atan',
  'SGD_atanMom',
  'SGD_tanh_Mom',
  'SGD_log_Mom',
  'SGD_atanMom_Ada',
  'Adam_atan',
] as const);

/** One of {@link REFERENCE_OPTIMIZERS}. */
export type ReferenceOptimizerName = (typeof REFERENCE_OPTIMIZERS)[number];

/**
 * Options of {@link fromReference}; each name accepts only the options its reference class
 * has (anything else is an error, so a misplaced `alpha` is not silently ignored).
 */
export interface ReferenceOptions {
  /** Required for the SGD variants (as in the reference); Adam_atan defaults to 1e-3. */
  learningRate?: number;
  /** SGD variants: momentum, default 0 (the reference's CIFAR runs passed 0.9). */
  momentum?: number;
  /** SGD variants: dampening, default 0. */
  dampening?: number;
  /** SGD variants: Nesterov momentum, default false. */
  nesterov?: boolean;
  /** L2 weight decay, default 0 (the reference's CIFAR runs passed 5e-4). */
  weightDecay?: number;
  /**
   * SGD variants: which variables the decay acts on, default `'all'`; `'kernels'` (conv and
   * linear weights only) is the authors' ImageNet script without `--wd-all`.
   */
  weightDecayOn?: WeightDecayTarget;
  /** GAF output scale: default 0.3 for SGD variants, 0.1 for Adam_atan. */
  alpha?: number;
  /** GAF input scale: default 4.5 for SGD variants, 15 for Adam_atan. */
  beta?: number;
  /**
   * SGD_atanMom_Ada only, required: the reference's default 0 divides by zero; its runs used
   * 1.5 or 2.
   */
  shrink?: number;
  /** SGD_atanMom_Ada only, required: the reference's default 0 gives beta = 0; its runs used 1.1 to 2. */
  gamma?: number;
  /** Adam_atan only: default 0.9. */
  beta1?: number;
  /** Adam_atan only: default 0.999. */
  beta2?: number;
  /** Adam_atan only: default 1e-8. */
  epsilon?: number;
}

/** Ranges of every option a reference variant may take (their defaults depend on the variant). */
export const REFERENCE_FIELDS = {
  ...ADAPTIVE_SGD_FIELDS,
  alpha: numberField(GAF_PARAM_RULE),
  beta: numberField(GAF_PARAM_RULE),
  beta1: ADAM_FIELDS.beta1,
  beta2: ADAM_FIELDS.beta2,
  epsilon: ADAM_FIELDS.epsilon,
};

const SGD_KEYS = ['learningRate', 'momentum', 'dampening', 'nesterov', 'weightDecay', 'weightDecayOn'];
const GAF_KEYS = ['alpha', 'beta'];

/** The GAF each fixed-GAF SGD variant applies, and where. */
const FIXED_GAF: Partial<Record<ReferenceOptimizerName, { kind: BuiltinGafKind; placement: GafPlacement }>> = {
  SGD_atan: { kind: 'atan', placement: 'gradient' },
  SGD_atanMom: { kind: 'atan', placement: 'update' },
  SGD_tanh_Mom: { kind: 'tanh', placement: 'update' },
  SGD_log_Mom: { kind: 'log', placement: 'update' },
};

/** Adam_atan's GAF when alpha or beta is left out: the reference's 0.1*atan(15x). */
const ADAM_ATAN_GAF: Readonly<GafParams> = Object.freeze({ alpha: 0.1, beta: 15 });

/**
 * The settings of the optimizer the authors' code calls `name` (see {@link fromReference}),
 * resolved and validated without building it.
 */
export function resolveReference(name: ReferenceOptimizerName, options: ReferenceOptions = {}): { learningRate: number; recipe: Recipe } {
  if (!(REFERENCE_OPTIMIZERS as readonly string[]).includes(name)) {
    throw new Error(`fromReference: unknown optimizer ${JSON.stringify(name)}; valid names: ${REFERENCE_OPTIMIZERS.join(', ')}.`);
  }
  const where = `fromReference(${name})`;
  const { alpha, beta, shrink, gamma, beta1, beta2, epsilon, ...sgdOpts } = options;
  const fixed = FIXED_GAF[name];
  if (name === 'SGD_ori') {
    checkKnownKeys(where, options, SGD_KEYS);
    return resolveSgd({ ...sgdOpts, learningRate: sgdOpts.learningRate! }, where);
  }
  if (fixed) {
    checkKnownKeys(where, options, [...SGD_KEYS, ...GAF_KEYS]);
    const gaf = BUILTIN_GAFS[fixed.kind]({ alpha: alpha ?? DEFAULT_GAF_PARAMS.alpha, beta: beta ?? DEFAULT_GAF_PARAMS.beta });
    return resolveSgd({ ...sgdOpts, learningRate: sgdOpts.learningRate!, gaf, gafPlacement: fixed.placement }, where);
  }
  if (name === 'SGD_atanMom_Ada') {
    checkKnownKeys(where, options, [...SGD_KEYS, 'shrink', 'gamma']);
    return resolveAdaptiveSgd({ ...sgdOpts, learningRate: sgdOpts.learningRate!, shrink: shrink!, gamma: gamma! }, where);
  }
  checkKnownKeys(where, options, ['learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon', ...GAF_KEYS]);
  const gaf = BUILTIN_GAFS.atan({ alpha: alpha ?? ADAM_ATAN_GAF.alpha, beta: beta ?? ADAM_ATAN_GAF.beta });
  const { learningRate, weightDecay } = sgdOpts;
  return resolveAdam({ learningRate, weightDecay, beta1, beta2, epsilon, gaf }, where);
}

/**
 * The optimizer the authors' code calls `name`, with that code's defaults and semantics:
 * - `SGD_ori`: plain PyTorch SGD.
 * - `SGD_atan`: `alpha*atan(beta*g)` on the raw gradient, then weight decay and momentum.
 * - `SGD_atanMom`, `SGD_tanh_Mom`, `SGD_log_Mom`: weight decay and momentum first, then the
 *   atan / tanh / log GAF on the momentum output.
 * - `SGD_atanMom_Ada`: adaptive atan on the momentum output (see {@link sgdAdaptiveGaf}).
 * - `Adam_atan`: `0.1*atan(15g)` by default on the raw gradient, then L2 decay and Adam.
 *
 * @example fromReference('SGD_atanMom', {learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, alpha: 0.1, beta: 20})
 */
export function fromReference(name: ReferenceOptimizerName, options: ReferenceOptions = {}): GafOptimizer {
  const { learningRate, recipe } = resolveReference(name, options);
  return new GafOptimizer(learningRate, recipe);
}
