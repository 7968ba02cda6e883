/**
 * createModel / listModels behaviour: name matching, clear errors for bad names and options,
 * default shapes, seeded and PyTorch-style initialisation.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel, listModels, normalizeModelName, closestModelName } from '../src/models/index';

before(async () => {
  await tf.setBackend('cpu');
});

function kernelOf(model: tf.LayersModel, layerName: string): Float32Array {
  return model.getLayer(layerName).getWeights()[0].dataSync() as Float32Array;
}

function maxAbs(xs: Float32Array): number {
  return xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

test("names match ignoring case and separators, and the GAF scripts' aliases", () => {
  for (const [asked, canonical] of [
    ['resnet18', 'ResNet18'],
    ['RESNET-18', 'ResNet18'],
    ['LeNet', 'LeNet'],
    ['lenet', 'LeNet'],
    ['DENSENET_CIFAR', 'densenet_cifar'],
    ['MobileV2', 'MobileNetV2'],
    ['ResNet20', 'resnet20'],
  ]) {
    const model = createModel(asked);
    assert.equal(model.name, canonical, asked);
    model.dispose();
  }
});

test('normalised names (and aliases) never collide', () => {
  const keys = [...listModels().map((m) => m.name), 'MobileV1', 'MobileV2'].map(normalizeModelName);
  // Aliases are keys of their own: they must not shadow another model either.
  assert.equal(new Set(keys).size, keys.length);
});

test('an unknown name fails with the closest valid name and the full list', () => {
  assert.throws(
    () => createModel('ResNet19'),
    (err: Error) => {
      assert.match(err.message, /unknown model "ResNet19"/);
      assert.match(err.message, /Did you mean "ResNet18"\?/);
      for (const m of listModels()) assert.ok(err.message.includes(m.name), `lists ${m.name}`);
      return true;
    },
  );
  assert.equal(closestModelName('mobilenet-v2'), 'MobileNetV2');
  assert.equal(closestModelName('efficientnet'), 'EfficientNetB0');
  assert.throws(() => createModel(''), /model name must be a non-empty string/);
});

test('bad options fail naming the option, the value and what is expected', () => {
  assert.throws(() => createModel('LeNet', { numClasses: 0 }), /numClasses must be a positive integer, got 0/);
  assert.throws(() => createModel('LeNet', { numClasses: 2.5 }), /numClasses must be a positive integer, got 2.5/);
  assert.throws(
    () => createModel('LeNet', { inputShape: [32, 32] as unknown as [number, number, number] }),
    /inputShape must be \[height, width, channels\].*got \[32,32\]/,
  );
  assert.throws(
    () => createModel('LeNet', { init: 'he' as 'pytorch' }),
    /init must be one of "pytorch", "glorot", "torchvision", got "he"/,
  );
  assert.throws(
    () => createModel('LeNet', { numclasses: 10 } as unknown as { numClasses: number }),
    /unknown option "numclasses"; valid options: numClasses, inputShape, init, seed/,
  );
  assert.throws(() => createModel('LeNet', { seed: Number.NaN }), /seed must be a finite number/);
});

test('an input too small for the down-sampling fails with the model, the shape and the default', () => {
  const numTensors = tf.memory().numTensors;
  assert.throws(
    () => createModel('VGG16', { inputShape: [16, 16, 3] }),
    (err: Error) => {
      assert.match(err.message, /createModel\("VGG16"\): cannot build it for inputShape \[16, 16, 3\]/);
      assert.match(err.message, /pool5/);
      assert.match(err.message, /default input is \[32, 32, 3\]/);
      return true;
    },
  );
  assert.equal(tf.memory().numTensors, numTensors, 'the half-built model is disposed');
});

test('default input and output shapes; numClasses sets the logits', () => {
  for (const info of listModels().filter((m) => ['LeNet', 'smallcnn', 'MobileNetV2'].includes(m.name))) {
    const model = createModel(info.name, { numClasses: 7 });
    assert.deepEqual(model.inputs[0].shape, [null, ...info.inputShape], info.name);
    assert.deepEqual(model.outputs[0].shape, [null, 7], info.name);
    model.dispose();
  }
  const m = listModels().find((x) => x.name === 'smallcnn');
  assert.deepEqual(m?.inputShape, [28, 28, 1]);
  assert.equal(listModels().find((x) => x.name === 'imagenet_resnet50')?.numClasses, 1000);
});

test('listModels returns copies: mutating them does not change the registry', () => {
  const a = listModels();
  a[0].inputShape[0] = 1;
  a[0].params10 = -1;
  const b = listModels();
  assert.equal(b[0].inputShape[0], 32);
  assert.ok(b[0].params10 > 0);
});

test('a seed makes initialisation reproducible; different seeds differ', () => {
  const a = createModel('resnet20', { seed: 3 });
  const b = createModel('resnet20', { seed: 3 });
  const c = createModel('resnet20', { seed: 4 });
  assert.deepEqual(kernelOf(a, 'linear'), kernelOf(b, 'linear'));
  assert.deepEqual(kernelOf(a, 'conv1'), kernelOf(b, 'conv1'));
  assert.notDeepEqual(kernelOf(a, 'conv1'), kernelOf(c, 'conv1'));
  [a, b, c].forEach((m) => m.dispose());
});

test("'pytorch' init draws U(-1/sqrt(fanIn), 1/sqrt(fanIn)); 'glorot' keeps the tfjs defaults", () => {
  // LeNet conv1: fanIn = 5*5*3 = 75, PyTorch bound 1/sqrt(75) = 0.1155; glorot bound for the
  // [5,5,3,6] kernel is sqrt(6/(75 + 150)) = 0.1633. With 450 draws the max |w| lands near its bound.
  const bound = 1 / Math.sqrt(75);
  const pt = createModel('LeNet', { seed: 1 });
  const w = kernelOf(pt, 'conv1');
  assert.ok(maxAbs(w) <= bound && maxAbs(w) > 0.9 * bound, `pytorch max |w| = ${maxAbs(w)}`);
  const bias = pt.getLayer('conv1').getWeights()[1].dataSync() as Float32Array;
  assert.ok(maxAbs(bias) <= bound && maxAbs(bias) > 0, 'bias uniform in the same range, not zero');
  pt.dispose();

  const gl = createModel('LeNet', { seed: 1, init: 'glorot' });
  assert.ok(maxAbs(kernelOf(gl, 'conv1')) > bound, 'glorot reaches beyond the PyTorch bound');
  assert.equal(maxAbs(gl.getLayer('conv1').getWeights()[1].dataSync() as Float32Array), 0, 'glorot biases are zero');
  gl.dispose();

  // A depthwise kernel's PyTorch fan-in is k*k = 9 (bound 1/3), not k*k*channels.
  const mb = createModel('MobileNet', { seed: 1 });
  const dw = kernelOf(mb, 'block0_dw');
  assert.ok(maxAbs(dw) <= 1 / 3 && maxAbs(dw) > 0.3, `depthwise max |w| = ${maxAbs(dw)}`);
  mb.dispose();
});

test('BN follows PyTorch defaults (eps 1e-5, running stats updated with weight 0.1)', () => {
  const model = createModel('smallcnn');
  const cfg = model.getLayer('conv1_bn').getConfig();
  assert.equal(cfg.epsilon, 1e-5);
  assert.equal(cfg.momentum, 0.9);
  model.dispose();
});
