/**
 * Every GAF optimizer variant takes the same steps on webgpu as on wasm.
 *
 * Each variant runs the same 5 steps on both backends: two variables, fixed gradients that
 * change every step. Compared per step: the update (new weights minus old), to 1e-5 of the
 * largest component of wasm's update; after the last step: the optimizer state (step count,
 * momentum, Adam's moments, RMSprop's averages) to 1e-5 of its largest component. Both backends
 * compute in float32 (relative rounding 6e-8 per operation), so a few dozen operations per step
 * stay two orders of magnitude inside 1e-5; a wrong kernel is off by far more.
 *
 * The weights start near zero (about 0.01) so that an update (about 0.001-0.02) is not lost in
 * the rounding of the weights it is read from: float32 rounds a weight of size w to 6e-8 w.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BUILTIN_GAFS, GAF_KINDS, gafs } from '../src/gaf/gaf';
import {
  CLIP_KINDS,
  GAF_PLACEMENTS,
  REFERENCE_OPTIMIZERS,
  adam,
  fromReference,
  rmsprop,
  sgd,
  sgdAdaptiveGaf,
  withGaf,
} from '../src/optim/index';
import type { GradientClip } from '../src/optim/index';
import { on, relativeMaxError, startWasmAndWebGpu } from './webgpu-fixtures';

const STEPS = 5;
const TOLERANCE = 1e-5;
const A = { alpha: 0.1, beta: 20 };

const CLIPS: Record<(typeof CLIP_KINDS)[number], GradientClip> = {
  value: { kind: 'value', value: 0.25 },
  norm: { kind: 'norm', maxNorm: 0.5 },
  rms: { kind: 'rms', maxRms: 0.1 },
};

type Make = () => tf.Optimizer;

const VARIANTS: [string, Make][] = [
  ...GAF_KINDS.flatMap((kind) =>
    GAF_PLACEMENTS.map((placement): [string, Make] => [
      `sgd momentum + ${kind} on the ${placement}`,
      () => sgd({ learningRate: 0.1, momentum: 0.9, gaf: BUILTIN_GAFS[kind](A), gafPlacement: placement }),
    ]),
  ),
  ['sgd nesterov, dampening-free, weight decay', () => sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ['sgd momentum + dampening + atan', () => sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.3, gaf: gafs.atan(A) })],
  ...CLIP_KINDS.map((kind): [string, Make] => [
    `sgd momentum + clip by ${kind} + atan`,
    () => sgd({ learningRate: 0.1, momentum: 0.9, clip: CLIPS[kind], gaf: gafs.atan(A) }),
  ]),
  ['scaled sign-SGD', () => sgd({ learningRate: 0.1, signScale: 0.05 })],
  [
    'adaptive GAF (shrink, gamma, decay)',
    () => sgdAdaptiveGaf({ learningRate: 0.1, momentum: 0.9, shrink: 2, gamma: 2, weightDecay: 0.01 }),
  ],
  ['adam + atan + decay', () => adam({ learningRate: 0.01, weightDecay: 0.01, gaf: gafs.atan({ alpha: 0.1, beta: 15 }) })],
  ['adam + clip by norm', () => adam({ learningRate: 0.01, clip: CLIPS.norm })],
  ['rmsprop centered + momentum + atan', () => rmsprop({ learningRate: 0.01, centered: true, momentum: 0.5, gaf: gafs.atan(A) })],
  ['rmsprop + tanh', () => rmsprop({ learningRate: 0.01, gaf: gafs.tanh(A) })],
  ...REFERENCE_OPTIMIZERS.map((name): [string, Make] => [
    `reference ${name}`,
    () =>
      fromReference(name, {
        learningRate: name === 'Adam_atan' ? 0.01 : 0.1,
        ...(name === 'SGD_atanMom_Ada' ? { shrink: 2, gamma: 1.5 } : {}),
      }),
  ]),
  ['withGaf(tf.train.adam) + atan', () => withGaf(tf.train.adam(0.01), gafs.atan(A))],
  ['withGaf(tf.train.rmsprop) + log', () => withGaf(tf.train.rmsprop(0.01, 0.9, 0.5), gafs.log(A))],
];

const SHAPES: [number, number][] = [
  [3, 4],
  [5, 1],
];

/** Step k's gradient, component i of variable v: of both signs, sizes 0.1 to 0.6, never near zero (sign-SGD). */
const gradient = (k: number, v: number, i: number): number =>
  (0.1 + 0.5 * Math.abs(Math.sin(1.3 * i + 0.7 * k + v))) * ((i + k + v) % 3 === 0 ? -1 : 1);

let uid = 0;

interface Trajectory {
  /** updates[step][variable]: the change of each weight in that step. */
  updates: number[][][];
  state: Float32Array[];
  leaked: number;
}

async function trajectory(make: Make): Promise<Trajectory> {
  const before = tf.memory().numTensors;
  const id = uid++;
  const vars = SHAPES.map(([r, c], v) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor2d(
          Array.from({ length: r * c }, (_, i) => 0.01 * Math.cos(i + v)),
          [r, c],
        ),
        true,
        `wgpu_opt_${id}_${v}`,
      ),
    ),
  );
  const opt = make();
  let prev = await Promise.all(vars.map(async (x) => Array.from(await x.data())));
  const updates: number[][][] = [];
  for (let k = 1; k <= STEPS; k++) {
    const grads = Object.fromEntries(
      vars.map((x, v) => [
        x.name,
        tf.tensor2d(
          Array.from({ length: x.size }, (_, i) => gradient(k, v, i)),
          x.shape as [number, number],
        ),
      ]),
    );
    opt.applyGradients(grads);
    tf.dispose(Object.values(grads));
    const now = await Promise.all(vars.map(async (x) => Array.from(await x.data())));
    updates.push(now.map((w, v) => w.map((x, i) => x - prev[v]![i]!)));
    prev = now;
  }
  const named = await opt.getWeights();
  const state = await Promise.all(named.map(async (n) => (await n.tensor.data()) as Float32Array));
  tf.dispose(named.map((n) => n.tensor));
  opt.dispose();
  tf.dispose(vars);
  return { updates, state, leaked: tf.memory().numTensors - before };
}

before(startWasmAndWebGpu);

test('every optimizer variant: the same updates and state on webgpu as on wasm (1e-5 relative, 5 steps)', async (t) => {
  const worst: string[] = [];
  for (const [name, make] of VARIANTS) {
    const ref = await on('wasm', () => trajectory(make));
    const gpu = await on('webgpu', () => trajectory(make));
    assert.equal(ref.leaked, 0, `${name}: tensors left behind on wasm`);
    assert.equal(gpu.leaked, 0, `${name}: tensors left behind on webgpu`);
    let maxErr = 0;
    for (let k = 0; k < STEPS; k++) {
      for (let v = 0; v < SHAPES.length; v++) {
        const e = relativeMaxError(gpu.updates[k]![v]!, ref.updates[k]![v]!);
        maxErr = Math.max(maxErr, e);
        assert.ok(e <= TOLERANCE, `${name}: step ${k + 1}, variable ${v}: update differs by ${e.toExponential(2)} relative`);
      }
    }
    assert.equal(gpu.state.length, ref.state.length, `${name}: number of state tensors`);
    ref.state.forEach((s, i) => {
      const e = relativeMaxError(gpu.state[i]!, s);
      maxErr = Math.max(maxErr, e);
      assert.ok(e <= TOLERANCE, `${name}: state tensor ${i} differs by ${e.toExponential(2)} relative`);
    });
    worst.push(`${name}: ${maxErr.toExponential(1)}`);
  }
  t.diagnostic(`largest relative difference per variant: ${worst.join('; ')}`);
});

test('tf.addN of more tensors than one shader may bind (30 > 7): the sum 1 + 2 + ... + 30 = 465, nothing left behind', async () => {
  await on('webgpu', async () => {
    const before = tf.memory().numTensors;
    const xs = Array.from({ length: 30 }, (_, i) => tf.fill([3, 2], i + 1));
    const sum = tf.addN(xs);
    assert.deepEqual(Array.from(await sum.data()), Array(6).fill(465));
    tf.dispose([...xs, sum]);
    assert.equal(tf.memory().numTensors, before);
  });
});

test('a synchronous read of a GPU result fails with what to do instead; values tfjs still holds on the CPU read as usual', async () => {
  await on('webgpu', async () => {
    const x = tf.tensor1d([1, 2, 3]);
    assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3]);
    const y = tf.mul(x, 2);
    assert.throws(() => y.dataSync(), /synchronous read .* cannot work on the webgpu backend in Node.*await tensor\.data\(\)/);
    assert.deepEqual(Array.from(await y.data()), [2, 4, 6]);
    tf.dispose([x, y]);
  });
});

test("gradient statistics read back on webgpu (asynchronously) equal wasm's", async () => {
  const stats = async (backend: 'wasm' | 'webgpu'): Promise<number[]> =>
    on(backend, async () => {
      const w = tf.variable(tf.tensor1d([0.01, -0.02, 0.03, 0.5]));
      const c = tf.tensor1d([0.3, -0.001, 0.02, -2]);
      const opt = sgd({ learningRate: 0.1, gaf: gafs.atan(A) });
      const seen: number[] = [];
      opt.observeGradients({ onStats: (s) => s.forEach((v) => seen.push(v.raw.l2, v.raw.maxAbs, v.activated.l2, v.activated.maxAbs)) });
      for (let i = 0; i < 2; i++) opt.minimize(() => tf.sum(tf.mul(c, w)) as tf.Scalar);
      await w.data(); // the webgpu reads resolve before a later read of the same queue
      tf.dispose([w, c]);
      opt.dispose();
      return seen;
    });
  const fromWasm = await stats('wasm');
  const fromWebGpu = await stats('webgpu');
  // Two steps x (raw l2, raw max, activated l2, activated max) of the one variable.
  assert.equal(fromWasm.length, 8);
  assert.ok(relativeMaxError(fromWebGpu, fromWasm) <= TOLERANCE, `${relativeMaxError(fromWebGpu, fromWasm)}`);
});
