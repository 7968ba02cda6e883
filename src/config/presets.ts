/**
 * Ready-made configs: the authors' CIFAR recipe.
 * @module
 */
import type { BuiltinGafKind } from '../gaf/gaf';
import type { ExperimentConfigInput } from './schema';

/** Options of {@link referenceCifarRecipe}. */
export interface ReferenceRecipeOptions {
  dataset?: 'cifar10' | 'cifar100';
  /** Default ResNet18. */
  model?: string;
  /** Default 200, as in the reference. */
  epochs?: number;
  /** Linear warm-up per iteration over the first n epochs (default 0: none). */
  warmupEpochs?: number;
  /** GAF on the gradient (SGD_atan); null/absent: plain SGD (SGD_ori). */
  gaf?: { kind: BuiltinGafKind; alpha: number; beta: number } | null;
  seed?: number;
  outDir?: string;
}

/**
 * The reference CIFAR recipe as a config: SGD with lr 0.1, momentum 0.9, weight decay 5e-4,
 * batch 256, cosine annealing per epoch with tMax = epochs, optional per-iteration warm-up,
 * random-crop + flip augmentation and per-channel normalisation.
 */
export function referenceCifarRecipe(o: ReferenceRecipeOptions = {}): ExperimentConfigInput {
  return {
    dataset: { name: o.dataset ?? 'cifar10', augment: true },
    model: { name: o.model ?? 'ResNet18' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4 }, gaf: o.gaf ?? null, placement: 'gradient' },
    schedule: { kind: 'cosine', warmupEpochs: o.warmupEpochs ?? 0 },
    epochs: o.epochs ?? 200,
    batchSize: 256,
    seed: o.seed ?? 0,
    ...(o.outDir !== undefined ? { outDir: o.outDir } : {}),
  };
}
