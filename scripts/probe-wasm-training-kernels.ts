/**
 * Which kernels does training need that the wasm backend lacks?
 *
 * 1. Builds one tiny tf.layers model per layer type of the CIFAR zoo (conv2d with strides
 *    1/2 and same/valid padding, depthwise and separable convs, batch norm, max/avg/global
 *    pooling, zero padding, concatenate/add/multiply, relu/relu6/sigmoid/swish/elu, dropout,
 *    dense + softmax + categorical cross-entropy), runs one SGD step on 'cpu' under
 *    tf.profile to list every kernel the step uses, and reports those not registered for
 *    'wasm' (before gaf-lab's kernels are added).
 * 2. Registers gaf-lab's wasm gradient kernels and runs the same step on 'wasm'.
 * 3. Runs one SGD step (batch 2) of every model of the zoo (src/models/registry.ts) on
 *    'wasm', with the time it took. ImageNet ResNets get a 64x64 input to keep this short.
 *
 * Run (from the repository root): npm run build:test &&
 *   node build/scripts/probe-wasm-training-kernels.js [--no-zoo]
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmGradientKernels } from '../src/backend/wasm-kernels/index';
import { createModel, listModels } from '../src/models/registry';
import { parseCommandLine, scriptArgs } from '../src/cli/args';

type Build = (input: tf.SymbolicTensor) => tf.SymbolicTensor;

const L = tf.layers;
const conv = (filters: number, kernelSize: number, strides = 1, padding: 'same' | 'valid' = 'same') =>
  L.conv2d({ filters, kernelSize, strides, padding });

/** One model per layer type; each body starts from a [8, 8, 3] input. Depthwise layers sit after a conv so their input gradient is needed too. */
const CASES: Record<string, Build> = {
  'conv2d s1 same': (x) => conv(4, 3, 1, 'same').apply(x) as tf.SymbolicTensor,
  'conv2d s2 valid': (x) => conv(4, 3, 2, 'valid').apply(x) as tf.SymbolicTensor,
  'conv2d s2 same': (x) => conv(4, 3, 2, 'same').apply(x) as tf.SymbolicTensor,
  'depthwiseConv2d (after conv) s1/s2, multiplier 2': (x) =>
    L.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2 }).apply(
      L.depthwiseConv2d({ kernelSize: 3, padding: 'same' }).apply(conv(4, 1).apply(x)),
    ) as tf.SymbolicTensor,
  'separableConv2d (after conv)': (x) =>
    L.separableConv2d({ filters: 6, kernelSize: 3, padding: 'same' }).apply(conv(4, 1).apply(x)) as tf.SymbolicTensor,
  batchNormalization: (x) => L.batchNormalization({}).apply(conv(4, 3).apply(x)) as tf.SymbolicTensor,
  maxPooling2d: (x) => L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(conv(4, 3).apply(x)) as tf.SymbolicTensor,
  averagePooling2d: (x) => L.averagePooling2d({ poolSize: 2 }).apply(conv(4, 3).apply(x)) as tf.SymbolicTensor,
  globalAveragePooling2d: (x) => L.globalAveragePooling2d({}).apply(conv(4, 3).apply(x)) as tf.SymbolicTensor,
  zeroPadding2d: (x) => conv(4, 3, 1, 'valid').apply(L.zeroPadding2d({ padding: 1 }).apply(x)) as tf.SymbolicTensor,
  'concatenate/add/multiply': (x) => {
    const a = conv(4, 1).apply(x) as tf.SymbolicTensor;
    const b = conv(4, 3).apply(x) as tf.SymbolicTensor;
    const sum = L.add().apply([a, b]) as tf.SymbolicTensor;
    const prod = L.multiply().apply([a, b]) as tf.SymbolicTensor;
    return L.concatenate().apply([sum, prod]) as tf.SymbolicTensor;
  },
  'relu / relu6 (reLU maxValue 6) / sigmoid / swish / elu': (x) => {
    const a = conv(4, 1).apply(x) as tf.SymbolicTensor;
    const acts = [
      L.reLU().apply(a),
      L.reLU({ maxValue: 6 }).apply(a),
      L.activation({ activation: 'relu6' }).apply(a),
      L.activation({ activation: 'sigmoid' }).apply(a),
      L.activation({ activation: 'swish' }).apply(a),
      L.activation({ activation: 'elu' }).apply(a),
    ] as tf.SymbolicTensor[];
    return L.concatenate().apply(acts) as tf.SymbolicTensor;
  },
  'squeeze-excitation (gap, 1x1 convs, sigmoid, multiply)': (x) => {
    const a = conv(4, 3).apply(x) as tf.SymbolicTensor;
    const s = L.reshape({ targetShape: [1, 1, 4] }).apply(L.globalAveragePooling2d({}).apply(a)) as tf.SymbolicTensor;
    const e = L.conv2d({ filters: 4, kernelSize: 1, activation: 'sigmoid' }).apply(
      L.conv2d({ filters: 2, kernelSize: 1, activation: 'relu' }).apply(s),
    );
    return L.multiply().apply([a, e as tf.SymbolicTensor]) as tf.SymbolicTensor;
  },
  dropout: (x) => L.dropout({ rate: 0.5 }).apply(conv(4, 3).apply(x)) as tf.SymbolicTensor,
};

/** The case's body, flattened into dense logits (softmax is applied in the loss). */
function buildCase(body: Build): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3] });
  const out = body(input);
  const features = out.shape.length > 2 ? (L.flatten().apply(out) as tf.SymbolicTensor) : out;
  const logits = L.dense({ units: 5 }).apply(features) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** One SGD step on random data: softmax of the logits, categorical cross-entropy; returns the loss. */
function sgdStep(model: tf.LayersModel, batch: number, classes: number): number {
  const opt = tf.train.sgd(0.01);
  const [, h, w, c] = model.inputs[0]!.shape as number[];
  const loss = tf.tidy(() => {
    const x = tf.randomNormal([batch, h!, w!, c!], 0, 1, 'float32', 7);
    const y = tf.oneHot(
      tf.tensor1d(
        Array.from({ length: batch }, (_, i) => i % classes),
        'int32',
      ),
      classes,
    );
    return opt.minimize(() => {
      const p = model.apply(x, { training: true }) as tf.Tensor;
      return tf.metrics.categoricalCrossentropy(y, p.softmax()).mean() as tf.Scalar;
    }, true) as tf.Scalar;
  });
  const v = loss.dataSync()[0]!;
  loss.dispose();
  opt.dispose();
  return v;
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
}

/** Usage of `node build/scripts/probe-wasm-training-kernels.js`. */
export const PROBE_USAGE = `node build/scripts/probe-wasm-training-kernels.js [--no-zoo]     (build first: npm run build:test)

Lists the kernels one training step of each layer type uses and those the wasm backend lacks,
registers gaf-lab's wasm gradient kernels, runs the same steps on wasm, then one SGD step of
every zoo model on wasm.

  --no-zoo   skip the zoo models (the slow part)`;

async function main(withZoo: boolean): Promise<void> {
  await tf.setBackend('cpu');
  const usedBy = new Map<string, string[]>();
  for (const [name, body] of Object.entries(CASES)) {
    const model = buildCase(body);
    const prof = await tf.profile(() => {
      sgdStep(model, 2, 5);
    });
    for (const k of new Set(prof.kernelNames)) usedBy.set(k, [...(usedBy.get(k) ?? []), name]);
    model.dispose();
  }
  // tf.profile also lists op-level names (fusedConv2d__op); only real kernel names count.
  const kernels = [...usedBy.keys()].filter((k) => tf.getKernel(k, 'cpu') !== undefined).sort();
  console.log(`kernels one training step uses (cpu, ${Object.keys(CASES).length} layer types): ${kernels.length}`);
  console.log(kernels.join(' '));
  const missing = kernels.filter((k) => tf.getKernel(k, 'wasm') === undefined);
  console.log(`\nmissing on wasm before gaf-lab's kernels: ${missing.length || 'none'}`);
  for (const k of missing) console.log(`  ${k}  (used by: ${usedBy.get(k)!.join('; ')})`);

  console.log(`\nregistered by gaf-lab: ${registerWasmGradientKernels().join(', ') || '(already registered)'}`);
  await tf.setBackend('wasm');
  await tf.ready();
  let failures = 0;
  for (const [name, body] of Object.entries(CASES)) {
    const model = buildCase(body);
    try {
      sgdStep(model, 2, 5);
      console.log(`  ok    ${name}`);
    } catch (e) {
      failures++;
      console.log(`  FAIL  ${name}: ${message(e)}`);
    }
    model.dispose();
  }

  if (withZoo) {
    console.log('\nzoo, one SGD step of batch 2 on wasm:');
    for (const info of listModels()) {
      const inputShape: [number, number, number] = info.inputShape[0] > 64 ? [64, 64, 3] : info.inputShape;
      const before = tf.memory().numTensors;
      let model: tf.LayersModel | undefined;
      try {
        model = createModel(info.name, { inputShape, numClasses: 10, seed: 1 });
        const t0 = Date.now();
        const loss = sgdStep(model, 2, 10);
        console.log(`  ok    ${info.name.padEnd(20)} ${String(Date.now() - t0).padStart(6)} ms  loss ${loss.toFixed(3)}`);
      } catch (e) {
        failures++;
        console.log(`  FAIL  ${info.name}: ${message(e)}`);
      }
      model?.dispose();
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) console.log(`        (${leaked} tensors left after dispose)`);
    }
  }
  process.exitCode = failures ? 1 : 0;
}

if (require.main === module) {
  const withZoo = scriptArgs('probe-wasm-training-kernels', PROBE_USAGE, (argv) => {
    return parseCommandLine(argv, { 'no-zoo': 'boolean' }, { min: 0, max: 0, what: 'options only' }).values['no-zoo'] !== true;
  });
  void main(withZoo);
}
