/**
 * Zoo models take the same training step on webgpu as on wasm, gaf-lab's replacements of tfjs
 * gradients and its backward pass compute the same on webgpu as tfjs's own, and 50 steps on
 * webgpu leave no tensor or GPU buffer behind.
 *
 * Models: small ones covering the kinds of layer the zoo trains (smallcnn: conv, batch norm,
 * max pool, dense; resnet20: residual blocks with batch norm and strided convolutions;
 * MobileNet: depthwise convolutions, whose gradients are separate kernels) at a small input and
 * batch: the software adapter takes seconds per step, most of it compiling shaders.
 *
 * Tolerances. Loss: 1e-5 relative (a forward pass of float32 sums in a different order agrees
 * to about 1e-6). Gradients and batch-norm statistics: each variable's error measured in the
 * L2 norm relative to the norm of wasm's, at most 1e-3: the backward pass of batch norm over a
 * tiny batch divides by the batch's standard deviation, which magnifies the float32 rounding
 * differences between the backends' convolution algorithms (im2col matmul on XNNPACK against
 * WGSL tiles) from about 1e-6 to about 1e-5 here; a wrong kernel (a transposed filter, a missing
 * term) is off by order 1. MobileNet at batch 2 ends in batch norms over 2x2 maps of 2 images
 * (8 numbers) after 27 layers: there tfjs's own cpu backend differs from wasm by 9e-3 in the
 * worst variable (the first batch norm's gamma; measured with this same input), and webgpu by
 * 8e-3, so its bound is 3e-2.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { setFastTraining } from '../src/backend/fast-training';
import { createModel } from '../src/models/index';
import { sgd } from '../src/optim/index';
import { gafs } from '../src/gaf/gaf';
import { classifierLoss, trainableVariables } from '../src/train/step';
import { on, startWasmAndWebGpu } from './webgpu-fixtures';

const LOSS_TOLERANCE = 1e-5;

const CASES: { model: string; inputShape: [number, number, number]; batch: number; tolerance: number }[] = [
  { model: 'smallcnn', inputShape: [28, 28, 1], batch: 4, tolerance: 1e-3 },
  { model: 'resnet20', inputShape: [8, 8, 3], batch: 2, tolerance: 1e-3 },
  { model: 'MobileNet', inputShape: [32, 32, 3], batch: 2, tolerance: 3e-2 },
];

/** Seeded pseudo-random numbers (a linear congruential generator), so both backends see the same input. */
function numbers(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

interface StepResult {
  loss: number;
  grads: Float32Array[];
  /** Every weight after the step's forward pass in training mode (batch-norm moving statistics included). */
  weights: Float32Array[];
}

/** One loss-and-gradient evaluation in training mode, from the given weights. */
async function step(c: (typeof CASES)[number], start: Float32Array[] | null): Promise<{ result: StepResult; initial: Float32Array[] }> {
  const model = createModel(c.model, { inputShape: c.inputShape, numClasses: 10, seed: 1 });
  try {
    if (start) tf.tidy(() => model.setWeights(start.map((w, i) => tf.tensor(w, model.weights[i]!.shape as number[]))));
    const initial = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
    const size = c.batch * c.inputShape.reduce((a, b) => a * b);
    const x = tf.tensor4d(numbers(size, 11), [c.batch, ...c.inputShape]);
    const y = tf.tensor1d(
      Array.from({ length: c.batch }, (_, i) => (3 * i + 1) % 10),
      'int32',
    );
    const { value, grads } = tf.variableGrads(() => classifierLoss(model, x, y, { training: true }), trainableVariables(model));
    const vars = trainableVariables(model);
    const result = {
      loss: (await value.data())[0]!,
      grads: await Promise.all(vars.map(async (v) => (await grads[v.name]!.data()) as Float32Array)),
      weights: await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array)),
    };
    tf.dispose([value, x, y, ...Object.values(grads)]);
    return { result, initial };
  } finally {
    model.dispose();
  }
}

function l2RelativeError(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

function assertSameStep(got: StepResult, ref: StepResult, label: string, tolerance: number): string {
  const lossErr = Math.abs(got.loss - ref.loss) / Math.abs(ref.loss);
  assert.ok(lossErr <= LOSS_TOLERANCE, `${label}: loss ${got.loss} vs ${ref.loss} (${lossErr.toExponential(2)} relative)`);
  let gradErr = 0;
  ref.grads.forEach((g, i) => {
    const e = l2RelativeError(got.grads[i]!, g);
    gradErr = Math.max(gradErr, e);
    assert.ok(e <= tolerance, `${label}: gradient of variable ${i} differs by ${e.toExponential(2)} (L2, relative)`);
  });
  let stateErr = 0;
  ref.weights.forEach((w, i) => {
    const e = l2RelativeError(got.weights[i]!, w);
    stateErr = Math.max(stateErr, e);
    assert.ok(e <= tolerance, `${label}: weight ${i} after the step differs by ${e.toExponential(2)} (L2, relative)`);
  });
  return `${label}: loss ${lossErr.toExponential(1)}, gradients ${gradErr.toExponential(1)}, weights/statistics ${stateErr.toExponential(1)}`;
}

before(startWasmAndWebGpu);

for (const c of CASES) {
  test(`${c.model} ${c.inputShape.join('x')} batch ${c.batch}: loss, gradients and batch-norm statistics on webgpu agree with wasm`, async (t) => {
    const ref = await on('wasm', () => step(c, null));
    const t0 = performance.now();
    const gpu = await on('webgpu', () => step(c, ref.initial));
    t.diagnostic(`webgpu step ${((performance.now() - t0) / 1000).toFixed(1)} s (first step: includes shader compilation)`);
    t.diagnostic(assertSameStep(gpu.result, ref.result, c.model, c.tolerance));
  });
}

test("gaf-lab's gradient replacements and lean backward pass give tfjs's own results on webgpu (resnet20)", async (t) => {
  const c = CASES.find((k) => k.model === 'resnet20')!;
  const fast = await on('webgpu', () => step(c, null));
  setFastTraining(false);
  try {
    const plain = await on('webgpu', () => step(c, fast.initial));
    t.diagnostic(assertSameStep(fast.result, plain.result, 'fast training on vs off', c.tolerance));
  } finally {
    setFastTraining(true);
  }
});

test('50 training steps on webgpu: no tensor and no GPU buffer left behind', async (t) => {
  await on('webgpu', async () => {
    const model = createModel('smallcnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 2 });
    const opt = sgd({ learningRate: 0.05, momentum: 0.9, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
    const x = tf.tensor4d(numbers(8 * 28 * 28, 5), [8, 28, 28, 1]);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
    const vars = trainableVariables(model);
    const gpuBytes = (): number => (tf.memory() as { numBytesInGPU?: number }).numBytesInGPU ?? NaN;
    const trainStep = async (): Promise<number> => {
      const loss = opt.minimize(() => classifierLoss(model, x, y, { training: true }), true, vars)!;
      const v = (await loss.data())[0]!;
      loss.dispose();
      return v;
    };
    // The first step creates the optimizer's state (momentum per variable): count from after it.
    const first = await trainStep();
    const tensors = tf.memory().numTensors;
    const bytes = gpuBytes();
    let last = first;
    for (let i = 0; i < 50; i++) last = await trainStep();
    assert.equal(tf.memory().numTensors, tensors, 'tensors after 50 more steps');
    assert.ok(Number.isFinite(bytes), 'the webgpu backend reports numBytesInGPU');
    assert.equal(gpuBytes(), bytes, 'GPU bytes in use after 50 more steps');
    assert.ok(last < first, `the loss on a fixed batch falls: ${first} -> ${last}`);
    t.diagnostic(`${tensors} tensors, ${bytes} GPU bytes in use throughout; loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });
});
