/**
 * The gradient of Relu computed from the op's output instead of its input.
 *
 * tfjs-core saves Relu's input x for dx = dy * step(x). Since relu(x) > 0 exactly when x > 0,
 * step(relu(x)) = step(x), so the output gives the same mask, bit for bit. Saving the output
 * matters for memory: the output is saved anyway (it is the next convolution's input), so
 * saving it again costs nothing (saved tensors share their data), while the input, usually a
 * batch-norm output that nothing else keeps, was an extra activation-sized tensor per layer
 * held until the backward pass reached it.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** The gaf-lab gradient for Relu. */
export const reluGradConfig: tf.GradConfig = {
  kernelName: 'Relu',
  outputsToSave: [true],
  gradFunc: (dy, saved) => {
    const [y] = saved as [tf.Tensor];
    return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(y), 'float32')) };
  },
};
