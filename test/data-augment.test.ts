import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  CIFAR100_MEAN,
  CIFAR100_STD,
  cifarEvalTransform,
  cifarTrainTransform,
  compose,
  normalize,
  randomCrop,
  randomHorizontalFlip,
} from '../src/data/augment';
import { Rng } from '../src/data/rng';

/** A 32x32x3 image whose value at (y, x, c) is unique: (y*32*3 + x*3 + c) / 3072. */
function ramp(h = 32, w = 32, c = 3): Float32Array {
  return Float32Array.from({ length: h * w * c }, (_, i) => i / (h * w * c));
}

test('the normalisation constants are the reference implementation values', () => {
  assert.deepEqual(CIFAR10_MEAN, [0.4914, 0.4822, 0.4465]);
  assert.deepEqual(CIFAR10_STD, [0.2023, 0.1994, 0.201]);
  assert.deepEqual(CIFAR100_MEAN, [0.5071, 0.4867, 0.4408]);
  assert.deepEqual(CIFAR100_STD, [0.2675, 0.2565, 0.2761]);
});

test('randomCrop with padding 4 and the flip match tf.pad + tf.slice + tf.reverse', async () => {
  await tf.setBackend('cpu');
  const shape = { height: 32, width: 32, channels: 3 };
  const src = ramp();
  const t = compose(randomCrop({ size: 32, padding: 4 }), randomHorizontalFlip(0.5));
  const seen = new Set<string>();
  for (let s = 0; s < 40; s++) {
    const out = new Float32Array(src.length);
    t.apply(src, shape, out, new Rng(s));
    // Replay the same draws: crop top, crop left (each uniform in 0..8 of the padded image), flip.
    const r = new Rng(s);
    const top = r.int(9);
    const left = r.int(9);
    const flip = r.next() < 0.5;
    seen.add(`${top},${left},${flip}`);
    const expected = tf.tidy(() => {
      const img = tf.tensor3d(src, [32, 32, 3]);
      const cropped = tf.slice(
        tf.pad(img, [
          [4, 4],
          [4, 4],
          [0, 0],
        ]),
        [top, left, 0],
        [32, 32, 3],
      );
      return (flip ? tf.reverse(cropped, 1) : cropped).dataSync();
    });
    assert.deepEqual(Array.from(out), Array.from(expected), `seed ${s}: top ${top} left ${left} flip ${flip}`);
  }
  assert.ok(seen.size > 30, 'the draws vary');
});

test('randomCrop reaches every one of the 9x9 offsets, roughly uniformly', () => {
  // One channel, 32x32; the value at (y,x) encodes its position, so the output's first pixel
  // tells the offset (or is 0 when it lies in the padding).
  const shape = { height: 32, width: 32, channels: 1 };
  const src = Float32Array.from({ length: 1024 }, (_, i) => i + 1);
  const crop = randomCrop({ padding: 4 });
  const out = new Float32Array(1024);
  const counts = new Map<string, number>();
  const rng = new Rng(123);
  const N = 8100;
  for (let i = 0; i < N; i++) {
    crop.apply(src, shape, out, rng);
    // Pixel (4,4) of the output is source (top, left) in padded coordinates minus 4 + 4, i.e.
    // source (top, left) where top, left in 0..8: never in the padding.
    const v = out[4 * 32 + 4] - 1;
    const key = `${Math.floor(v / 32)},${v % 32}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 81);
  // Expected 100 each; a binomial(8100, 1/81) count lies within 100 +- 45 (4.5 sigma).
  for (const [k, c] of counts) assert.ok(c > 55 && c < 145, `offset ${k}: ${c}`);
});

test('randomCrop to a smaller size and its errors', () => {
  // 3x3 image 1..9, crop 2x2 with no padding: the top-left corner is uniform in 0..1 x 0..1.
  const src = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const shape = { height: 3, width: 3, channels: 1 };
  const crop = randomCrop({ size: 2 });
  assert.deepEqual(crop.outputShape(shape), { height: 2, width: 2, channels: 1 });
  const seen = new Set<string>();
  const rng = new Rng(9);
  for (let i = 0; i < 50; i++) {
    const out = new Float32Array(4);
    crop.apply(src, shape, out, rng);
    seen.add(Array.from(out).join(','));
  }
  assert.deepEqual([...seen].sort(), ['1,2,4,5', '2,3,5,6', '4,5,7,8', '5,6,8,9']);
  assert.throws(() => randomCrop({ size: 5 }).outputShape(shape), /crop 5x5 is larger than the padded image 3x3/);
  assert.throws(() => randomCrop({ padding: -1 }), /padding must be an integer >= 0, got -1/);
});

test('randomHorizontalFlip: p=1 mirrors every row, p=0 copies', () => {
  // 2x3 image, 2 channels: pixel (y,x) = [10y+x, -(10y+x)].
  const src = Float32Array.from([0, -0, 1, -1, 2, -2, 10, -10, 11, -11, 12, -12]);
  const shape = { height: 2, width: 3, channels: 2 };
  const out = new Float32Array(12);
  randomHorizontalFlip(1).apply(src, shape, out, new Rng(0));
  assert.deepEqual(Array.from(out), [2, -2, 1, -1, 0, -0, 12, -12, 11, -11, 10, -10]);
  randomHorizontalFlip(0).apply(src, shape, out, new Rng(0));
  assert.deepEqual(Array.from(out), Array.from(src));
  assert.throws(() => randomHorizontalFlip(2), /p must be in \[0, 1\], got 2/);
});

test('normalize computes (v - mean[c]) / std[c]; padded zeros become -mean/std', () => {
  const t = cifarTrainTransform('cifar10');
  const shape = { height: 32, width: 32, channels: 3 };
  // All pixels 0.5. Hand values: (0.5-0.4914)/0.2023 = 0.0425111..., (0.5-0.4822)/0.1994 =
  // 0.0892678..., (0.5-0.4465)/0.201 = 0.2661691...; padding 0 gives -0.4914/0.2023 = -2.4290657...,
  // -0.4822/0.1994 = -2.4182547..., -0.4465/0.201 = -2.2213930...
  const src = new Float32Array(32 * 32 * 3).fill(0.5);
  const inside = [0.0425111, 0.0892678, 0.2661691];
  const padded = [-2.4290657, -2.4182547, -2.221393];
  let sawPadding = false;
  for (let s = 0; s < 20; s++) {
    const out = new Float32Array(src.length);
    t.apply(src, shape, out, new Rng(s));
    for (let i = 0; i < out.length; i++) {
      const c = i % 3;
      const isPad = Math.abs(out[i] - padded[c]) < 1e-5;
      assert.ok(isPad || Math.abs(out[i] - inside[c]) < 1e-5, `value ${out[i]} at ${i}`);
      sawPadding ||= isPad;
    }
  }
  assert.ok(sawPadding);
  const ev = new Float32Array(3);
  cifarEvalTransform('cifar100').apply(Float32Array.from([1, 1, 1]), { height: 1, width: 1, channels: 3 }, ev, new Rng(0));
  // 0.4929/0.2675 = 1.8426168..., 0.5133/0.2565 = 2.0011695..., 0.5592/0.2761 = 2.0253531...
  [1.8426168, 2.0011695, 2.0253531].forEach((v, c) => assert.ok(Math.abs(ev[c] - v) < 1e-5, `channel ${c}: ${ev[c]}`));
  assert.throws(() => normalize([0.5], [0]), /std\[0\] must be > 0, got 0/);
  assert.throws(() => normalize([0.5, 0.5], [1]), /one value per channel, got 2 and 1/);
  assert.throws(
    () => cifarEvalTransform('cifar10').outputShape({ height: 28, width: 28, channels: 1 }),
    /configured for 3 channels, image has 1/,
  );
  assert.throws(() => cifarTrainTransform('imagenet' as 'cifar10'), /must be 'cifar10' or 'cifar100', got "imagenet"/);
});

test('the composed transform uses the steps in order with one shared random stream', () => {
  const shape = { height: 32, width: 32, channels: 3 };
  const src = ramp();
  const a = new Float32Array(src.length);
  cifarTrainTransform('cifar100').apply(src, shape, a, new Rng(77));
  // The same steps applied one by one with the same generator.
  const rng = new Rng(77);
  const t1 = new Float32Array(src.length);
  const t2 = new Float32Array(src.length);
  const t3 = new Float32Array(src.length);
  randomCrop({ size: 32, padding: 4 }).apply(src, shape, t1, rng);
  randomHorizontalFlip().apply(t1, shape, t2, rng);
  normalize(CIFAR100_MEAN, CIFAR100_STD).apply(t2, shape, t3, rng);
  assert.deepEqual(Array.from(a), Array.from(t3));
  assert.throws(() => compose(), /at least one transform/);
});
