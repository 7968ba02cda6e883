import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/**
 * Which variables weight decay acts on: `all` of them (PyTorch's default), or only `kernels`,
 * the weights of convolutions and linear layers (batch-norm gamma/beta and biases undecayed, as
 * the authors' ImageNet script does unless `--wd-all`).
 */
export const WEIGHT_DECAY_TARGETS = ['all', 'kernels'] as const;

/** One of {@link WEIGHT_DECAY_TARGETS}. */
export type WeightDecayTarget = (typeof WEIGHT_DECAY_TARGETS)[number];

/** The weight names tfjs layers give convolution and dense weights (depthwise and separable ones included). */
const KERNEL_NAMES = new Set(['kernel', 'depthwise_kernel', 'pointwise_kernel']);

/**
 * Whether a variable is a convolution or linear weight, read from its tfjs name
 * `<layer>/<weight>`: `kernel`, `depthwise_kernel` or `pointwise_kernel`, with the `_N` suffix
 * tfjs adds to repeated names ignored. Batch-norm `gamma`/`beta`, biases, and variables not
 * named by a layer are not kernels.
 */
export function isKernelVariable(name: string): boolean {
  const slash = name.lastIndexOf('/');
  if (slash < 0) return false;
  return KERNEL_NAMES.has(name.slice(slash + 1).replace(/_\d+$/, ''));
}

/**
 * L2 weight decay added to the update: `d + wd * p` (PyTorch's `weight_decay`, coupled, not
 * AdamW's decoupled form), on every variable or, with `on = 'kernels'`, only on
 * {@link isKernelVariable} ones. Where it sits in the chain decides whether the decay term is
 * activated by a GAF: the reference puts it after the GAF on the gradient (SGD_atan, Adam_atan)
 * and before the GAF on the update (SGD_atanMom).
 */
export function addWeightDecay(weightDecay: number, on: WeightDecayTarget = 'all'): Transform {
  if (on === 'all') return stateless(`addWeightDecay(${weightDecay})`, (d, ctx) => tf.add(d, tf.mul(ctx.param, weightDecay)));
  return stateless(`addWeightDecay(${weightDecay}, kernels)`, (d, ctx) =>
    isKernelVariable(ctx.param.name) ? tf.add(d, tf.mul(ctx.param, weightDecay)) : d,
  );
}
