import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { seeded, size, relErr, useBackend } from './wasm-compare';
import { registerWasmGradientKernels, setIm2colBudget, WASM_GRADIENT_KERNELS } from '../src/backend/wasm-kernels/index';
import { setFastTraining } from '../src/backend/fast-training';
import { tapGroups } from '../src/backend/wasm-kernels/tap-groups';

// Registered before any backend is set: registration works on kernel names (node --test runs
// this file in its own process, so nothing was registered before).
const FIRST_REGISTRATION = registerWasmGradientKernels();
setFastTraining(true);

// Reference: the 'cpu' backend's own kernels (plain loops, independent of ours). Relative
// error = max|got - ref| / max(1, max|ref|).
const REL_TOL = 1e-4;

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const EXPLICIT: Pad = [
  [0, 0],
  [1, 2],
  [0, 1],
  [0, 0],
];
const PADS: Pad[] = ['same', 'valid', 1, EXPLICIT];

interface ConvCase {
  x: [number, number, number, number];
  /** [fh, fw, C, out channels] for conv2d, [fh, fw, C, multiplier] for depthwise. */
  filter: [number, number, number, number];
  strides: number;
  pad: Pad;
}

function label(c: ConvCase): string {
  return `x=[${c.x}] filter=[${c.filter}] strides=${c.strides} pad=${JSON.stringify(c.pad)}`;
}

/**
 * dx and dfilter of conv2d / depthwiseConv2d for a seeded dy, through tf.grads (the path
 * training takes), on the current backend.
 */
function convGrads(kind: 'conv2d' | 'depthwise', c: ConvCase): { dx: Float32Array; dw: Float32Array } {
  let dx = new Float32Array(0);
  let dw = new Float32Array(0);
  tf.tidy(() => {
    const x = tf.tensor4d(seeded(size(c.x), 1), c.x);
    const w = tf.tensor4d(seeded(size(c.filter), 2), c.filter);
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Tensor4D =>
      kind === 'conv2d'
        ? tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad)
        : tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const outShape = f(x, w).shape;
    const dy = tf.tensor4d(seeded(size(outShape), 3), outShape);
    const [gx, gw] = tf.grads(f)([x, w], dy);
    dx = gx!.dataSync() as Float32Array;
    dw = gw!.dataSync() as Float32Array;
  });
  return { dx, dw };
}

/** Every combination the brief asks for: strides 1/2, four pad forms, odd/even sizes, non-square filter, batch 1 and 3. */
function convCases(channels: number, lastFilterDim: (k: number) => number): ConvCase[] {
  const cases: ConvCase[] = [];
  let k = 0;
  for (const strides of [1, 2]) {
    for (const pad of PADS) {
      for (const [h, w] of [
        [7, 7],
        [8, 6],
      ] as const) {
        for (const [fh, fw, batch] of [
          [3, 3, 1],
          [2, 3, 3],
        ] as const) {
          cases.push({ x: [batch, h, w, channels], filter: [fh, fw, channels, lastFilterDim(k++)], strides, pad });
        }
      }
    }
  }
  return cases;
}

/** Runs `cases` on cpu then wasm and asserts dx and dw agree; returns the worst error seen. */
async function compareGrads(kind: 'conv2d' | 'depthwise', cases: ConvCase[]): Promise<number> {
  await useBackend('cpu');
  const refs = cases.map((c) => convGrads(kind, c));
  await useBackend('wasm');
  let worst = 0;
  cases.forEach((c, i) => {
    const got = convGrads(kind, c);
    const ex = relErr(got.dx, refs[i]!.dx);
    const ew = relErr(got.dw, refs[i]!.dw);
    assert.ok(ex <= REL_TOL, `${kind} dx ${label(c)}: relative error ${ex}`);
    assert.ok(ew <= REL_TOL, `${kind} dfilter ${label(c)}: relative error ${ew}`);
    worst = Math.max(worst, ex, ew);
  });
  return worst;
}

/** Cases whose channel count (16) takes the per-pixel copy paths of the gather/scatter code. */
const WIDE_CONV: ConvCase[] = [
  { x: [2, 7, 6, 16], filter: [3, 3, 16, 5], strides: 2, pad: 'same' },
  { x: [1, 6, 7, 16], filter: [3, 2, 16, 3], strides: 1, pad: EXPLICIT },
];
const WIDE_DEPTHWISE: ConvCase[] = [
  { x: [2, 7, 6, 8], filter: [3, 3, 8, 2], strides: 2, pad: 'same' },
  { x: [1, 6, 7, 16], filter: [3, 2, 16, 1], strides: 2, pad: EXPLICIT },
];

test('registerWasmGradientKernels registers the three missing kernels once, before any backend is set, and is idempotent', () => {
  assert.deepEqual([...FIRST_REGISTRATION].sort(), [
    'Conv2DBackpropFilter',
    'DepthwiseConv2dNativeBackpropFilter',
    'DepthwiseConv2dNativeBackpropInput',
  ]);
  assert.deepEqual(registerWasmGradientKernels(), []);
  assert.deepEqual(WASM_GRADIENT_KERNELS.map((k) => k.name).sort(), [...FIRST_REGISTRATION].sort());
  for (const k of WASM_GRADIENT_KERNELS) {
    assert.ok(tf.getKernel(k.name, 'wasm') !== undefined, `${k.name} not registered`);
    assert.ok(
      k.unsupported.some((u) => /NCHW/.test(u)),
      `${k.name} must document that NCHW is unsupported`,
    );
  }
});

test('Conv2DBackpropFilter (and the conv2d gradient path) matches cpu: strides 1/2, same/valid/numeric/explicit pad, odd/even sizes, 3x3 and 2x3 filters, batch 1 and 3', async () => {
  const cases = [...convCases(3, (k) => 2 + (k % 3)), ...WIDE_CONV];
  // With the fast kernels (chunked windows filter gradient, XNNPACK input gradient), then with
  // this foundation kernel and tfjs-backend-wasm's own input gradient.
  await compareGrads('conv2d', cases);
  setFastTraining(false);
  try {
    await compareGrads('conv2d', cases);
    // One tap per im2col group: the other code path of the gather (whole-row copies) and of the concat.
    const previous = setIm2colBudget(1);
    try {
      await compareGrads('conv2d', cases);
    } finally {
      setIm2colBudget(previous);
    }
  } finally {
    setFastTraining(true);
  }
});

test('depthwise gradients (filter and input) match cpu over the same grid, channel multiplier 1 and 2', async () => {
  const cases = [...convCases(3, (k) => 1 + (k % 2)), ...WIDE_DEPTHWISE];
  assert.ok(cases.some((c) => c.filter[3] === 1) && cases.some((c) => c.filter[3] === 2));
  // With the fast kernels (JS dot products for the filter gradient), then with this foundation's.
  await compareGrads('depthwise', cases);
  setFastTraining(false);
  const previous = setIm2colBudget(1);
  try {
    await compareGrads('depthwise', cases);
    setIm2colBudget(previous);
    await compareGrads('depthwise', cases);
  } finally {
    setIm2colBudget(previous);
    setFastTraining(true);
  }
});

/** Runs one kernel directly (the way the engine calls it) on the current backend. */
function runKernel(name: string, inputs: Record<string, { data: Float32Array; shape: number[] }>, attrs: tf.NamedAttrMap): Float32Array {
  let out = new Float32Array(0);
  tf.tidy(() => {
    const ins: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.data, v.shape);
    out = tf.engine().runKernel<tf.Tensor>(name, ins, attrs).dataSync() as Float32Array;
  });
  return out;
}

test('dimRoundingMode floor/round/ceil with numeric pad (output rows that read past the padded input) match cpu', async () => {
  const xShape = [2, 8, 7, 3];
  for (const mode of ['floor', 'round', 'ceil'] as const) {
    for (const strides of [2, 3]) {
      for (const [name, filterShape, depthwise] of [
        ['Conv2DBackpropFilter', [3, 2, 3, 4], false],
        ['DepthwiseConv2dNativeBackpropFilter', [3, 2, 3, 2], true],
        ['DepthwiseConv2dNativeBackpropInput', [3, 2, 3, 2], true],
      ] as const) {
        const info = tf.backend_util.computeConv2DInfo(
          xShape as [number, number, number, number],
          [...filterShape],
          strides,
          1,
          1,
          mode,
          depthwise,
        );
        type Input = { data: Float32Array; shape: number[] };
        const x: Input = { data: seeded(size(xShape), 4), shape: xShape };
        const dy: Input = { data: seeded(size(info.outShape), 5), shape: info.outShape };
        const filter: Input = { data: seeded(size(filterShape), 6), shape: [...filterShape] };
        const attrs: tf.NamedAttrMap = { strides, pad: 1, dimRoundingMode: mode, dilations: 1, dataFormat: 'NHWC' };
        const inputs: Record<string, Input> = name === 'DepthwiseConv2dNativeBackpropInput' ? { dy, filter } : { x, dy };
        const extra: tf.NamedAttrMap =
          name === 'DepthwiseConv2dNativeBackpropInput' ? { inputShape: xShape } : { filterShape: [...filterShape] };
        await useBackend('cpu');
        const ref = runKernel(name, inputs, { ...attrs, ...extra });
        await useBackend('wasm');
        for (const fast of [true, false]) {
          setFastTraining(fast);
          const got = runKernel(name, inputs, { ...attrs, ...extra });
          const e = relErr(got, ref);
          assert.ok(e <= REL_TOL, `${name} ${mode} strides ${strides} fast=${fast}: relative error ${e}`);
        }
        setFastTraining(true);
      }
    }
  }
});

test('depthwise gradients with dilation 2 (stride 1) match a dilation-free reference with a zero-inserted filter', async () => {
  // A filter dilated by d equals an undilated filter of size (f-1)*d+1 with zeros between the
  // taps: same output, same padding. So on cpu (whose depthwise gradient kernels do not
  // implement dilation), dx is the zero-inserted filter's dx and dW is its dW at every d-th tap.
  const d = 2;
  for (const pad of [
    'same',
    'valid',
    2,
    [
      [0, 0],
      [2, 1],
      [1, 3],
      [0, 0],
    ],
  ] as Pad[]) {
    for (const [fh, fw, M] of [
      [3, 3, 1],
      [2, 3, 2],
    ] as const) {
      const B = 2,
        H = 9,
        W = 8,
        C = 3;
      const xShape = [B, H, W, C];
      const fShape = [fh, fw, C, M];
      const efh = (fh - 1) * d + 1;
      const efw = (fw - 1) * d + 1;
      const info = tf.backend_util.computeConv2DInfo([B, H, W, C], [fh, fw, C, M], 1, d, pad, undefined, true);
      const x = { data: seeded(size(xShape), 7), shape: xShape };
      const dy = { data: seeded(size(info.outShape), 8), shape: info.outShape };
      const fv = seeded(size(fShape), 9);
      const zeroInserted = new Float32Array(efh * efw * C * M);
      for (let i = 0; i < fh; i++)
        for (let j = 0; j < fw; j++)
          for (let k = 0; k < C * M; k++) zeroInserted[(i * d * efw + j * d) * C * M + k] = fv[(i * fw + j) * C * M + k]!;

      await useBackend('cpu');
      const refDwFull = runKernel(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { strides: 1, pad, dilations: 1, filterShape: [efh, efw, C, M] },
      );
      const refDw = new Float32Array(size(fShape));
      for (let i = 0; i < fh; i++)
        for (let j = 0; j < fw; j++)
          for (let k = 0; k < C * M; k++) refDw[(i * fw + j) * C * M + k] = refDwFull[(i * d * efw + j * d) * C * M + k]!;
      const refDx = runKernel(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter: { data: zeroInserted, shape: [efh, efw, C, M] } },
        { strides: 1, pad, dilations: 1, inputShape: xShape },
      );

      await useBackend('wasm');
      for (const fast of [true, false]) {
        setFastTraining(fast);
        const gotDw = runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { strides: 1, pad, dilations: d, filterShape: fShape });
        const gotDx = runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy, filter: { data: fv, shape: fShape } },
          { strides: 1, pad, dilations: d, inputShape: xShape },
        );
        const tag = `pad=${JSON.stringify(pad)} filter=[${fShape}] fast=${fast}`;
        assert.ok(relErr(gotDw, refDw) <= REL_TOL, `dW ${tag}: ${relErr(gotDw, refDw)}`);
        assert.ok(relErr(gotDx, refDx) <= REL_TOL, `dx ${tag}: ${relErr(gotDx, refDx)}`);
      }
      setFastTraining(true);
    }
  }
});

test('unsupported attributes throw an Error naming the kernel and the attribute', async () => {
  await useBackend('wasm');
  const x = { data: seeded(2 * 6 * 6 * 3, 1), shape: [2, 6, 6, 3] };
  const dy4 = { data: seeded(2 * 6 * 6 * 4, 2), shape: [2, 6, 6, 4] };
  const dyDw = { data: seeded(2 * 2 * 2 * 3, 2), shape: [2, 2, 2, 3] };
  const filter = { data: seeded(3 * 3 * 3, 3), shape: [3, 3, 3, 1] };
  const conv = { strides: 1, pad: 'same', filterShape: [3, 3, 3, 4] };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'NCHW',
      () => runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...conv, dataFormat: 'NCHW' }),
      /Conv2DBackpropFilter.*dataFormat="NCHW"/,
    ],
    [
      'dilation with stride (filter)',
      () =>
        runKernel(
          'DepthwiseConv2dNativeBackpropFilter',
          { x, dy: dyDw },
          { strides: 2, pad: 'valid', dilations: 2, filterShape: [3, 3, 3, 1] },
        ),
      /DepthwiseConv2dNativeBackpropFilter.*dilations=2/,
    ],
    [
      'dilation with stride (input)',
      () =>
        runKernel(
          'DepthwiseConv2dNativeBackpropInput',
          { dy: dyDw, filter },
          { strides: 2, pad: 'valid', dilations: [2, 2], inputShape: [2, 6, 6, 3] },
        ),
      /DepthwiseConv2dNativeBackpropInput.*dilations=\[2,2\]/,
    ],
    [
      'channel padding',
      () =>
        runKernel(
          'Conv2DBackpropFilter',
          { x, dy: dy4 },
          {
            ...conv,
            pad: [
              [0, 0],
              [1, 1],
              [1, 1],
              [1, 1],
            ],
          },
        ),
      /Conv2DBackpropFilter.*pad=.*height and width only/,
    ],
    ['unknown pad', () => runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...conv, pad: 'full' }), /Conv2DBackpropFilter.*pad="full"/],
    [
      'dy of the wrong shape',
      () => runKernel('Conv2DBackpropFilter', { x, dy: dy4 }, { ...conv, strides: 2 }),
      /Conv2DBackpropFilter.*dy has shape \[2, 6, 6, 4\].*outputs \[2, 3, 3, 4\]/,
    ],
  ];
  for (const [what, run, pattern] of cases) assert.throws(run, pattern, what);
  // int32 input: the dtype is named too.
  assert.throws(
    () =>
      tf.tidy(() =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.zeros([2, 6, 6, 3], 'int32'), dy: tf.zeros([2, 6, 6, 4]) }, conv),
      ),
    /Conv2DBackpropFilter.*dtype of x="int32"/,
  );
});

test('no leaks: tensors and wasm heap buffers are unchanged after gradient computations, also with one tap per group', async () => {
  await useBackend('wasm');
  const backend = tf.backend();
  const before = { tensors: tf.memory().numTensors, buffers: backend.numDataIds() };
  const previous = setIm2colBudget(1);
  try {
    for (const [budgetCase, fast] of [
      [false, false],
      [true, false],
      [true, true],
    ]) {
      if (budgetCase) setIm2colBudget(previous);
      setFastTraining(fast!);
      convGrads('conv2d', { x: [2, 7, 6, 3], filter: [3, 2, 3, 4], strides: 2, pad: 'same' });
      convGrads('depthwise', { x: [2, 7, 6, 3], filter: [3, 3, 3, 2], strides: 2, pad: EXPLICIT });
      convGrads('depthwise', { x: [2, 7, 6, 3], filter: [3, 3, 3, 1], strides: 1, pad: 'same' });
    }
  } finally {
    setIm2colBudget(previous);
    setFastTraining(true);
  }
  assert.equal(tf.memory().numTensors, before.tensors);
  assert.equal(backend.numDataIds(), before.buffers);
});

test('tapGroups splits the taps in row-major order within the budget', () => {
  // 3x2 filter = taps (0,0) (0,1) (1,0) (1,1) (2,0) (2,1); a budget of 2.5 taps allows 2 per group.
  assert.deepEqual(tapGroups(3, 2, 100, 250), [
    [
      [0, 0],
      [0, 1],
    ],
    [
      [1, 0],
      [1, 1],
    ],
    [
      [2, 0],
      [2, 1],
    ],
  ]);
  assert.deepEqual(tapGroups(2, 2, 100, 10_000), [
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ],
  ]);
  assert.deepEqual(tapGroups(1, 2, 100, 1), [[[0, 0]], [[0, 1]]]);
  assert.throws(() => setIm2colBudget(0), /positive integer/);
});

/** conv-bn-relu-pool-depthwise-dense; the depthwise layer is not first, so its input gradient is needed. */
function tinyNet(): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [10, 10, 3] });
  let h = L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  h = L.batchNormalization({}).apply(h) as tf.SymbolicTensor;
  h = L.reLU().apply(h) as tf.SymbolicTensor;
  h = L.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor;
  h = L.reLU({ maxValue: 6 }).apply(h) as tf.SymbolicTensor;
  h = L.flatten().apply(h) as tf.SymbolicTensor;
  const logits = L.dense({ units: 5 }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Gradients of the tiny net's training loss, with seeded weights and data, on the current backend. */
function tinyNetGrads(): Float32Array[] {
  const model = tinyNet();
  // Seeded weights (moving variance must stay positive); setWeights copies them.
  const weights = tf.tidy(() =>
    model.weights.map((w, i) => {
      const shape = w.shape as number[];
      return /moving_variance/.test(w.name) ? tf.ones(shape) : tf.tensor(seeded(size(shape), 100 + i), shape).mul(0.5);
    }),
  );
  model.setWeights(weights);
  tf.dispose(weights);
  const out: Float32Array[] = [];
  tf.tidy(() => {
    const x = tf.tensor4d(seeded(4 * 10 * 10 * 3, 11), [4, 10, 10, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 3, 1, 4], 'int32'), 5);
    const { grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    );
    for (const w of model.trainableWeights) out.push(grads[w.name]!.dataSync() as Float32Array);
  });
  model.dispose();
  return out;
}

test('a tiny conv-bn-relu-pool-depthwise-dense net gets the same gradients on wasm as on cpu (1e-3 relative)', async () => {
  await useBackend('cpu');
  const ref = tinyNetGrads();
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const got = tinyNetGrads();
  assert.equal(tf.memory().numTensors, before, 'training step leaked tensors');
  assert.equal(got.length, ref.length);
  assert.ok(got.length >= 7, `expected conv, bn, depthwise and dense weights, got ${got.length}`);
  got.forEach((g, i) => {
    const e = relErr(g, ref[i]!);
    assert.ok(e <= 1e-3, `trainable weight #${i}: relative error ${e}`);
  });
});
