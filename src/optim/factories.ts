import { resolveAdam, type AdamOptions } from './adam-recipe';
import { GafOptimizer } from './gaf-optimizer';
import { resolveRmsprop, type RmspropOptions } from './rmsprop-recipe';
import { resolveAdaptiveSgd, resolveSgd, type AdaptiveSgdOptions, type SgdOptions } from './sgd-recipe';

/**
 * SGD in PyTorch's form (momentum buffer copied from the first update, dampening, Nesterov,
 * L2 weight decay), optionally with a GAF placed on the gradient (SGD_atan, the default) or on
 * the momentum output (SGD_atanMom). Without `gaf` it is the reference's SGD_ori.
 *
 * @example sgd({learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, gaf: gafs.atan({alpha: 0.1, beta: 20})})
 */
export function sgd(options: SgdOptions): GafOptimizer {
  const { learningRate, recipe } = resolveSgd(options);
  return new GafOptimizer(learningRate, recipe);
}

/**
 * SGD with the adaptive atan GAF on the momentum output (the reference's SGD_atanMom_Ada):
 * per variable and step, `alpha = 2*max|d|/(pi*shrink)`, `beta = gamma/alpha`,
 * `d = alpha*atan(beta*d)`. Uses max|d| where the reference uses max(d), and leaves an
 * all-zero update at zero where the reference divides by zero.
 */
export function sgdAdaptiveGaf(options: AdaptiveSgdOptions): GafOptimizer {
  const { learningRate, recipe } = resolveAdaptiveSgd(options);
  return new GafOptimizer(learningRate, recipe);
}

/**
 * Adam with L2 weight decay and an optional GAF on the raw gradient (the reference's
 * Adam_atan): `m/(sqrt(v)+eps)` scaled by `lr*sqrt(1-b2^t)/(1-b1^t)`.
 */
export function adam(options: AdamOptions = {}): GafOptimizer {
  const { learningRate, recipe } = resolveAdam(options);
  return new GafOptimizer(learningRate, recipe);
}

/** PyTorch's RMSprop (plain, centered, with momentum), with an optional GAF on the raw gradient. */
export function rmsprop(options: RmspropOptions = {}): GafOptimizer {
  const { learningRate, recipe } = resolveRmsprop(options);
  return new GafOptimizer(learningRate, recipe);
}
