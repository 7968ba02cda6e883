import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { seeded, size, relErr, useBackend } from './wasm-compare';
import { registerWasmGradientKernels, WASM_FAST_KERNELS } from '../src/backend/wasm-kernels/index';
import { fastTrainingOn, setFastTraining } from '../src/backend/fast-training';
import { conv2dBackpropFilterConfig } from '../src/backend/wasm-kernels/conv2d-backprop-filter';
import { depthwiseBackpropFilterConfig } from '../src/backend/wasm-kernels/depthwise-backprop-filter';
import {
  chooseFilterGradLayout,
  chunkRows,
  conv2dBackpropFilterWithLayout,
  FilterGradLayout,
  windowsGrid,
} from '../src/backend/wasm-kernels/conv2d-backprop-filter-windows';
import { directChunkImages, directFilterGrad, directLayoutFits } from '../src/backend/wasm-kernels/conv2d-backprop-filter-direct';
import { directConv2d, directConvChunkImages, directConvFits } from '../src/backend/wasm-kernels/conv2d-direct';
import { wasmMemoryOf, withScratch } from '../src/backend/wasm-kernels/wasm-backend-access';
import { runUnits, singleTileRunner, TileRunner } from '../src/backend/simd/tile-threads';
import { MAX_WINDOW, planOuterReduction } from '../src/backend/wasm-kernels/reduce-outer';
import { fusedBatchNormGradConfig, meanGradConfig, sumGradConfig } from '../src/backend/gradients/index';

// Captured before anything of gaf-lab is registered (node --test runs this file in its own
// process): tfjs-backend-wasm's own kernels and tfjs-core's FusedBatchNorm gradient, the
// references the replacements are checked against.
// Two replace the foundation's own kernels (registered by registerWasmGradientKernels), the rest tfjs-backend-wasm's.
const FOUNDATION = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'];
const REPLACED = WASM_FAST_KERNELS.map((k) => k.name).filter((n) => !FOUNDATION.includes(n));
const WASM_ORIGINALS = new Map(REPLACED.map((n) => [n, tf.getKernel(n, 'wasm')]));
const TFJS_BN_GRADIENT = tf.getGradient('FusedBatchNorm');
const TFJS_REDUCTION_GRADIENTS = { Mean: tf.getGradient('Mean'), Sum: tf.getGradient('Sum') };
registerWasmGradientKernels();
// Registering the missing kernels replaces nothing of tfjs's own (checked before anything else).
const REPLACED_BY_REGISTERING = REPLACED.filter((n) => tf.getKernel(n, 'wasm') !== WASM_ORIGINALS.get(n));
const BN_GRADIENT_AFTER_REGISTERING = tf.getGradient('FusedBatchNorm');
setFastTraining(true);

// Reference values come from the 'cpu' backend's kernels (plain loops, independent of the
// code under test) or from tfjs-core's own gradient. Relative error = max|got - ref| / max(1, max|ref|).
const REL_TOL = 1e-4;

type Data = { data: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' };

/** Runs one kernel (the way the engine calls it) on the current backend; returns values and shape. */
function runKernel(name: string, inputs: Record<string, Data>, attrs: tf.NamedAttrMap): { values: Float32Array; shape: number[] } {
  let values = new Float32Array(0);
  let shape: number[] = [];
  tf.tidy(() => {
    const ins: tf.NamedTensorMap = {};
    for (const [k, v] of Object.entries(inputs)) ins[k] = tf.tensor(v.data, v.shape, v.dtype ?? 'float32');
    const out = tf.engine().runKernel<tf.Tensor>(name, ins, attrs);
    values = Float32Array.from(out.dataSync());
    shape = out.shape;
  });
  return { values, shape };
}

/** Runs `name` on cpu and on wasm and asserts the results agree. */
async function compareKernel(name: string, inputs: Record<string, Data>, attrs: tf.NamedAttrMap, what: string): Promise<void> {
  await useBackend('cpu');
  const ref = runKernel(name, inputs, attrs);
  await useBackend('wasm');
  const got = runKernel(name, inputs, attrs);
  assert.deepEqual(got.shape, ref.shape, `${name} ${what}: shape`);
  const e = relErr(got.values, ref.values);
  assert.ok(e <= REL_TOL, `${name} ${what}: relative error ${e}`);
}

const input = (shape: number[], seed: number): Data => ({ data: seeded(size(shape), seed), shape });

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
const EXPLICIT: Pad = [
  [0, 0],
  [1, 2],
  [0, 1],
  [0, 0],
];

test('registerWasmGradientKernels only adds kernels; setFastTraining swaps the replacements in and out, idempotently', () => {
  assert.deepEqual(REPLACED_BY_REGISTERING, [], "registering the missing kernels replaced none of tfjs-backend-wasm's");
  assert.equal(BN_GRADIENT_AFTER_REGISTERING, TFJS_BN_GRADIENT, "registering the missing kernels left tfjs-core's gradients alone");
  assert.ok(fastTrainingOn());
  for (const name of REPLACED) {
    assert.ok(WASM_ORIGINALS.get(name) !== undefined, `tfjs-backend-wasm registers ${name}`);
    assert.notEqual(tf.getKernel(name, 'wasm'), WASM_ORIGINALS.get(name), `${name} replaced`);
  }
  assert.equal(tf.getGradient('FusedBatchNorm'), fusedBatchNormGradConfig);
  assert.deepEqual(setFastTraining(true), [], 'already on: nothing changes');
  const off = setFastTraining(false);
  assert.deepEqual(
    [...off].sort(),
    [
      ...REPLACED,
      ...FOUNDATION,
      'FusedBatchNorm',
      'Mean',
      'Sum',
      'Relu',
      'engine.gradients (lean backprop)',
      'batch norm in training (closed-form gradient)',
    ].sort(),
  );
  assert.ok(!fastTrainingOn());
  assert.equal(tf.getGradient('Mean'), TFJS_REDUCTION_GRADIENTS.Mean);
  assert.equal(tf.getGradient('Sum'), TFJS_REDUCTION_GRADIENTS.Sum);
  for (const name of REPLACED) assert.equal(tf.getKernel(name, 'wasm'), WASM_ORIGINALS.get(name), `${name} restored`);
  assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), conv2dBackpropFilterConfig, 'the foundation kernel is back');
  assert.equal(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm'), depthwiseBackpropFilterConfig, 'the foundation kernel is back');
  assert.equal(tf.getGradient('FusedBatchNorm'), TFJS_BN_GRADIENT);
  assert.deepEqual(registerWasmGradientKernels(), [], 'the missing kernels were registered already');
  assert.equal(tf.getGradient('FusedBatchNorm'), TFJS_BN_GRADIENT, 'registering kernels does not turn the replacements on');
  assert.ok(setFastTraining(true).length > 0);
  assert.equal(tf.getGradient('FusedBatchNorm'), fusedBatchNormGradConfig, 'setFastTraining(true) turned them on again');
  assert.equal(tf.getGradient('Mean'), meanGradConfig);
  assert.equal(tf.getGradient('Sum'), sumGradConfig);
  for (const name of REPLACED) assert.notEqual(tf.getKernel(name, 'wasm'), WASM_ORIGINALS.get(name));
});

/** strides 1/2, four pad forms, odd/even sizes, 3x3 / 2x3 / 1x1 filters, batch 1 and 3. */
function convGrid(): { x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad }[] {
  const cases: { x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad }[] = [];
  let k = 0;
  for (const strides of [1, 2] as const) {
    for (const pad of ['same', 'valid', 1, EXPLICIT] as Pad[]) {
      for (const [h, w] of [
        [7, 7],
        [8, 6],
      ] as const) {
        for (const [fh, fw, batch] of [
          [3, 3, 1],
          [2, 3, 3],
          [1, 1, 2],
        ] as const) {
          cases.push({ x: [batch, h, w, 3 + (k % 3)], filter: [fh, fw, 3 + (k % 3), 2 + (k % 4)], strides, pad });
          k++;
        }
      }
    }
  }
  cases.push({ x: [2, 9, 8, 4], filter: [3, 3, 4, 5], strides: [2, 1], pad: 'same' });
  return cases;
}

test('Conv2DBackpropInput (XNNPACK transposed convolution) matches cpu over the grid, with dimRoundingMode too', async () => {
  for (const c of convGrid()) {
    const info = tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      1,
      c.pad,
    );
    await compareKernel(
      'Conv2DBackpropInput',
      { dy: input(info.outShape, 2), filter: input(c.filter, 3) },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x },
      JSON.stringify(c),
    );
  }
  for (const mode of ['floor', 'round', 'ceil'] as const) {
    for (const strides of [2, 3]) {
      const xShape = [2, 8, 7, 3];
      const filter = [3, 2, 3, 4];
      const info = tf.backend_util.computeConv2DInfo(
        xShape as [number, number, number, number],
        filter as [number, number, number, number],
        strides,
        1,
        1,
        mode,
      );
      await compareKernel(
        'Conv2DBackpropInput',
        { dy: input(info.outShape, 4), filter: input(filter, 5) },
        { strides, pad: 1, dimRoundingMode: mode, dataFormat: 'NHWC', inputShape: xShape },
        `${mode} strides ${strides}`,
      );
    }
  }
});

test('Conv2DBackpropFilter (direct, pointwise, windows, taps and exact layouts) matches cpu over the grid, with several chunks and dimRoundingMode', async () => {
  const cases = convGrid();
  // 300 output channels: in the windows layout (forced below) chunks of chunkRows(300) = 256
  // grid positions, so L = 2*14*14 = 392 takes two.
  assert.equal(chunkRows(300), 256);
  cases.push({ x: [2, 12, 12, 4], filter: [3, 3, 4, 300], strides: 1, pad: 'same' });
  // Wide channels on a small image: the 'exact' layout; a strided 1x1: the 'taps' layout.
  cases.push({ x: [2, 4, 4, 64], filter: [3, 3, 64, 128], strides: 1, pad: 'same' });
  cases.push({ x: [2, 4, 4, 64], filter: [3, 3, 64, 128], strides: 2, pad: 'same' });
  cases.push({ x: [2, 8, 8, 16], filter: [1, 1, 16, 32], strides: 2, pad: 'valid' });
  const infos = cases.map((c) =>
    tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      1,
      c.pad,
    ),
  );
  // The kernel takes the direct layout whenever the output channels come in fours (128, 32 and
  // 4 here), the cost model's choice for the others (and where the SIMD kernel is missing).
  for (const i of infos) assert.equal(chooseFilterGradLayout(i) === 'direct', i.outChannels % 4 === 0);
  const modelled = new Set(infos.map((i) => chooseFilterGradLayout(i, false)));
  assert.deepEqual(
    [...modelled].sort(),
    ['exact', 'pointwise', 'taps', 'windows'],
    'the cost model picks each of its layouts, never direct',
  );
  for (const c of cases) {
    const info = tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      1,
      c.pad,
    );
    await compareKernel(
      'Conv2DBackpropFilter',
      { x: input(c.x, 6), dy: input(info.outShape, 7) },
      { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter },
      JSON.stringify(c),
    );
  }
  for (const mode of ['floor', 'ceil'] as const) {
    const xShape = [2, 8, 7, 3];
    const filter = [3, 2, 3, 4];
    const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filter as [number, number, number, number],
      3,
      1,
      1,
      mode,
    );
    await compareKernel(
      'Conv2DBackpropFilter',
      { x: input(xShape, 8), dy: input(info.outShape, 9) },
      { strides: 3, pad: 1, dimRoundingMode: mode, dataFormat: 'NHWC', filterShape: filter },
      mode,
    );
  }
});

test('every Conv2DBackpropFilter layout matches cpu on every geometry it can take (forced), the exact one with several image slices', async () => {
  const cases = convGrid();
  // 300 output channels: chunkRows(300) = 256 positions, 12x12 = 144 pixels per image, so the
  // exact layout takes slices of round(256 / 144) = 2 images: [2, 1] for batch 3.
  cases.push({ x: [3, 12, 12, 4], filter: [3, 3, 4, 300], strides: 1, pad: 'same' });
  cases.push({ x: [3, 11, 12, 4], filter: [3, 2, 4, 300], strides: 2, pad: EXPLICIT });
  // The windows grid shares padding between rows and images at stride 1 when no more padding
  // follows the input than precedes it: 3x3 'same' on 7x7 is an 8x8 grid (7 + 1 top / left row
  // and column) instead of 9x9; the explicit pad ([1, 2] rows) keeps the phase grid (7 + 3 = 10 rows).
  const gridOf = (x: number[], f: number[], pad: Pad) =>
    windowsGrid(tf.backend_util.computeConv2DInfo(x as [number, number, number, number], f as [number, number, number, number], 1, 1, pad));
  assert.deepEqual([gridOf([3, 7, 7, 4], [3, 3, 4, 2], 'same').Hq, gridOf([3, 7, 7, 4], [3, 3, 4, 2], 'same').Wq], [8, 8]);
  assert.equal(gridOf([3, 7, 7, 4], [3, 3, 4, 2], EXPLICIT).Hq, 10);
  for (const forced of ['direct', 'windows', 'taps', 'exact'] as const) {
    for (const c of cases) {
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
      const info = tf.backend_util.computeConv2DInfo(
        c.x as [number, number, number, number],
        c.filter as [number, number, number, number],
        c.strides,
        1,
        c.pad,
      );
      const x = input(c.x, 10);
      const dy = input(info.outShape, 11);
      await useBackend('cpu');
      const ref = runKernel('Conv2DBackpropFilter', { x, dy }, attrs);
      await useBackend('wasm');
      // 'pointwise' is the only XNNPACK layout for 1x1 stride-1 unpadded filters (the others never
      // get them); 'direct' takes output channels in fours only.
      if (forced === 'direct' && !directLayoutFits(info)) continue;
      const choose = (i: tf.backend_util.Conv2DInfo): FilterGradLayout =>
        forced !== 'direct' && chooseFilterGradLayout(i, false) === 'pointwise' ? 'pointwise' : forced;
      const got = tf.tidy(() => {
        const xt = tf.tensor(x.data, x.shape);
        const dyt = tf.tensor(dy.data, dy.shape);
        const out = tf
          .engine()
          .makeTensorFromTensorInfo(conv2dBackpropFilterWithLayout({ inputs: { x: xt, dy: dyt }, backend: tf.backend(), attrs }, choose));
        return { values: Float32Array.from(out.dataSync()), shape: out.shape };
      });
      assert.deepEqual(got.shape, ref.shape, `${forced} ${JSON.stringify(c)}: shape`);
      const e = relErr(got.values, ref.values);
      assert.ok(e <= REL_TOL, `${forced} ${JSON.stringify(c)}: relative error ${e}`);
    }
  }
});

/**
 * A runner on this thread that claims to have `threads` threads (plans split their work by it)
 * and takes the units last to first when `reversed` (as threads taking units in another order).
 */
function serialRunner(): (threads: number, reversed?: boolean) => TileRunner {
  const memory = wasmMemoryOf(tf.backend());
  assert.ok(memory !== undefined, 'the wasm backend exposes its memory');
  const single = singleTileRunner(memory);
  assert.ok(typeof single !== 'string', `the SIMD kernels compile: ${String(single)}`);
  return (threads, reversed = false) => ({
    threads,
    functions: single.functions,
    run(job) {
      let k = 0;
      const claim = () => (k >= job.units ? job.units : reversed ? job.units - 1 - k++ : k++);
      runUnits(single.functions, new Int32Array(memory.buffer), job, claim);
    },
  });
}

test('the direct layout matches cpu for every tile remainder, stride, pad and several image chunks, and its thread split changes no bit', async () => {
  await useBackend('wasm');
  const cases: { x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad }[] = [];
  // Input channels 1-9: every remainder of the 4-channel blocks; output channels 4, 8, 12, 16:
  // the 1-vector tile alone, the 2-vector tile alone, both.
  [1, 2, 3, 4, 5, 6, 7, 8, 9].forEach((ci, k) => {
    const co = [4, 8, 12, 16][k % 4]!;
    const strides = ([1, 2, [2, 1]] as (number | [number, number])[])[k % 3]!;
    const pad = (['same', 'valid', 1, EXPLICIT] as Pad[])[k % 4]!;
    cases.push({ x: [2, 7 + (k % 2), 6 + (k % 3), ci], filter: [1 + (k % 3), 3 - (k % 2), ci, co], strides, pad });
  });
  // A tap that only ever reads padding (3x3 'same' on a 1x1 image): its dW stays 0.
  cases.push({ x: [3, 1, 1, 4], filter: [3, 3, 4, 8], strides: 1, pad: 'same' });
  // Several image chunks: 40x40x8 and 8 output channels are 100 KiB an image, 2 images a chunk.
  cases.push({ x: [5, 40, 40, 8], filter: [3, 3, 8, 8], strides: 1, pad: 'same' });
  const infoOf = (c: (typeof cases)[number]) =>
    tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      1,
      c.pad,
    );
  assert.equal(directChunkImages(infoOf(cases[cases.length - 1]!)), 2);
  const serial = serialRunner();
  for (const c of cases) {
    const info = infoOf(c);
    assert.ok(directLayoutFits(info));
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filter };
    const x = input(c.x, 12);
    const dy = input(info.outShape, 13);
    await useBackend('cpu');
    const ref = runKernel('Conv2DBackpropFilter', { x, dy }, attrs);
    await useBackend('wasm');
    const bySplit = [[1], [2], [3, true], [7, true]].map(([threads, reversed]) =>
      tf.tidy(() => {
        const xt = tf.tensor(x.data, x.shape);
        const dyt = tf.tensor(dy.data, dy.shape);
        const out = tf
          .engine()
          .makeTensorFromTensorInfo(
            withScratch('test', tf.backend(), (s) =>
              directFilterGrad(s, xt, dyt, info, c.filter, serial(threads as number, reversed as boolean | undefined)),
            ),
          );
        return Float32Array.from(out.dataSync());
      }),
    );
    const e = relErr(bySplit[0]!, ref.values);
    assert.ok(e <= REL_TOL, `direct ${JSON.stringify(c)}: relative error ${e}`);
    for (const other of bySplit.slice(1))
      assert.deepEqual(other, bySplit[0], `direct ${JSON.stringify(c)}: the same bits whatever the split`);
  }
});

test('the direct convolution matches cpu for every tile shape, channel block, stride, dilation and pad, with and without bias, and the order its units run in changes no bit', async () => {
  await useBackend('wasm');
  type Case = { x: number[]; filter: number[]; strides: number | [number, number]; pad: Pad; dilations?: number; bias?: boolean };
  const cases: Case[] = [];
  // Output channels 4-28: blocks of 16, 8 and 4 channels alone and together; widths 1-9 leave
  // 0 or 1 column to the 2-pixel row tiles, then down the columns, then pixel by pixel.
  [4, 8, 12, 16, 20, 24, 28].forEach((co, k) => {
    const strides = ([1, 2, [2, 1]] as (number | [number, number])[])[k % 3]!;
    const pad = (['same', 'valid', 1, EXPLICIT] as Pad[])[k % 4]!;
    cases.push({ x: [2, 5 + k, 1 + k, 1 + (k % 5)], filter: [1 + (k % 3), 3 - (k % 2), 1 + (k % 5), co], strides, pad, bias: k % 2 === 0 });
  });
  cases.push({ x: [2, 9, 9, 6], filter: [3, 3, 6, 8], strides: 1, pad: 'same', dilations: 2, bias: true });
  // Padding wider than the filter: border outputs no tap reaches are the bias (or 0).
  cases.push({ x: [2, 3, 4, 4], filter: [2, 2, 4, 8], strides: 1, pad: 3, bias: true });
  cases.push({ x: [1, 3, 4, 4], filter: [2, 2, 4, 4], strides: 2, pad: 3 });
  // Several image chunks: 40x40x16 in, 40x40x16 out are 200 KiB an image, 1 image a chunk.
  cases.push({ x: [3, 40, 40, 16], filter: [3, 3, 16, 16], strides: 1, pad: 'same', bias: true });
  const serial = serialRunner();
  for (const c of cases) {
    const info = tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      c.dilations ?? 1,
      c.pad,
    );
    assert.ok(directConvFits(info), JSON.stringify(c));
    const co = c.filter[3]!;
    const inputs: Record<string, Data> = { x: input(c.x, 14), filter: input(c.filter, 15), ...(c.bias ? { bias: input([co], 16) } : {}) };
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? 1, activation: 'linear' };
    await useBackend('cpu');
    const ref = runKernel('FusedConv2D', inputs, attrs);
    await useBackend('wasm');
    const kernel = runKernel('FusedConv2D', inputs, attrs);
    assert.ok(
      relErr(kernel.values, ref.values) <= REL_TOL,
      `FusedConv2D ${JSON.stringify(c)}: relative error ${relErr(kernel.values, ref.values)}`,
    );
    const bySplit = [false, true].map((reversed) =>
      tf.tidy(() => {
        const [x, filter, bias] = [inputs['x']!, inputs['filter']!, inputs['bias']].map((d) =>
          d ? tf.tensor(d.data, d.shape) : undefined,
        );
        const out = tf
          .engine()
          .makeTensorFromTensorInfo(
            withScratch('test', tf.backend(), (s) => s.keep(directConv2d(s, x!, filter!, bias, info, serial(2, reversed)))),
          );
        return Float32Array.from(out.dataSync());
      }),
    );
    assert.deepEqual(bySplit[0], kernel.values, `${JSON.stringify(c)}: the kernel took the direct convolution`);
    for (const other of bySplit.slice(1)) assert.deepEqual(other, bySplit[0], `${JSON.stringify(c)}: the same bits in any unit order`);
  }
  assert.equal(directConvChunkImages(tf.backend_util.computeConv2DInfo([3, 40, 40, 16], [3, 3, 16, 16], 1, 1, 'same')), 1);
  // Delegated to XNNPACK: a fused ReLU, and output channels not in fours; both still match cpu.
  for (const [filter, activation] of [
    [[3, 3, 4, 8], 'relu'],
    [[3, 3, 4, 6], 'linear'],
  ] as const) {
    await compareKernel(
      'FusedConv2D',
      { x: input([2, 6, 6, 4], 17), filter: input([...filter], 18) },
      { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, activation },
      `${activation} ${filter.join('x')}`,
    );
  }
  await compareKernel(
    'Conv2D',
    { x: input([2, 6, 6, 4], 19), filter: input([3, 3, 4, 8], 20) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1 },
    'Conv2D',
  );
});

test('planOuterReduction pools over the last reduced axes up to MAX_WINDOW elements and combines the rest', () => {
  // [128, 32, 32, 32] over [0, 1, 2]: window 32*32 = 1024 (x128 would pass 4096), 128 partial means.
  assert.deepEqual(planOuterReduction([128, 32, 32, 32], [0, 1, 2]), { A: 1, Ro: 128, Ri: 1024, B: 32, axes: [0, 1, 2] });
  assert.deepEqual(planOuterReduction([4, 6, 5, 3], [-3, -2]), { A: 4, Ro: 1, Ri: 30, B: 3, axes: [1, 2] });
  assert.deepEqual(planOuterReduction([1, 9000, 2], 1), { A: 1, Ro: 1, Ri: 9000, B: 2, axes: [1] });
  // A size-1 last axis is not a window by itself: it takes the next axis too.
  assert.deepEqual(planOuterReduction([5, 7, 1, 2], [0, 1, 2]), { A: 1, Ro: 1, Ri: 35, B: 2, axes: [0, 1, 2] });
  assert.equal(planOuterReduction([4, 6, 5, 3], [0, 2]), undefined);
  assert.ok(MAX_WINDOW >= 1024);
});

test('Sum and Mean over leading/middle axis blocks match cpu; other reductions still do too (tfjs-backend-wasm kernel)', async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[3, 5, 4, 6], [0, 1, 2], false],
    [[3, 5, 4, 6], [0, 1, 2], true],
    [[3, 5, 4, 6], [1, 2], false],
    [[3, 5, 4, 6], 0, true],
    [[3, 5, 4, 6], [-4, -3], false],
    [[7, 9], 0, false],
    [[2, 70, 70, 3], [0, 1, 2], false], // 4900 > MAX_WINDOW: window 70, 140 partial means
    [[1, 5000, 2], 1, false], // one axis larger than MAX_WINDOW
    [[4, 1, 3, 8], [0, 1, 2], true],
    [[4, 1, 1, 8], [1, 2], false], // R = 1: delegated
    [[3, 5, 4, 6], [0, 2], false], // not contiguous: delegated
    [[3, 5, 4, 6], 3, false], // innermost: delegated
    [[3, 5, 4, 6], [0, 1, 2, 3], false], // everything: delegated
  ];
  for (const [shape, axis, keepDims] of cases) {
    // Values in [0.5, 2.5): means near 1.5, so a wrong scale shows against the tolerance floor of 1.
    const x = { data: seeded(size(shape), 11).map((u) => u + 1.5), shape };
    for (const name of ['Sum', 'Mean']) {
      await compareKernel(name, { x }, { axis, keepDims }, `x=[${shape}] axis=${JSON.stringify(axis)} keepDims=${keepDims}`);
    }
  }
  // int32 keeps the original kernel (and integer semantics).
  const ints: Data = { data: Int32Array.from({ length: 60 }, (_, i) => ((i * 7) % 11) - 5), shape: [3, 4, 5], dtype: 'int32' };
  await compareKernel('Sum', { x: ints }, { axis: [0, 1], keepDims: false }, 'int32');
});

test('Slice matches cpu: ranks 1-5, whole trailing axes (merged runs), size -1, int32, empty', async () => {
  const cases: [number[], number[], number[]][] = [
    [[10], [3], [4]],
    [
      [6, 7],
      [1, 2],
      [3, 4],
    ],
    [
      [6, 7],
      [2, 0],
      [3, 7],
    ],
    [
      [2, 34, 34, 3],
      [0, 1, 1, 0],
      [2, 32, 32, 3],
    ],
    [
      [2, 5, 4, 3],
      [1, 0, 0, 0],
      [1, 5, 4, 3],
    ],
    [
      [2, 5, 4, 3],
      [0, 2, 1, 1],
      [-1, -1, 2, 2],
    ],
    [
      [2, 3, 4, 5, 6],
      [1, 1, 0, 2, 0],
      [1, 2, 4, 2, 6],
    ],
    [
      [4, 5],
      [1, 1],
      [0, 3],
    ],
  ];
  for (const [shape, begin, sz] of cases) {
    await compareKernel('Slice', { x: input(shape, 81) }, { begin, size: sz }, `x=[${shape}] begin=[${begin}] size=[${sz}]`);
  }
  const ints: Data = { data: Int32Array.from({ length: 60 }, (_, i) => i - 30), shape: [3, 4, 5], dtype: 'int32' };
  await compareKernel('Slice', { x: ints }, { begin: [1, 1, 1], size: [2, 2, 3] }, 'int32');
});

test('Tile (and broadcastTo) matches cpu: broadcasts, repeats of whole tensors, mixed, ranks 1-5, int32', async () => {
  const cases: [number[], number[]][] = [
    [[5], [3]],
    [
      [1, 1, 1, 6],
      [4, 3, 5, 1],
    ],
    [
      [2, 3],
      [3, 2],
    ],
    [
      [2, 1, 3, 1],
      [1, 4, 2, 5],
    ],
    [
      [3, 2, 2],
      [1, 1, 1],
    ],
    [
      [2, 1, 2, 1, 3],
      [2, 3, 1, 2, 2],
    ],
  ];
  for (const [shape, reps] of cases) await compareKernel('Tile', { x: input(shape, 91) }, { reps }, `x=[${shape}] reps=[${reps}]`);
  const ints: Data = { data: Int32Array.from({ length: 6 }, (_, i) => i - 3), shape: [2, 3], dtype: 'int32' };
  await compareKernel('Tile', { x: ints }, { reps: [2, 3] }, 'int32');
});

/** Values on a coarse grid (many exact ties), zeros as after a ReLU, and -Inf / NaN patches. */
function poolInput(shape: number[], seed: number): Data {
  const v = seeded(size(shape), seed).map((u) => Math.max(0, Math.round(u * 3) / 3));
  v.fill(-Infinity, 0, 2 * shape[3]!); // the first two pixels of image 0
  v[5 * shape[3]! + 1] = NaN;
  return { data: v, shape };
}

test('MaxPoolGrad matches cpu, ties (first maximum wins), -Inf and NaN windows included', async () => {
  const cases: [number[], number | [number, number], number | [number, number], Pad, ('floor' | 'ceil')?][] = [
    [[1, 8, 8, 5], 2, 2, 'valid'],
    [[3, 7, 7, 4], 2, 2, 'valid'],
    [[2, 7, 6, 3], 3, 2, 'same'],
    [[2, 6, 7, 3], 3, 1, 'same'],
    [[2, 7, 8, 3], [2, 3], [1, 2], 1, 'floor'],
    [[2, 7, 8, 3], 3, 2, 1, 'ceil'],
  ];
  for (const [shape, filterSize, strides, pad, mode] of cases) {
    const x = poolInput(shape, 21);
    const info = tf.backend_util.computePool2DInfo(shape as [number, number, number, number], filterSize, strides, 1, pad as 'same', mode);
    const attrs: tf.NamedAttrMap = mode ? { filterSize, strides, pad, dimRoundingMode: mode } : { filterSize, strides, pad };
    const label = `x=[${shape}] filter=${JSON.stringify(filterSize)} strides=${JSON.stringify(strides)} pad=${JSON.stringify(pad)} ${mode ?? ''}`;
    // `output` (the pooled values) is not read by either kernel; zeros of the right shape do.
    await compareKernel(
      'MaxPoolGrad',
      { dy: input(info.outShape, 22), input: x, output: { data: new Float32Array(size(info.outShape)), shape: info.outShape } },
      attrs,
      label,
    );
  }
});

test('FusedBatchNorm (forward) matches cpu: with/without scale and offset, [C] and [1,1,1,C] statistics, far-off means; per-position statistics use the original', async () => {
  const C = 6;
  const xShape = [3, 5, 4, C];
  const variance = { data: seeded(C, 31).map((u) => 0.5 + Math.abs(u)), shape: [C] };
  const mean = input([C], 32);
  const offMean = { data: mean.data.map((m) => m + 10), shape: [C] };
  const x = input(xShape, 33);
  const xFar = { data: x.data.map((v, i) => v + 10 + (mean.data[i % C] as number)), shape: xShape };
  const scale = input([C], 34);
  const offset = input([C], 35);
  const r4 = (d: Data): Data => ({ data: d.data, shape: [1, 1, 1, C] });
  const cases: [string, Record<string, Data>][] = [
    ['all', { x, mean, variance, scale, offset }],
    ['no scale', { x, mean, variance, offset }],
    ['no offset', { x, mean, variance, scale }],
    ['neither', { x, mean, variance }],
    ['[1,1,1,C] statistics', { x, mean: r4(mean), variance: r4(variance), scale: r4(scale), offset: r4(offset) }],
    ['means 10 std away', { x: xFar, mean: offMean, variance, scale, offset }],
    [
      'per-position statistics',
      {
        x,
        mean: input([4, C], 36),
        variance: { data: seeded(4 * C, 37).map((u) => 1 + u * 0.5), shape: [4, C] },
        scale: input([4, C], 38),
        offset: input([4, C], 39),
      },
    ],
  ];
  for (const [what, inputs] of cases) await compareKernel('FusedBatchNorm', inputs, { varianceEpsilon: 1e-3 }, what);
});

/**
 * Gradients of sum(w * batchNorm(...)) with respect to x and to the statistics, scale and offset
 * (created with shape `paramShape`, reshaped to `statShape` inside), on the current backend with
 * the gradient currently registered. `train` derives mean and variance from x with tf.moments
 * (as tf.layers.batchNormalization does in training); otherwise they are the parameters.
 */
function bnGrads(train: boolean, xShape: number[], paramShape: number[], statShape: number[]): Float32Array[] {
  const n = size(paramShape);
  const out: Float32Array[] = [];
  tf.tidy(() => {
    const x = tf
      .tensor(seeded(size(xShape), 41), xShape)
      .mul(2)
      .add(0.5);
    const w = tf.tensor(seeded(size(xShape), 42), xShape);
    const mean0 = tf.tensor(seeded(n, 43), paramShape);
    const var0 = tf.tensor(
      seeded(n, 44).map((u) => 0.5 + Math.abs(u)),
      paramShape,
    );
    const scale = tf.tensor(seeded(n, 45), paramShape).add(1);
    const offset = tf.tensor(seeded(n, 46), paramShape);
    const axes = xShape.slice(0, -1).map((_, i) => i);
    const f = (xv: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: tf.Tensor, o: tf.Tensor): tf.Scalar => {
      const stats = train ? tf.moments(xv, axes) : { mean: m, variance: v };
      const y = tf.batchNorm(
        xv,
        stats.mean.reshape(statShape),
        stats.variance.reshape(statShape),
        o.reshape(statShape),
        s.reshape(statShape),
        1e-3,
      );
      // Every argument enters the loss (unused ones with weight 0) so that tf.grads accepts them.
      const unused = tf.addN([m, v].map((t) => tf.sum(t)));
      return tf.add(tf.sum(tf.mul(y, w)), tf.mul(unused, 0));
    };
    const grads = tf.grads(f)([x, mean0, var0, scale, offset]);
    for (const g of grads) out.push(Float32Array.from(g.dataSync()));
  });
  return out;
}

test("the FusedBatchNorm gradient equals tfjs-core's on cpu (constant and moments statistics, rank 2 and 4 inputs, per-element statistics), also for [1,1,1,C] statistics, and on wasm", async () => {
  // [train, x shape, parameter shape, statistics shape as the kernel sees it]. For [1, 1, 1, C]
  // statistics tfjs-core's own gradient throws, so its reference is the same function with
  // rank-1 statistics: the broadcast, and so every gradient, is the same.
  // (tfjs cannot differentiate a batchNorm without scale at all: the engine clones every input
  // named in inputsToSave, and the missing scale crashes that clone, whichever gradient is registered.)
  const variants: [boolean, number[], number[], number[]][] = [
    [false, [3, 4, 2, 5], [5], [5]],
    [true, [3, 4, 2, 5], [5], [5]],
    [false, [6, 5], [5], [5]],
    [true, [6, 5], [5], [5]],
    [false, [2, 3, 2, 4], [2, 3, 2, 4], [2, 3, 2, 4]], // per-element statistics: no reduction
    [false, [3, 4, 2, 5], [5], [1, 1, 1, 5]],
    [true, [3, 4, 2, 5], [5], [1, 1, 1, 5]],
  ];
  await useBackend('cpu');
  setFastTraining(false);
  assert.equal(tf.getGradient('FusedBatchNorm'), TFJS_BN_GRADIENT);
  const ref = variants.map(([train, xs, ps]) => bnGrads(train, xs, ps, ps));
  assert.throws(
    () => bnGrads(false, [3, 4, 2, 5], [5], [1, 1, 1, 5]),
    /Size\(120\) must match the product of shape 1,1,1,5/,
    "tfjs-core's own gradient fails here",
  );
  setFastTraining(true);
  assert.equal(tf.getGradient('FusedBatchNorm'), fusedBatchNormGradConfig);
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    variants.forEach(([train, xs, ps, ss], v) => {
      const got = bnGrads(train, xs, ps, ss);
      ['x', 'mean', 'variance', 'scale', 'offset'].forEach((name, i) => {
        const e = relErr(got[i]!, ref[v]![i]!);
        assert.ok(e <= REL_TOL, `${backend} d${name}, train=${train} x=[${xs}] statistics [${ss}]: relative error ${e}`);
      });
    });
  }
});

/** d/dx of sum(w * reduce(x)) for Mean or Sum, with the gradient currently registered. */
function reductionGrad(op: 'mean' | 'sum', shape: number[], axis: number | number[], keepDims: boolean): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(seeded(size(shape), 71), shape);
    const f = (t: tf.Tensor): tf.Scalar => {
      const r = op === 'mean' ? tf.mean(t, axis, keepDims) : tf.sum(t, axis, keepDims);
      return tf.sum(tf.mul(r, tf.tensor(seeded(r.size, 72), r.shape)));
    };
    return Float32Array.from(tf.grad(f)(x).dataSync());
  });
}

test("the Mean and Sum gradients are bit-identical to tfjs-core's on cpu, and match them on wasm", async () => {
  const cases: [number[], number | number[], boolean][] = [
    [[3, 5, 4, 6], [0, 1, 2], false],
    [[3, 5, 4, 6], [1, 2], true],
    [[7, 9], 0, false],
    [[4, 6], [-1], true],
    [[5], 0, false],
  ];
  await useBackend('cpu');
  setFastTraining(false);
  const ref = cases.flatMap(([shape, axis, keep]) => [reductionGrad('mean', shape, axis, keep), reductionGrad('sum', shape, axis, keep)]);
  setFastTraining(true);
  const got = cases.flatMap(([shape, axis, keep]) => [reductionGrad('mean', shape, axis, keep), reductionGrad('sum', shape, axis, keep)]);
  got.forEach((g, i) => assert.deepEqual(g, ref[i], `case ${i >> 1} ${i % 2 ? 'sum' : 'mean'}: not bit-identical`));
  await useBackend('wasm');
  const wasm = cases.flatMap(([shape, axis, keep]) => [reductionGrad('mean', shape, axis, keep), reductionGrad('sum', shape, axis, keep)]);
  wasm.forEach((g, i) => assert.ok(relErr(g, ref[i]!) <= REL_TOL, `wasm case ${i >> 1}: ${relErr(g, ref[i]!)}`));
});

test('no leaks: every fast kernel leaves tensors and wasm buffers as they were', async () => {
  await useBackend('wasm');
  const backend = tf.backend();
  const before = { tensors: tf.memory().numTensors, buffers: backend.numDataIds() };
  const x = input([2, 6, 5, 3], 51);
  runKernel(
    'Conv2DBackpropInput',
    { dy: input([2, 3, 3, 4], 52), filter: input([3, 3, 3, 4], 53) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 5, 3] },
  );
  runKernel('Conv2DBackpropFilter', { x, dy: input([2, 3, 3, 300], 54) }, { strides: 2, pad: 'same', filterShape: [3, 3, 3, 300] });
  // The 'exact' layout (wide channels on a small image; asserted in the layout test's cases).
  runKernel(
    'Conv2DBackpropFilter',
    { x: input([2, 4, 4, 64], 60), dy: input([2, 2, 2, 128], 61) },
    { strides: 2, pad: 'same', filterShape: [3, 3, 64, 128] },
  );
  // The direct layout and the direct convolution (forward, and stride-1 / strided input gradients).
  runKernel('Conv2DBackpropFilter', { x, dy: input([2, 6, 5, 8], 62) }, { strides: 1, pad: 'same', filterShape: [3, 3, 3, 8] });
  runKernel(
    'FusedConv2D',
    { x, filter: input([3, 3, 3, 8], 63), bias: input([8], 64) },
    { strides: 1, pad: 3, dataFormat: 'NHWC', activation: 'linear' },
  );
  runKernel(
    'Conv2DBackpropInput',
    { dy: input([2, 6, 5, 8], 65), filter: input([3, 3, 4, 8], 66) },
    { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 5, 4] },
  );
  runKernel(
    'Conv2DBackpropInput',
    { dy: input([2, 3, 3, 8], 67), filter: input([3, 3, 4, 8], 68) },
    { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 6, 5, 4] },
  );
  runKernel('Sum', { x }, { axis: [0, 1, 2] });
  runKernel('Slice', { x }, { begin: [0, 1, 1, 0], size: [2, 3, 3, 3] });
  runKernel('Tile', { x: input([1, 1, 1, 3], 59) }, { reps: [2, 3, 4, 1] });
  runKernel('Mean', { x: input([2, 70, 70, 3], 55) }, { axis: [0, 1, 2] });
  runKernel(
    'MaxPoolGrad',
    { dy: input([2, 3, 2, 3], 56), input: x, output: input([2, 3, 2, 3], 57) },
    { filterSize: 2, strides: 2, pad: 'valid' },
  );
  runKernel(
    'FusedBatchNorm',
    { x, mean: input([3], 58), variance: { data: new Float32Array([1, 2, 3]), shape: [3] } },
    { varianceEpsilon: 1e-3 },
  );
  tf.tidy(() => {
    const t = tf.tensor(x.data, x.shape);
    const shared = [tf.clone(t), tf.cast(t, 'float32')];
    // Shared memory: disposing the original leaves the copies readable.
    t.dispose();
    for (const s of shared) assert.equal(relErr(s.dataSync(), x.data), 0);
  });
  assert.equal(tf.memory().numTensors, before.tensors);
  assert.equal(backend.numDataIds(), before.buffers);
});

/** conv-bn-relu-maxpool-conv(stride 2)-bn-relu-globalpool-dense, the kernels a CIFAR net uses. */
function smallNet(): tf.LayersModel {
  const L = tf.layers;
  const input = tf.input({ shape: [12, 12, 3] });
  let h = L.conv2d({
    filters: 6,
    kernelSize: 3,
    padding: 'same',
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
  }).apply(input) as tf.SymbolicTensor;
  h = L.batchNormalization({ epsilon: 1e-5 }).apply(h) as tf.SymbolicTensor;
  h = L.reLU().apply(h) as tf.SymbolicTensor;
  h = L.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = L.conv2d({
    filters: 8,
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
  }).apply(h) as tf.SymbolicTensor;
  h = L.batchNormalization({ epsilon: 1e-5 }).apply(h) as tf.SymbolicTensor;
  h = L.reLU().apply(h) as tf.SymbolicTensor;
  h = L.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const logits = L.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** Losses of four SGD steps on a fixed batch, on the current backend and kernel set. */
async function trainLosses(): Promise<number[]> {
  const model = smallNet();
  const opt = tf.train.momentum(0.05, 0.9);
  const x = tf.tensor4d(seeded(6 * 12 * 12 * 3, 61), [6, 12, 12, 3]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32'), 4);
  const losses: number[] = [];
  const baseline = tf.memory().numTensors;
  let afterFirst = 0;
  for (let i = 0; i < 4; i++) {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
    losses.push((await loss!.data())[0]!);
    loss!.dispose();
    if (i === 0) afterFirst = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, afterFirst, 'a training step leaked tensors');
  assert.ok(afterFirst > baseline);
  x.dispose();
  y.dispose();
  opt.dispose();
  model.dispose();
  return losses;
}

test("training a small conv-bn-pool net: the same losses with the fast kernels as with tfjs's own (wasm) and as on cpu", async () => {
  await useBackend('wasm');
  setFastTraining(false);
  const slow = await trainLosses();
  setFastTraining(true);
  const fast = await trainLosses();
  await useBackend('cpu');
  const cpu = await trainLosses();
  assert.ok(slow[3]! < slow[0]!, `the loss decreases: ${slow}`);
  assert.ok(relErr(fast, slow) <= REL_TOL, `fast ${fast} vs tfjs kernels ${slow}`);
  assert.ok(relErr(fast, cpu) <= REL_TOL, `fast ${fast} vs cpu ${cpu}`);
});
