/**
 * The detector's parts, each against a hand-worked case: box geometry between the original
 * image and the input (letterbox, crop, flip), image rendering following the boxes, target
 * assignment, the loss, decoding, per-class NMS, and no tensor left behind by a step.
 */
import { test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../src/backend/init';
import { buildDetector, decodeDetections, detectionLoss, encodeTargets, OUTPUT_STRIDE } from '../src/detect/centernet';
import { edgesToVoc, letterboxView, nmsPerClass, toInput, toOriginal, vocToEdges, type EdgeBox, type View } from '../src/detect/geometry';
import { objectsInView, renderView, type RawImage } from '../src/detect/image';
import { makeBatch, type DetectionImage } from '../src/detect/data';
import { Rng } from '../src/data/rng';
import { loadBackboneWeights } from '../src/detect/train';
import { fileIO } from '../src/train/checkpoint';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

before(async () => {
  await initBackend('wasm');
});

const near = (a: readonly number[], b: readonly number[], tol: number, what: string): void => {
  assert.equal(a.length, b.length, what);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= tol, `${what}[${i}]: ${v} vs ${b[i]} (tolerance ${tol})`));
};

test('a VOC box goes to the input and back exactly: letterbox, crop, flip', () => {
  // VOC [11, 6, 20, 15] is pixels 10..19 x 5..14 (0-based), edges [10, 5, 20, 15].
  const voc = [11, 6, 20, 15] as const;
  assert.deepEqual(vocToEdges(voc), [10, 5, 20, 15]);
  // Letterbox of a 40x30 image into 80: scale 2, box edges doubled.
  const lb = letterboxView(40, 30, 80);
  assert.deepEqual(toInput(vocToEdges(voc), lb), [20, 10, 40, 30]);
  // Crop from (5, 2), 30x24, scale 2, mirrored: edges relative to the window [5, 3, 15, 13] -> x2
  // [10, 6, 30, 26]; mirrored within the window's 60 px: x0 = 60 - 30 = 30, x1 = 60 - 10 = 50.
  const view: View = { x: 5, y: 2, width: 30, height: 24, scale: 2, flip: true };
  const inp = toInput(vocToEdges(voc), view)!;
  assert.deepEqual(inp, [30, 6, 50, 26]);
  assert.deepEqual(edgesToVoc(toOriginal(inp, view, 40, 30)), [...voc]);
  // Nothing of a box outside the window is left.
  assert.equal(toInput([0, 0, 4, 4], view), null);
});

test('objects cut by a crop: kept clipped when at least 40% is visible, dropped otherwise', () => {
  const view: View = { x: 10, y: 0, width: 20, height: 20, scale: 1, flip: false };
  // VOC [6, 1, 15, 10] = edges [5, 0, 15, 10]: 5 of its 10 columns are in the window x 10..30
  // (50% >= 40%): kept, clipped and shifted to [0, 0, 5, 10]. VOC [1, 1, 12, 10] = edges
  // [0, 0, 12, 10]: 2 of 12 columns (17%): dropped.
  const objs = objectsInView(
    [
      { classIndex: 0, box: [6, 1, 15, 10], difficult: false },
      { classIndex: 1, box: [1, 1, 12, 10], difficult: false },
    ],
    view,
  );
  assert.deepEqual(objs, [{ classIndex: 0, box: [0, 0, 5, 10], difficult: false }]);
});

test('rendering follows the boxes: a white square lands where toInput puts it, flipped or not', () => {
  // 40x30 black image, white pixels 10..19 x 5..14 (VOC [11, 6, 20, 15]).
  const W = 40;
  const H = 30;
  const data = new Uint8Array(W * H * 3);
  for (let y = 5; y < 15; y++) for (let x = 10; x < 20; x++) data.fill(255, (y * W + x) * 3, (y * W + x) * 3 + 3);
  const img: RawImage = { data, width: W, height: H };
  for (const flip of [false, true]) {
    const view: View = { x: 5, y: 2, width: 30, height: 24, scale: 2, flip };
    const size = 64;
    const out = new Float32Array(size * size * 3);
    renderView(img, view, size, out);
    // Bright (above mid-grey, i.e. > 0 after the offset) pixels' bounds vs the mapped edges.
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let v = 0; v < size; v++) {
      for (let u = 0; u < size; u++) {
        if (out[(v * size + u) * 3]! > 0) [x0, y0, x1, y1] = [Math.min(x0, u), Math.min(y0, v), Math.max(x1, u + 1), Math.max(y1, v + 1)];
      }
    }
    const want = toInput(vocToEdges([11, 6, 20, 15]), view) as EdgeBox;
    near([x0, y0, x1, y1], want, 1, `flip ${flip}`);
    // The letterbox padding (beyond the window's 60x48 input pixels) is 0.
    assert.equal(out[(50 * size + 62) * 3], 0);
  }
});

test('target assignment on a hand case: centre cell, offset, log size and the Gaussian', () => {
  // Input edges [9, 13, 27, 21], stride 4: centre (18, 17)/4 = (4.5, 4.25): cell (4, 4), offset
  // (0.5, 0.25); size (18, 8)/4 = (4.5, 2): log 4.5, log 2. Map 16x16, class 1 of 2.
  const m = 16;
  const t = encodeTargets([{ classIndex: 1, box: [9, 13, 27, 21], difficult: false }], 2, m, OUTPUT_STRIDE);
  const c = 4 * m + 4;
  assert.equal(t.heat[c * 2 + 1], 1);
  assert.equal(t.heat[c * 2], 0, 'other class untouched');
  near(Array.from(t.box.subarray(c * 4, c * 4 + 4)), [0.5, 0.25, Math.log(4.5), Math.log(2)], 1e-6, 'box');
  assert.equal(t.mask[c], 1);
  assert.equal(
    t.mask.reduce((s, v) => s + v, 0),
    1,
  );
  // Next cell right: sigma_x = 0.54 * 4.5 / 6 = 0.405, value exp(-1 / (2 * 0.405^2)) = exp(-3.0483) = 0.04743.
  near([t.heat[(4 * m + 5) * 2 + 1]!], [Math.exp(-1 / (2 * 0.405 ** 2))], 1e-6, 'gaussian');
  // Difficult objects give no target.
  const d = encodeTargets([{ classIndex: 1, box: [9, 13, 27, 21], difficult: true }], 2, m);
  assert.equal(
    d.heat.reduce((s, v) => s + v, 0),
    0,
  );
});

test('the loss on a hand case: focal heatmap term and L1 box term', () => {
  // One class, a 1x3 map (an output [1, 1, 3, 1 + 4]), all logits 0 (p = 1/2).
  // Targets heat [1, 0.5, 0], one object at cell 0.
  //  positive cell: (1 - p)^2 log p = 1/4 * ln(1/2)
  //  cell of 0.5:   p^2 (1 - 0.5)^4 log(1 - p) = 1/4 * 1/16 * ln(1/2)
  //  cell of 0:     p^2 log(1 - p) = 1/4 * ln(1/2)
  //  heatmap loss = -(sum) / 1 object = ln 2 * (1/4 + 1/64 + 1/4) = 0.515625 ln 2.
  // Box: prediction 0, target [0.5, 0.25, ln 4.5, ln 2] at cell 0: L1 = 0.75 + ln 4.5 + ln 2 = 0.75 + ln 9.
  tf.tidy(() => {
    const out = tf.zeros([1, 1, 3, 5]) as tf.Tensor4D;
    const heat = tf.tensor4d([1, 0.5, 0], [1, 1, 3, 1]);
    const box = tf.tensor4d([0.5, 0.25, Math.log(4.5), Math.log(2), 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 3, 4]);
    const mask = tf.tensor4d([1, 0, 0], [1, 1, 3, 1]);
    const l = detectionLoss(out, heat, box, mask);
    near([l.heatmap.dataSync()[0]!], [0.515625 * Math.LN2], 1e-6, 'heatmap');
    near([l.box.dataSync()[0]!], [0.75 + Math.log(9)], 1e-5, 'box');
    near([l.total.dataSync()[0]!], [0.515625 * Math.LN2 + 0.75 + Math.log(9)], 1e-5, 'total');
  });
});

test('encoding then decoding gives the boxes back', () => {
  // An output whose heatmap logits are those of the targets (peaks exactly at centres) and whose
  // box channels are the targets decodes to the objects' own boxes and classes.
  const m = 16;
  const objects = [
    { classIndex: 0, box: [4, 6, 20, 30] as EdgeBox, difficult: false },
    { classIndex: 2, box: [34, 30, 58, 46] as EdgeBox, difficult: false },
  ];
  const t = encodeTargets(objects, 3, m);
  const out = tf.tidy(() => {
    const h = tf.tensor4d(t.heat, [1, m, m, 3]);
    const logits = tf.log(tf.div(tf.add(h, 1e-6), tf.sub(1 + 1e-6, h)));
    return tf.concat([logits, tf.tensor4d(t.box, [1, m, m, 4])], 3) as tf.Tensor4D;
  });
  const found = decodeDetections(out, 3, { minScore: 0.5 });
  out.dispose();
  assert.equal(found[0]!.length, 2);
  const byClass = new Map(found[0]!.map((b) => [b.classIndex, b.box]));
  near(byClass.get(0)!, objects[0]!.box, 1e-4, 'class 0');
  near(byClass.get(2)!, objects[1]!.box, 1e-4, 'class 2');
});

test('per-class NMS on a hand case', () => {
  // A [0,0,10,10] .9 c0 kept. B [1,0,11,10] .8 c0: IoU with A = 9*10 / (100 + 100 - 90) = 0.818 > 0.5:
  // dropped. C same box, class 1: kept (other class). D [20,20,30,30] .6 c0: no overlap: kept.
  // E = A's box at A's score, listed after A: a tie keeps input order, so A goes first and E is dropped.
  const boxes = [
    { box: [0, 0, 10, 10] as EdgeBox, score: 0.9, classIndex: 0 },
    { box: [1, 0, 11, 10] as EdgeBox, score: 0.8, classIndex: 0 },
    { box: [1, 0, 11, 10] as EdgeBox, score: 0.7, classIndex: 1 },
    { box: [20, 20, 30, 30] as EdgeBox, score: 0.6, classIndex: 0 },
    { box: [0, 0, 10, 10] as EdgeBox, score: 0.9, classIndex: 0 },
  ];
  const kept = nmsPerClass(boxes, 0.5);
  assert.deepEqual(kept, [boxes[0], boxes[2], boxes[3]]);
  assert.deepEqual(nmsPerClass(boxes, 0.5, 2), [boxes[0], boxes[2]]);
});

test('a training step, a batch and a decode leave no tensor behind', async () => {
  const model = buildDetector({ backbone: 'tiny', numClasses: 2, inputSize: 32, seed: 3 });
  const optimizer = tf.train.sgd(0.01);
  const raw: RawImage = { data: new Uint8Array(40 * 30 * 3).fill(90), width: 40, height: 30 };
  const images: DetectionImage[] = [0, 1].map((i) => ({
    id: String(i),
    width: 40,
    height: 30,
    objects: [{ classIndex: i, box: [5, 5, 20, 25], difficult: false }],
    load: () => Promise.resolve(raw),
  }));
  const step = async (): Promise<void> => {
    const batch = await makeBatch(images, { inputSize: 32, numClasses: 2, augment: { rng: new Rng(1) } });
    const loss = optimizer.minimize(
      () => detectionLoss(model.apply(batch.x, { training: true }) as tf.Tensor4D, batch.heat, batch.box, batch.mask).total,
      true,
    );
    loss!.dispose();
    const out = model.apply(batch.x) as tf.Tensor4D;
    decodeDetections(out, 2);
    out.dispose();
    batch.dispose();
  };
  await step(); // creates the optimizer's slots
  const before = tf.memory().numTensors;
  await step();
  assert.equal(tf.memory().numTensors, before);
  optimizer.dispose();
  model.dispose();
});

test('the detector maps an input of side s to s/4 cells of classes + 4 channels; bad sizes are refused', () => {
  const model = buildDetector({ backbone: 'tiny', numClasses: 3, inputSize: 48 });
  assert.deepEqual(model.outputs[0]!.shape, [null, 12, 12, 7]);
  model.dispose();
  assert.throws(() => buildDetector({ backbone: 'resnet18', numClasses: 3, inputSize: 48 }), /multiple of 32/);
  // ResNet-18 (stride 32) and three 2x upsamplings: 64 / 32 * 8 = 16 cells = 64 / 4.
  const r18 = buildDetector({ backbone: 'resnet18', numClasses: 20, inputSize: 64 });
  assert.deepEqual(r18.outputs[0]!.shape, [null, 16, 16, 24]);
  r18.dispose();
});

test('backbone weights from a saved model go into the layers of the same name and shape', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-backbone-'));
  const source = buildDetector({ backbone: 'tiny', numClasses: 3, inputSize: 32, seed: 11 });
  await source.save(fileIO(dir));
  // Another class count: the heatmap head differs in shape and is left alone; the rest is copied.
  const target = buildDetector({ backbone: 'tiny', numClasses: 2, inputSize: 32, seed: 12 });
  const before = target.getLayer('head_heatmap').getWeights()[0]!.dataSync().slice();
  const copied = await loadBackboneWeights(target, dir);
  const withWeights = source.layers.filter((l) => l.getWeights().length > 0).length;
  assert.equal(copied, withWeights - 1, 'every layer with weights except the heatmap head');
  assert.deepEqual(target.getLayer('tiny_c1').getWeights()[0]!.dataSync(), source.getLayer('tiny_c1').getWeights()[0]!.dataSync());
  assert.deepEqual(target.getLayer('head_heatmap').getWeights()[0]!.dataSync(), before);
  // A model with no layer of the same name is refused, naming the folder.
  const other = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'unrelated' })] });
  const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gaf-backbone-'));
  await other.save(fileIO(otherDir));
  await assert.rejects(loadBackboneWeights(target, otherDir), new RegExp(`no layer of ${otherDir}`));
  await assert.rejects(loadBackboneWeights(target, path.join(otherDir, 'none')), /has no model\.json/);
  for (const m of [source, target, other]) m.dispose();
  for (const d of [dir, otherDir]) fs.rmSync(d, { recursive: true, force: true });
});
