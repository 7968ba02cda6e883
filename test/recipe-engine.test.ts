/**
 * The engine pieces the authors' ImageNet recipe needs: weight decay on conv/linear weights only
 * (`weightDecayOn: 'kernels'`), cosine annealing stepped per iteration after a per-iteration
 * linear warm-up (`schedule.per: 'iteration'`), the ImageNet training crop ranges, torchvision's
 * initialisation, and that leaving these out (or writing their defaults) changes no run id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { parseConfig, resolveConfig, runIdOf, ConfigError } from '../src/config/index';
import { createModel } from '../src/models/index';
import { fromReference, sgd } from '../src/optim/index';
import { isKernelVariable } from '../src/optim/transforms/index';
import { cosinePerIteration, learningRateAt } from '../src/train/schedule';

const close = (actual: number, expected: number, what: string, tol = 1e-6): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);

test('isKernelVariable: conv, depthwise and dense kernels are; BN gamma/beta, biases and unnamed variables are not', () => {
  for (const name of ['conv1/kernel', 'layer1_0_conv1/kernel', 'fc/kernel_1', 'dw/depthwise_kernel', 'sep/pointwise_kernel_12']) {
    assert.equal(isKernelVariable(name), true, name);
  }
  for (const name of ['bn1/gamma', 'bn1/beta', 'fc/bias', 'conv1/bias_3', 'kernel', 'bn1/moving_mean', 'x/kernelish']) {
    assert.equal(isKernelVariable(name), false, name);
  }
});

test("SGD_atanMom with weightDecayOn 'kernels': two steps on mixed variables, worked by hand", () => {
  tf.setBackend('cpu');
  // lr 0.1, momentum 0.9, wd 0.5, g(x) = 0.2 atan(10 x) on the momentum output; p = [1, -2].
  // Step 1, gradient [0.05, 0.05]:
  //   kernel:     d = g + 0.5 p = [0.55, -0.95]; b = d; p -= 0.1 * 0.2 atan(10 b)
  //               = [1 - 0.02 atan(5.5), -2 - 0.02 atan(-9.5)] = [0.97218114, -1.97068161]
  //   not kernel: d = g; b = d; p -= 0.02 atan(0.5) = [0.99072705, -2.00927295]
  // Step 2, gradient 0:
  //   kernel:     d = 0.5 p1; b = 0.9 b1 + d = [0.98109057, -1.84034081]; p2 = p1 - 0.02 atan(10 b)
  //               = [0.94279675, -1.94035137]
  //   not kernel: b = 0.9 * 0.05 = 0.045; p2 = p1 - 0.02 atan(0.45) = [0.98226997, -2.01773003]
  const names = ['wdk_conv/kernel', 'wdk_fc/kernel_7', 'wdk_conv/bias', 'wdk_bn/gamma', 'wdk_bn/beta'];
  const vars = names.map((n) => tf.variable(tf.tensor1d([1, -2]), true, n));
  const before = tf.memory().numTensors;
  const opt = fromReference('SGD_atanMom', {
    learningRate: 0.1,
    momentum: 0.9,
    weightDecay: 0.5,
    weightDecayOn: 'kernels',
    alpha: 0.2,
    beta: 10,
  });
  const step = (g: number): void => {
    const grads = Object.fromEntries(names.map((n) => [n, tf.tensor1d([g, g])]));
    opt.applyGradients(grads);
    Object.values(grads).forEach((t) => t.dispose());
  };
  step(0.05);
  const expected1 = { kernel: [0.9721811434599517, -1.9706816122387067], other: [0.9907270478199839, -2.0092729521800163] };
  vars.forEach((v, i) => {
    const e = isKernelVariable(names[i]!) ? expected1.kernel : expected1.other;
    const got = v.dataSync();
    close(got[0]!, e[0]!, `${names[i]} step 1 [0]`);
    close(got[1]!, e[1]!, `${names[i]} step 1 [1]`);
  });
  const afterFirst = tf.memory().numTensors;
  step(0);
  assert.equal(tf.memory().numTensors, afterFirst, 'a later step leaves the tensor count unchanged');
  const expected2 = { kernel: [0.9427967487574725, -1.9403513732440776], other: [0.982269969297325, -2.0177300307026753] };
  vars.forEach((v, i) => {
    const e = isKernelVariable(names[i]!) ? expected2.kernel : expected2.other;
    const got = v.dataSync();
    close(got[0]!, e[0]!, `${names[i]} step 2 [0]`);
    close(got[1]!, e[1]!, `${names[i]} step 2 [1]`);
  });
  assert.deepEqual(opt.stages.slice(0, 1), ['addWeightDecay(0.5, kernels)']);
  opt.dispose();
  assert.equal(tf.memory().numTensors, before, 'disposing the optimizer frees its momentum buffers');
  vars.forEach((v) => v.dispose());
});

test("weightDecayOn: 'all' (the default) decays every variable; a bad value is named with the allowed ones", () => {
  tf.setBackend('cpu');
  // Plain SGD, lr 0.1, wd 0.5, no momentum, p = 1, gradient 0: p -= 0.1 * 0.5 * 1 = 0.95 for both.
  const names = ['wda_conv/kernel', 'wda_bn/gamma'];
  const vars = names.map((n) => tf.variable(tf.scalar(1), true, n));
  for (const weightDecayOn of [undefined, 'all'] as const) {
    vars.forEach((v) => v.assign(tf.scalar(1)));
    const opt = sgd({ learningRate: 0.1, weightDecay: 0.5, ...(weightDecayOn ? { weightDecayOn } : {}) });
    const grads = Object.fromEntries(names.map((n) => [n, tf.scalar(0)]));
    opt.applyGradients(grads);
    Object.values(grads).forEach((t) => t.dispose());
    vars.forEach((v, i) => close(v.dataSync()[0]!, 0.95, `${names[i]} with weightDecayOn ${String(weightDecayOn)}`));
    assert.equal('weightDecayOn' in opt.recipe, false, 'the default leaves the recipe (and getConfig) as before');
    opt.dispose();
  }
  vars.forEach((v) => v.dispose());
  assert.throws(
    () => sgd({ learningRate: 0.1, weightDecayOn: 'conv' as 'all' }),
    /weightDecayOn must be one of 'all', 'kernels', got "conv"/,
  );
  assert.throws(() => fromReference('Adam_atan', { weightDecayOn: 'kernels' }), /weightDecayOn/);
});

test('cosinePerIteration: warm-up then cosine to etaMin on the last iteration, worked by hand', () => {
  // base 0.4, 4 iterations per epoch, 1 warm-up epoch (W = 4), tMax 3 epochs (T = 12).
  // t < 4: 0.4 (t + 1) / 4; t >= 4: 0.2 (1 + cos(pi (t + 1 - 4) / 8)).
  //   t = 0: 0.1; t = 3: 0.4; t = 4: 0.2 (1 + cos(pi/8)) = 0.38477591; t = 7: 0.2 (1 + cos(pi/2)) = 0.2;
  //   t = 9: 0.2 (1 + cos(3pi/4)) = 0.05857864; t = 11: 0.2 (1 + cos(pi)) = 0.
  // The authors' scheduler gives the same: epoch e, batch i (0-based), lr = base (e + (i+1)/N) / 5
  // during warm-up, else base (1 + cos(pi (e - W + (i+1)/N) / (tMax - W))) / 2 with W in epochs.
  const lr = cosinePerIteration(0.4, 12, 4);
  const expected: [number, number][] = [
    [0, 0.1],
    [3, 0.4],
    [4, 0.38477590650225735],
    [7, 0.2],
    [9, 0.05857864376269051],
    [11, 0],
  ];
  for (const [t, e] of expected) close(lr(t), e, `t = ${t}`, 1e-12);
  // The same through the resolved schedule settings, as the runner asks for it (epoch, batch).
  const s = { kind: 'cosine' as const, warmupEpochs: 1, tMax: 3, etaMin: 0, per: 'iteration' as const };
  close(learningRateAt(s, 0.4, 1, 0, 4), 0.38477590650225735, 'epoch 1 batch 0', 1e-12);
  close(learningRateAt(s, 0.4, 2, 3, 4), 0, 'last batch of the last epoch', 1e-12);
  // etaMin is the floor: 0.05 + (0.4 - 0.05) (1 + cos(pi/2)) / 2 = 0.225 at t = 7.
  close(cosinePerIteration(0.4, 12, 4, 0.05)(7), 0.225, 'etaMin 0.05', 1e-12);
  // All warm-up: after it the cosine has ended.
  close(cosinePerIteration(0.4, 4, 4)(4), 0, 'no cosine iterations left', 1e-12);
  // Per epoch (no `per`): the epoch's cosine value times the warm-up: epoch 1 of tMax 3 with warm-up 1
  // is 0.2 (1 + cos(pi/3)) = 0.3 for every batch of it.
  close(learningRateAt({ kind: 'cosine', warmupEpochs: 1, tMax: 3, etaMin: 0 }, 0.4, 1, 2, 4), 0.3, 'per epoch', 1e-12);
  assert.throws(() => cosinePerIteration(0.4, 3, 4), /total iterations \(3\) must be >= warm-up iterations \(4\)/);
});

const baseConfig = {
  dataset: { name: 'cifar10' },
  model: { name: 'ResNet18' },
  optimizer: { name: 'reference', variant: 'SGD_ori', options: { learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4 } },
  schedule: { kind: 'cosine', warmupEpochs: 1 },
  epochs: 200,
  batchSize: 256,
};

test("writing the defaults (per: 'epoch', weightDecayOn: 'all') gives the run id of leaving them out", () => {
  const plain = resolveConfig(baseConfig);
  const explicit = resolveConfig({
    ...baseConfig,
    schedule: { ...baseConfig.schedule, per: 'epoch' },
    optimizer: { ...baseConfig.optimizer, options: { ...baseConfig.optimizer.options, weightDecayOn: 'all' } },
  });
  assert.deepEqual(explicit, plain);
  assert.equal(runIdOf(explicit), runIdOf(plain));
  assert.equal('per' in plain.schedule, false);
  const iter = resolveConfig({ ...baseConfig, schedule: { ...baseConfig.schedule, per: 'iteration' } });
  assert.deepEqual(iter.schedule, { kind: 'cosine', warmupEpochs: 1, tMax: 200, etaMin: 0, per: 'iteration' });
  assert.notEqual(runIdOf(iter), runIdOf(plain));
  const kernels = resolveConfig({
    ...baseConfig,
    optimizer: { ...baseConfig.optimizer, options: { ...baseConfig.optimizer.options, weightDecayOn: 'kernels' } },
  });
  assert.equal((kernels.optimizer.effective as { weightDecayOn?: string }).weightDecayOn, 'kernels');
  assert.notEqual(runIdOf(kernels), runIdOf(plain));
});

test('config errors: per-iteration cosine shorter than its warm-up, crop ranges, crops on CIFAR', () => {
  const issues = (c: unknown): string => {
    try {
      parseConfig(c);
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    assert.fail('expected a ConfigError');
  };
  assert.match(
    issues({ ...baseConfig, schedule: { kind: 'cosine', per: 'iteration', warmupEpochs: 5, tMax: 3 } }),
    /schedule\.tMax.*tMax \(3\) must be >= warmupEpochs \(5\)/,
  );
  assert.match(issues({ ...baseConfig, schedule: { kind: 'cosine', per: 'batch' } }), /schedule\.per/);
  const imagenet = { ...baseConfig, dataset: { name: 'imagenet', randomResizedCrop: { scale: [0.5, 0.1], ratio: [0.8, 1.25] } } };
  assert.match(issues(imagenet), /dataset\.randomResizedCrop\.scale.*must be \[lo, hi\] with 0 < lo <= hi <= 1/);
  assert.match(
    issues({ ...baseConfig, dataset: { name: 'cifar10', randomResizedCrop: { scale: [0.1, 1], ratio: [0.8, 1.25] } } }),
    /dataset\.randomResizedCrop.*only ImageNet/,
  );
  const ok = resolveConfig({ ...imagenet, dataset: { name: 'imagenet', randomResizedCrop: { scale: [0.1, 1], ratio: [0.8, 1.25] } } });
  assert.deepEqual(ok.dataset.randomResizedCrop, { scale: [0.1, 1], ratio: [0.8, 1.25] });
});

const stats = (v: Float32Array | Int32Array | Uint8Array): { mean: number; sd: number; maxAbs: number } => {
  let sum = 0;
  let maxAbs = 0;
  for (const x of v) {
    sum += x;
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  const mean = sum / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / v.length), maxAbs };
};

test("init 'torchvision': convolutions normal with sd sqrt(2 / fan_out), linear layers as PyTorch's default", async () => {
  await tf.setBackend('cpu');
  const kernelOf = (m: tf.LayersModel, layer: string): Float32Array => m.getLayer(layer).getWeights()[0]!.dataSync() as Float32Array;
  const tv = createModel('imagenet_resnet18', { init: 'torchvision', seed: 3, inputShape: [32, 32, 3] });
  // layer4_1_conv2 is 3x3, 512 -> 512: fan_out = 9 * 512 = 4608, sd = sqrt(2 / 4608) = 0.0208333;
  // its 2,359,296 draws give the sample sd to about 0.05% and the mean to about 1.4e-5.
  const conv = stats(kernelOf(tv, 'layer4_1_conv2'));
  assert.ok(Math.abs(conv.sd - Math.sqrt(2 / 4608)) < 0.01 * Math.sqrt(2 / 4608), `conv sd ${conv.sd}`);
  assert.ok(Math.abs(conv.mean) < 1e-4, `conv mean ${conv.mean}`);
  // A normal draw exceeds 4 sd about 6 times in 100,000; a uniform one never exceeds its bound.
  assert.ok(conv.maxAbs > 4 * Math.sqrt(2 / 4608), 'normal, not uniform');
  // fc 512 -> 1000 keeps PyTorch's U(-1/sqrt(512), 1/sqrt(512)) = ±0.0441942.
  const fc = stats(kernelOf(tv, 'fc'));
  assert.ok(fc.maxAbs <= 1 / Math.sqrt(512) && fc.maxAbs > 0.99 / Math.sqrt(512), `fc max |w| ${fc.maxAbs}`);
  tv.dispose();
  // The default ('pytorch'): the same convolution uniform in ±1/sqrt(fan_in) = ±1/sqrt(4608).
  const pt = createModel('imagenet_resnet18', { seed: 3, inputShape: [32, 32, 3] });
  const ptConv = stats(kernelOf(pt, 'layer4_1_conv2'));
  assert.ok(ptConv.maxAbs <= 1 / Math.sqrt(4608) && ptConv.maxAbs > 0.99 / Math.sqrt(4608), `pytorch conv max |w| ${ptConv.maxAbs}`);
  pt.dispose();
});
