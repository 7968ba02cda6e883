import * as tf from '@tensorflow/tfjs';
import { stateless, type Transform } from '../transform';

/**
 * L2 weight decay added to the update: `d + wd * p` (PyTorch's `weight_decay`, coupled, not
 * AdamW's decoupled form). Where it sits in the chain decides whether the decay term is
 * activated by a GAF: the reference puts it after the GAF on the gradient (SGD_atan, Adam_atan)
 * and before the GAF on the update (SGD_atanMom).
 */
export function addWeightDecay(weightDecay: number): Transform {
  return stateless(`addWeightDecay(${weightDecay})`, (d, ctx) => tf.add(d, tf.mul(ctx.param, weightDecay)));
}
