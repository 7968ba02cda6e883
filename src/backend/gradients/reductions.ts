/**
 * The gradients of Mean and Sum with the broadcast done by `tf.broadcastTo` instead of a
 * multiplication with `tf.ones`.
 *
 * tfjs-core's gradients broadcast dy back over the reduced axes by multiplying with
 * `tf.ones(x.shape)`, which fills a JavaScript array element by element and then copies it
 * to the backend: outside any kernel, so invisible in `tf.profile`, and about 700 ms of a
 * 2.2 s ResNet-20 training step on wasm (batch norm's two Means per layer, CPU profile).
 * `tf.broadcastTo` runs the backend's Tile kernel: one write of the output (on wasm with
 * gaf-lab's Tile, block copies) instead of a JavaScript fill, a copy and a multiplication.
 * The values are bit-identical: Mean gives dy / R where tfjs-core computes (dy * 1) / R;
 * Sum gives dy where tfjs-core computes dy * 1.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** dy reshaped so that it broadcasts over the reduced axes of x. */
function expandedDy(dy: tf.Tensor, x: tf.Tensor, axis: unknown): { expanded: tf.Tensor; reduceSize: number } {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const shape = x.shape.slice();
  let reduceSize = 1;
  for (const a of axes) {
    reduceSize *= x.shape[a]!;
    shape[a] = 1;
  }
  return { expanded: tf.reshape(dy, shape), reduceSize };
}

/** Mean: d x = broadcast(dy) / (number of reduced elements). */
export const meanGradConfig: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => {
        const { expanded, reduceSize } = expandedDy(dy as tf.Tensor, x, (attrs as { axis: unknown }).axis);
        return tf.broadcastTo(tf.div(expanded, reduceSize), x.shape);
      },
    };
  },
};

/** Sum: d x = broadcast(dy). */
export const sumGradConfig: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    return {
      x: () => tf.broadcastTo(expandedDy(dy as tf.Tensor, x, (attrs as { axis: unknown }).axis).expanded, x.shape),
    };
  },
};
