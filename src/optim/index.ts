/**
 * Optimizers with gradient activation functions, built as chains of small transforms.
 * @packageDocumentation
 */
export { sgd, sgdAdaptiveGaf, adam, rmsprop } from './factories';
export { GafOptimizer } from './gaf-optimizer';
export { withGaf, WithGafOptimizer } from './with-gaf';
export { fromReference, REFERENCE_OPTIMIZERS } from './reference';
export type { ReferenceOptimizerName, ReferenceOptions } from './reference';
export { GAF_PLACEMENTS } from './sgd-recipe';
export { WEIGHT_DECAY_TARGETS, isKernelVariable } from './transforms/index';
export type { WeightDecayTarget } from './transforms/index';
export type { GafPlacement, SgdOptions, AdaptiveSgdOptions, MomentumOptions, SgdRecipe, AdaptiveSgdRecipe } from './sgd-recipe';
export type { AdamOptions, AdamRecipe } from './adam-recipe';
export type { RmspropOptions, RmspropRecipe } from './rmsprop-recipe';
export type { Recipe } from './recipes';
export { DEFAULT_TINY_THRESHOLD } from './observe';
export type { GradientStats, GradientSummary, ObserveOptions } from './observe';
export type { NamedTensor } from './named-grads';
export { CLIP_KINDS, CLIP_NORM_EPSILON, clipLabel, globalNormScale } from './clip';
export type { GradientClip } from './clip';
