/**
 * Every model takes one training step on the `wasm` backend: SGD with momentum and the atan
 * GAF (src/optim), a batch of 2 random images, softmax cross-entropy. Checks: the loss is
 * finite, every convolution/dense kernel changed (so each one is connected and receives a
 * gradient through all the wasm kernels it needs), and no tensor is left behind.
 *
 * Biases and BN parameters are left out of the "changed" check on purpose: a conv bias
 * followed by BN (VGG, GoogLeNet) has an exactly-zero gradient (BN subtracts the batch mean),
 * and so does the BN beta of a block output that only feeds conv+BN layers (the linear
 * bottlenecks of MobileNetV2); in float32 their update is a few 1e-9 and may not register.
 *
 * Inputs are 32x32 where the step is cheap and 16x16 for the heavy CIFAR models (their
 * global average pool accepts it; VGG needs 32x32 for its five 2x2 pools); ImageNet ResNet-18
 * and -50 run at 64x64 instead of 224x224, ResNet-34 and the SE-ResNets at 32x32 (their
 * smallest input, one 1x1 map after the last stage), to keep the test short. Step times are printed by the test runner per test.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createModel, listModels } from '../src/models/index';
import { initBackend } from '../src/backend/init';
import { sgd } from '../src/optim/index';
import { gafs } from '../src/gaf/index';

/** Input side per model where it is not 32 (see the file comment). */
const SIDE: Record<string, number> = {
  ResNet34: 16,
  ResNet50: 16,
  ResNet101: 16,
  ResNet152: 16,
  PreActResNet18: 16,
  SENet18: 16,
  DenseNet121: 16,
  GoogLeNet: 16,
  ResNeXt29_2x64d: 16,
  DPN26: 16,
  RegNetX_200MF: 16,
  MobileNetV2: 16,
  imagenet_resnet18: 64,
  imagenet_resnet50: 64,
};

/** Models whose second step is also run, to check that a step holds no tensor back. */
const STEADY_STATE = new Set(['resnet20', 'ShuffleNetV2', 'EfficientNetB0', 'RegNetX_200MF']);

before(async () => {
  await initBackend('wasm');
});

for (const info of listModels()) {
  const side = SIDE[info.name] ?? 32;
  const shape: [number, number, number] = info.name === 'smallcnn' ? [28, 28, 1] : [side, side, 3];
  test(`${info.name}: one SGD+GAF step on wasm (batch 2, ${shape.join('x')})`, () => {
    const baseline = tf.memory().numTensors;
    const numClasses = 10;
    const model = createModel(info.name, { inputShape: shape, numClasses, seed: 1 });
    const optimizer = sgd({ learningRate: 0.01, momentum: 0.9, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
    const x = tf.randomNormal([2, ...shape], 0, 1, 'float32', 7);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3], 'int32'), numClasses));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const kernels = vars.filter((v) => v.rank >= 2);
    const before = kernels.map((v) => tf.clone(v));
    const step = (): number => {
      const loss = optimizer.minimize(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        true,
        vars,
      );
      if (!loss) throw new Error('minimize returned no loss');
      const value = loss.dataSync()[0];
      loss.dispose();
      return value;
    };
    try {
      const loss = step();
      assert.ok(Number.isFinite(loss), `finite loss, got ${loss}`);
      const unchanged = kernels.filter((v, i) => tf.tidy(() => tf.all(tf.equal(v, before[i])).dataSync()[0] === 1));
      assert.deepEqual(
        unchanged.map((v) => v.name),
        [],
        'every kernel changed',
      );
      if (STEADY_STATE.has(info.name)) {
        const n = tf.memory().numTensors;
        assert.ok(Number.isFinite(step()));
        assert.equal(tf.memory().numTensors, n, 'a second step leaves the tensor count unchanged');
      }
    } finally {
      before.forEach((t) => t.dispose());
      [x, y].forEach((t) => t.dispose());
      optimizer.dispose();
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, baseline, 'disposing model, optimizer and data frees every tensor');
  });
}
