import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { seeded, size, relErr, useBackend } from './wasm-compare';
import { registerWasmGradientKernels } from '../src/backend/wasm-kernels/index';
import { setFastTraining } from '../src/backend/fast-training';
import { leanBackpropOn, setLeanBackprop } from '../src/backend/lean-backprop';
import { batchNormTraining, reluGradConfig, setLeanBatchNorm } from '../src/backend/gradients/index';
import { LeanBatchNormalization } from '../src/models/lean-batch-norm';
import { createModel } from '../src/models/index';

// Captured before gaf-lab replaces anything (node --test runs this file in its own process).
const TFJS_RELU_GRADIENT = tf.getGradient('Relu');
registerWasmGradientKernels();
setFastTraining(true);

// Independent references: tfjs-core's own engine.gradients and its composite batch norm
// (tf.moments + tf.batchNorm with tfjs-core's gradients), and the cpu backend's kernels.
const REL_TOL = 1e-4;

const t = (shape: number[], seed: number): tf.Tensor => tf.tensor(seeded(size(shape), seed), shape);

/**
 * A graph with what the backward pass must get right: a tensor used three times (gradients
 * accumulated), a two-output op with one output unused (split), a broadcast, a custom gradient.
 */
function graph(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const h = tf.relu(tf.sub(tf.mul(a, b), tf.scalar(0.25)));
  const [left] = tf.split(tf.sin(h), 2, 1);
  const square = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor]);
    return { value: tf.square(x as tf.Tensor), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(saved[0]!, 2)) };
  });
  const u = tf.add(tf.mul(h, tf.sum(a, 0)), square(tf.concat([left!, left!], 1)));
  return tf.sum(tf.mul(u, tf.add(a, h)));
}

/** Gradients of {@link graph}: first order by tf.grads, with a given dy, and second order. */
function gradients(): Float32Array[] {
  return tf.tidy(() => {
    const a = t([3, 4], 1);
    const b = t([3, 4], 2);
    const [ga, gb] = tf.grads(graph)([a, b]);
    const withDy = tf.grads((x: tf.Tensor) => tf.mul(tf.sin(x), x))([a], t([3, 4], 3));
    const second = tf.grad((x: tf.Tensor) => tf.sum(tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.sin(z), z)))(x)))(a);
    return [ga!, gb!, withDy[0]!, second].map((g) => Float32Array.from(g.dataSync()));
  });
}

test("lean backprop gives bit-identical gradients to tfjs-core's engine (accumulation, unused outputs, custom gradients, given dy, second order), and is switched by setFastTraining", async () => {
  await useBackend('cpu');
  assert.ok(leanBackpropOn(), 'setFastTraining(true) turned it on');
  setFastTraining(false);
  assert.ok(!leanBackpropOn(), "setFastTraining(false) restores tfjs-core's engine.gradients");
  const ref = gradients();
  setFastTraining(true);
  assert.ok(leanBackpropOn());
  const before = tf.memory().numTensors;
  const got = gradients();
  assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  got.forEach((g, i) => assert.deepEqual(g, ref[i], `gradient ${i} differs`));
  assert.ok(
    ref.every((g) => g.some((v) => v !== 0)),
    'non-trivial gradients',
  );
  // Errors keep tfjs-core's messages.
  assert.throws(() => tf.grad(() => tf.scalar(1))(tf.scalar(2)), /Cannot compute gradient of y=f\(x\)/);
});

/**
 * Live tensor count at the moment the backward pass reaches the bottom of a chain of n Sin ops
 * (recorded by an identity op with a custom gradient placed below the chain).
 */
function liveAtBottom(n: number): number {
  let live = -1;
  const probe = tf.customGrad((x) => ({
    value: tf.clone(x as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      live = tf.memory().numTensors;
      return tf.clone(dy);
    },
  }));
  tf.tidy(() => {
    const x = t([64], 4);
    tf.grad((v: tf.Tensor) => {
      let h = probe(v) as tf.Tensor;
      for (let i = 0; i < n; i++) h = tf.sin(h);
      return tf.sum(h);
    })(x);
  });
  return live;
}

test('lean backprop frees saved tensors and gradients as it goes: the live count at the bottom of a chain does not grow with its length', async () => {
  await useBackend('cpu');
  setLeanBackprop(false);
  const engine = [liveAtBottom(4), liveAtBottom(12)];
  setLeanBackprop(true);
  const lean = [liveAtBottom(4), liveAtBottom(12)];
  // tfjs-core keeps, per Sin node already processed, its saved input and its output's gradient:
  // 8 more objects alive for 8 more Sin ops. The lean pass has freed both for each of them.
  assert.equal(engine[1]! - engine[0]!, 2 * 8, `tfjs-core: ${engine}`);
  assert.equal(lean[1], lean[0], `lean: ${lean}`);
  assert.ok(lean[1]! < engine[1]! - 2 * 12 + 1, `lean ${lean} vs tfjs-core ${engine}`);
});

test("the Relu gradient from the output is bit-identical to tfjs-core's, zeros included", async () => {
  await useBackend('cpu');
  assert.equal(tf.getGradient('Relu'), reluGradConfig);
  const run = (): Float32Array =>
    tf.tidy(() => {
      const x = tf.tensor([-2, -0.5, 0, 0, 1e-30, 0.5, 3, -0]);
      return Float32Array.from(
        tf
          .grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.tensor([1, 2, 3, 4, 5, 6, 7, 8]))))(x)
          .dataSync(),
      );
    });
  const got = run();
  tf.registerGradient(TFJS_RELU_GRADIENT!);
  const ref = run();
  tf.registerGradient(reluGradConfig);
  assert.deepEqual(got, ref);
  assert.deepEqual(Array.from(got), [0, 0, 0, 0, 5, 6, 7, 0]);
});

/** Batch norm in training as tfjs-layers builds it: tf.moments + tf.batchNorm. */
function compositeBn(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor[] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, beta, gamma, eps), mean, variance];
}

/** Outputs (y, mean, variance) and gradients (x, gamma, beta) of sum(w * bn(x)). */
function bnCase(shape: number[], lean: boolean): Float32Array[] {
  return tf.tidy(() => {
    const c = shape[shape.length - 1]!;
    // Shifted and scaled inputs, so that the mean and variance terms of the gradient matter.
    const x = tf.add(tf.mul(t(shape, 5), 3), 1.5);
    const gamma = tf.add(t([c], 6), 1.2) as tf.Tensor1D;
    const beta = t([c], 7) as tf.Tensor1D;
    const w = t(shape, 8);
    const bn = (xs: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor[] => {
      if (!lean) return compositeBn(xs, g, b, 1e-5);
      const r = batchNormTraining(xs, g, b, 1e-5);
      return [r.y, r.mean, r.variance];
    };
    const outs = bn(x, gamma, beta);
    const grads = tf.grads((xs: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(w, bn(xs, g as tf.Tensor1D, b as tf.Tensor1D)[0]!)),
    )([x, gamma, beta]);
    return [...outs, ...grads].map((v) => Float32Array.from(v.dataSync()));
  });
}

test("batchNormTraining: the same output, mean and variance as tf.moments + tf.batchNorm (bit-identical on cpu), and the closed-form gradient equals tfjs-core's composite one, on cpu and wasm", async () => {
  const shapes = [
    [3, 4, 5, 6],
    [7, 5],
    [2, 3, 4],
  ];
  await useBackend('cpu');
  setFastTraining(false);
  const ref = shapes.map((s) => bnCase(s, false));
  setFastTraining(true);
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    shapes.forEach((s, k) => {
      const got = bnCase(s, true);
      ['y', 'mean', 'variance'].forEach((name, i) => {
        if (backend === 'cpu') assert.deepEqual(got[i], ref[k]![i], `${name} of [${s}] not bit-identical`);
        else assert.ok(relErr(got[i]!, ref[k]![i]!) <= REL_TOL, `wasm ${name} of [${s}]`);
      });
      ['dx', 'dgamma', 'dbeta'].forEach((name, j) => {
        const e = relErr(got[3 + j]!, ref[k]![3 + j]!);
        assert.ok(e <= REL_TOL, `${backend} ${name} of [${s}]: relative error ${e}`);
      });
    });
    assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  }
  assert.throws(
    () => batchNormTraining(tf.zeros([2, 3]), tf.ones([4]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D, 1e-5),
    /gamma, beta shape \[C\]; got x \[2,3\], gamma \[4\]/,
  );
});

/** One layer on a fixed input: training output, moving statistics, then inference output. */
function layerRun(layer: tf.layers.Layer): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.add(tf.mul(t([4, 3, 3, 5], 9), 2), 0.7);
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [3, 3, 5] }), layer] });
    const train = model.apply(x, { training: true }) as tf.Tensor;
    const stats = layer
      .getWeights()
      .slice(2)
      .map((w) => Float32Array.from(w.dataSync()));
    const infer = model.apply(x, { training: false }) as tf.Tensor;
    return [Float32Array.from(train.dataSync()), ...stats, Float32Array.from(infer.dataSync())];
  });
}

test("LeanBatchNormalization behaves as tfjs's BatchNormalization: outputs, moving statistics, class name, weights, serialization", async () => {
  await useBackend('cpu');
  const args = { axis: -1, momentum: 0.9, epsilon: 1e-5 };
  const lean = new LeanBatchNormalization({ ...args, name: 'lean_bn' });
  const ref = layerRun(tf.layers.batchNormalization({ ...args, name: 'tfjs_bn' }));
  const got = layerRun(lean);
  got.forEach((v, i) => assert.deepEqual(v, ref[i], `output ${i} (train, moving mean, moving variance, inference) not bit-identical`));
  assert.equal(lean.getClassName(), 'BatchNormalization');
  assert.deepEqual(
    lean.weights.map((w) => w.name),
    ['lean_bn/gamma', 'lean_bn/beta', 'lean_bn/moving_mean', 'lean_bn/moving_variance'],
  );
  // A saved model names the class 'BatchNormalization': it loads as tfjs's own layer.
  const [cls, fromConfig] = tf.serialization.SerializationMap.getMap().classNameMap[lean.getClassName()]!;
  const restored = fromConfig(cls, lean.getConfig()) as tf.layers.Layer;
  assert.equal(restored.constructor, cls);
  assert.notEqual(cls, LeanBatchNormalization);
  assert.equal((restored.getConfig() as { epsilon: number }).epsilon, 1e-5);
});

/** Gradients of one training step of a zoo model on a tiny fixed batch, all variables concatenated. */
function modelGradients(name: string): Float32Array {
  const model = createModel(name, { inputShape: [8, 8, 3], numClasses: 4, seed: 3 });
  const before = tf.memory().numTensors;
  const flat = tf.tidy(() => {
    const x = tf.tensor4d(seeded(4 * 8 * 8 * 3, 12), [4, 8, 8, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    );
    return Float32Array.from(tf.concat(vars.map((v) => tf.reshape(grads[v.name]!, [-1]))).dataSync());
  });
  assert.equal(tf.memory().numTensors, before, `${name}: the step leaked tensors`);
  model.dispose();
  return flat;
}

/** tfjs's engine.gradients, composite batch norm and Relu gradient; the fast kernels stay. */
function withoutLeanParts<T>(f: () => T): T {
  setLeanBackprop(false);
  setLeanBatchNorm(false);
  tf.registerGradient(TFJS_RELU_GRADIENT!);
  try {
    return f();
  } finally {
    setFastTraining(true);
  }
}

test("zoo models: one step's gradients with the lean pass, lean batch norm and the Relu gradient equal tfjs's (MobileNetV2 on wasm, ResNet-20 on cpu)", async () => {
  // Relative error over all gradients together: max |got - ref| / max |ref|. (Per variable it
  // is not meaningful here: a batch norm followed by another has a beta gradient that is zero
  // in exact arithmetic, so both sides hold rounding noise of different sizes.)
  const globalErr = (got: Float32Array, ref: Float32Array): number => {
    let d = 0;
    let s = 0;
    for (let i = 0; i < ref.length; i++) {
      d = Math.max(d, Math.abs(got[i]! - ref[i]!));
      s = Math.max(s, Math.abs(ref[i]!));
    }
    return d / s;
  };
  for (const [name, backend] of [
    ['MobileNetV2', 'wasm'],
    ['resnet20', 'cpu'],
  ] as const) {
    await useBackend(backend);
    assert.equal(tf.getGradient('Relu'), reluGradConfig);
    const ref = withoutLeanParts(() => modelGradients(name));
    const got = modelGradients(name);
    assert.equal(got.length, ref.length);
    const e = globalErr(got, ref);
    assert.ok(e <= REL_TOL, `${name} on ${backend}: relative error ${e}`);
    assert.ok(ref.some((v) => v !== 0));
  }
});

test('ResNet-20 trains on wasm with everything on: the loss falls, no tensor leaks', async () => {
  await useBackend('wasm');
  const model = createModel('resnet20', { inputShape: [8, 8, 3], numClasses: 4, seed: 3 });
  const opt = tf.train.sgd(0.05);
  const x = tf.tensor4d(seeded(4 * 8 * 8 * 3, 12), [4, 8, 8, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
  const losses: number[] = [];
  let afterFirst = 0;
  for (let i = 0; i < 3; i++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    losses.push((await loss!.data())[0]!);
    loss!.dispose();
    if (i === 0) afterFirst = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, afterFirst, 'a training step leaked tensors');
  assert.ok(losses[2]! < losses[0]!, `the loss falls: ${losses}`);
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();
});
