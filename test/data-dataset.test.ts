import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ArrayDataset, DataLoader, FileListDataset, stratifiedSubset, takeFirst, type Batch, type ImageSource } from '../src/data/dataset';
import { cifarTrainTransform, randomHorizontalFlip } from '../src/data/augment';
import { Rng, mixSeed, permutation } from '../src/data/rng';

/** n images of 1x2x1 whose pixels are [i/255, i/255] (uint8 i), label i mod k. */
function tiny(n: number, k = 3): ArrayDataset {
  const images = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) images.fill(i, 2 * i, 2 * i + 2);
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  return new ArrayDataset({ images, labels, height: 1, width: 2, channels: 1, classNames: Array.from({ length: k }, (_, i) => `c${i}`) });
}

/** All batches of one epoch, as plain arrays; disposes every batch. */
async function collect(it: AsyncIterable<Batch>): Promise<{ x: number[][]; y: number[][]; idx: number[][] }> {
  const r = { x: [] as number[][], y: [] as number[][], idx: [] as number[][] };
  for await (const b of it) {
    r.x.push(Array.from(b.x.dataSync()));
    r.y.push(Array.from(b.y.dataSync()));
    r.idx.push(Array.from(b.indices));
    b.dispose();
  }
  return r;
}

test('Rng: values in [0,1), reproducible, and getState/setState resumes exactly', () => {
  const a = new Rng(42);
  const first = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(
    Array.from({ length: 5 }, () => new Rng(42)).map((r) => r.next()),
    new Array(5).fill(first[0]),
  );
  const saved = a.getState();
  const cont = Array.from({ length: 100 }, () => a.next());
  const b = new Rng(7);
  b.setState(saved);
  assert.deepEqual(
    Array.from({ length: 100 }, () => b.next()),
    cont,
  );
  // Mean and a chi-square of int(10) over 100,000 draws: mean within 0.5 +- 0.005 (5.5 sigma
  // of 1/sqrt(12*1e5)); chi-square with 9 degrees of freedom below 35 (p < 1e-4).
  const r = new Rng(1);
  let sum = 0;
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) {
    const v = r.next();
    assert.ok(v >= 0 && v < 1);
    sum += v;
    bins[Math.floor(v * 10)]++;
  }
  assert.ok(Math.abs(sum / 100000 - 0.5) < 0.005);
  const chi2 = bins.reduce((s, c) => s + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi2 < 35, `chi2 ${chi2}`);
  assert.notEqual(new Rng(2 ** 40).next(), new Rng(0).next(), 'high bits of the seed matter');
  assert.notEqual(mixSeed(1, 2), mixSeed(2, 1));
  assert.throws(() => new Rng(1.5), /seed must be a safe integer, got 1.5/);
  assert.throws(() => b.setState(-1), /state must be a uint32/);
  const p = permutation(50, 3);
  assert.deepEqual(
    Array.from(p).sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(Array.from(permutation(50, 3)), Array.from(p));
  assert.notDeepEqual(Array.from(permutation(50, 4)), Array.from(p));
});

test('unshuffled batches: order, pixel scaling, labels, last partial batch and dropLast', async () => {
  await tf.setBackend('cpu');
  const ds = tiny(10);
  const loader = new DataLoader(ds, { batchSize: 4, shuffle: false });
  assert.equal(loader.batchesPerEpoch, 3);
  const r = await collect(loader.epoch(0));
  assert.deepEqual(r.idx, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  assert.deepEqual(r.y, [
    [0, 1, 2, 0],
    [1, 2, 0, 1],
    [2, 0],
  ]);
  assert.deepEqual(
    r.x[2],
    [8, 8, 9, 9].map((v) => Math.fround(v / 255)),
  );
  const first = loader.epoch(0);
  const b = (await first.next()).value as Batch;
  assert.deepEqual(b.x.shape, [4, 1, 2, 1]);
  assert.equal(b.x.dtype, 'float32');
  assert.equal(b.y.dtype, 'int32');
  b.dispose();
  await first.return(undefined);
  const dl = new DataLoader(ds, { batchSize: 4, shuffle: false, dropLast: true });
  assert.equal(dl.batchesPerEpoch, 2);
  assert.deepEqual((await collect(dl.epoch(0))).idx, [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
  assert.throws(() => new DataLoader(ds, { batchSize: 11, dropLast: true }), /leaves no batch at all/);
  assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /batchSize must be an integer >= 1, got 0/);
});

test('one-hot labels: float32 [B, numClasses]', async () => {
  await tf.setBackend('cpu');
  const loader = new DataLoader(tiny(4), { batchSize: 4, shuffle: false, labels: 'onehot' });
  const r = await collect(loader.epoch(0));
  // Labels 0,1,2,0 with 3 classes.
  assert.deepEqual(r.y[0], [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0]);
});

test('shuffling: every epoch visits each sample once, in an order fixed by (seed, epoch)', async () => {
  await tf.setBackend('cpu');
  const ds = tiny(23);
  const a = new DataLoader(ds, { batchSize: 5, seed: 11 });
  const b = new DataLoader(ds, { batchSize: 5, seed: 11 });
  const c = new DataLoader(ds, { batchSize: 5, seed: 12 });
  const e0 = (await collect(a.epoch(0))).idx.flat();
  const e1 = (await collect(a.epoch(1))).idx.flat();
  for (const e of [e0, e1])
    assert.deepEqual(
      [...e].sort((x, y) => x - y),
      Array.from({ length: 23 }, (_, i) => i),
    );
  assert.notDeepEqual(e0, e1);
  // Epoch 1 first on a fresh loader gives the same order: no hidden state from epoch 0.
  assert.deepEqual((await collect(b.epoch(1))).idx.flat(), e1);
  assert.deepEqual((await collect(b.epoch(0))).idx.flat(), e0);
  assert.notDeepEqual((await collect(c.epoch(0))).idx.flat(), e0);
  assert.deepEqual(Array.from(a.order(1)), e1);
});

test('augmented batches are reproducible and resume mid-epoch after getState/setState', async () => {
  await tf.setBackend('cpu');
  // 12 random 32x32x3 images (seeded), CIFAR training augmentation.
  const r = new Rng(5);
  const images = Uint8Array.from({ length: 12 * 3072 }, () => r.int(256));
  const ds = new ArrayDataset({ images, labels: new Int32Array(12), height: 32, width: 32, channels: 3, classNames: ['a'] });
  const opts = { batchSize: 4, seed: 3, transform: cifarTrainTransform('cifar10') };
  const full = new DataLoader(ds, opts);
  const whole0 = await collect(full.epoch(0));
  const whole1 = await collect(full.epoch(1));
  assert.notDeepEqual(whole0.x[0], whole1.x[0]);
  // Stop after the first batch of epoch 1 and resume in a new loader.
  const part = new DataLoader(ds, opts);
  await collect(part.epoch(0));
  assert.deepEqual(part.getState(), { seed: 3, epoch: 1, batch: 0 });
  for await (const b of part.next()) {
    b.dispose();
    break;
  }
  const saved = JSON.parse(JSON.stringify(part.getState()));
  assert.deepEqual(saved, { seed: 3, epoch: 1, batch: 1 });
  const resumed = new DataLoader(ds, opts);
  resumed.setState(saved);
  const rest = await collect(resumed);
  assert.deepEqual(rest.x, whole1.x.slice(1));
  assert.deepEqual(rest.idx, whole1.idx.slice(1));
  assert.deepEqual(resumed.getState(), { seed: 3, epoch: 2, batch: 0 });
  assert.throws(() => resumed.setState({ seed: 4, epoch: 0, batch: 0 }), /saved with seed 4, this loader has seed 3/);
  // The augmentation of a sample does not depend on the batch size or the prefetch depth.
  const other = await collect(new DataLoader(ds, { ...opts, batchSize: 6, prefetch: 0 }).epoch(1));
  const byIndex = (res: typeof whole1): Map<number, number[]> => {
    const m = new Map<number, number[]>();
    res.idx.forEach((ids, bi) => ids.forEach((id, j) => m.set(id, res.x[bi].slice(j * 3072, (j + 1) * 3072))));
    return m;
  };
  assert.deepEqual(byIndex(other), byIndex(whole1));
});

test('no tensor leaks: full epochs, early exit, prefetching', async () => {
  await tf.setBackend('cpu');
  const ds = tiny(30);
  const before = tf.memory().numTensors;
  const loader = new DataLoader(ds, { batchSize: 4, prefetch: 3, labels: 'onehot', transform: randomHorizontalFlip() });
  await collect(loader.epoch(0));
  assert.equal(tf.memory().numTensors, before);
  for await (const b of loader.epoch(1)) {
    b.dispose();
    break; // three more batches are prefetched at this point
  }
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(tf.memory().numTensors, before);
  // Undisposed batches are the consumer's: two batches = four tensors.
  const it = loader.epoch(2);
  await it.next();
  await it.next();
  assert.equal(tf.memory().numTensors, before + 4);
  await it.return(undefined);
});

/** A source whose reads are asynchronous and counted. */
function countingSource(n: number): ImageSource & { started: number } {
  const s = {
    started: 0,
    size: n,
    shape: { height: 1, width: 1, channels: 1 },
    classNames: ['a'],
    labelOf: () => 0,
    async readInto(i: number, out: Float32Array, off: number) {
      s.started++;
      await new Promise((r) => setImmediate(r));
      out[off] = i;
      return true;
    },
  };
  return s;
}

test('prefetch depth: the loader prepares at most `prefetch` batches beyond the one consumed', async () => {
  await tf.setBackend('cpu');
  for (const depth of [0, 1, 3]) {
    const src = countingSource(20);
    const it = new DataLoader(src, { batchSize: 1, shuffle: false, prefetch: depth }).epoch(0);
    const b = (await it.next()).value as Batch;
    b.dispose();
    // Let every pending read finish.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(src.started, 1 + depth, `prefetch ${depth}`);
    await it.return(undefined);
  }
});

test('FileListDataset: fail policy names the file; skip policy leaves it out and counts it', async () => {
  await tf.setBackend('cpu');
  const items = ['a.png', 'bad.png', 'c.png', 'd.png'].map((file, i) => ({ file, label: i % 2 }));
  const decode = async (file: string, out: Float32Array, off: number): Promise<void> => {
    if (file === 'bad.png') throw new Error('Input buffer contains unsupported image format');
    out[off] = file.charCodeAt(0);
  };
  const shape = { height: 1, width: 1, channels: 1 };
  const failing = new FileListDataset(items, shape, ['x', 'y'], decode);
  await assert.rejects(
    collect(new DataLoader(failing, { batchSize: 2, shuffle: false }).epoch(0)),
    /Cannot read image bad\.png: Input buffer contains unsupported image format\. .*onUnreadable: 'skip'/,
  );
  const skipping = new FileListDataset(items, shape, ['x', 'y'], decode, 'skip');
  const r = await collect(new DataLoader(skipping, { batchSize: 2, shuffle: false }).epoch(0));
  assert.deepEqual(r.idx, [[0], [2, 3]]);
  assert.deepEqual(r.x, [[97], [99, 100]]);
  assert.deepEqual(r.y, [[0], [0, 1]]);
  assert.deepEqual(skipping.skipped, [{ file: 'bad.png', reason: 'Input buffer contains unsupported image format' }]);
  assert.equal(skipping.skipCount, 1);
  // A second epoch skips it again: listed once, counted twice.
  await collect(new DataLoader(skipping, { batchSize: 2 }).epoch(1));
  assert.equal(skipping.skipped.length, 1);
  assert.equal(skipping.skipCount, 2);
  assert.throws(() => new FileListDataset(items, shape, ['x'], decode, 'ignore' as 'skip'), /must be 'fail' or 'skip', got "ignore"/);
});

test('subsets: first N, and N per class drawn reproducibly', () => {
  const ds = tiny(30, 3); // labels i mod 3: 10 per class
  const first = takeFirst(ds, 4);
  assert.equal(first.size, 4);
  assert.deepEqual(Array.from(first.indices), [0, 1, 2, 3]);
  assert.equal(takeFirst(ds, 100).size, 30);
  const s = stratifiedSubset(ds, 4, 9);
  assert.equal(s.size, 12);
  const counts = [0, 0, 0];
  for (let i = 0; i < s.size; i++) counts[s.labelOf(i)]++;
  assert.deepEqual(counts, [4, 4, 4]);
  assert.deepEqual(
    Array.from(s.indices),
    Array.from(s.indices).sort((a, b) => a - b),
  );
  assert.deepEqual(Array.from(stratifiedSubset(ds, 4, 9).indices), Array.from(s.indices));
  assert.notDeepEqual(Array.from(stratifiedSubset(ds, 4, 10).indices), Array.from(s.indices));
  // Reading through the subset reads the parent's sample.
  const out = new Float32Array(2);
  s.readInto(0, out, 0, new Rng(0));
  assert.equal(out[0], Math.fround(s.indices[0] / 255));
  assert.throws(() => stratifiedSubset(ds, 11), /class 0 \(c0\) has 10 samples, fewer than perClass=11/);
});

test('ArrayDataset rejects inconsistent inputs with the numbers', () => {
  const base = { height: 2, width: 2, channels: 1, classNames: ['a', 'b'] };
  assert.throws(
    () => new ArrayDataset({ ...base, images: new Float32Array(7), labels: new Int32Array(2) }),
    /2 labels need 2x2x2x1 = 8 pixels, images has 7/,
  );
  assert.throws(
    () => new ArrayDataset({ ...base, images: new Float32Array(8), labels: Int32Array.from([0, 2]) }),
    /label 2 of sample 1 is out of range 0\.\.1/,
  );
  assert.throws(
    () => new ArrayDataset({ ...base, images: new Float64Array(8) as unknown as Float32Array, labels: new Int32Array(2) }),
    /must be a Float32Array/,
  );
});
