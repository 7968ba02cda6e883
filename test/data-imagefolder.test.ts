import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { imageFolderDataset, imagenetDataset, listImageFolder, randomResizedCropBox, resizeShortSide } from '../src/data/imagefolder';
import { DataLoader } from '../src/data/dataset';
import { DatasetNotFoundError } from '../src/data/errors';
import { Rng } from '../src/data/rng';
import { tempDir, writeFile } from './data-fixtures';

/** Writes an image whose byte at (y, x, c) is pixel(y, x, c); format from the extension. */
async function writeImage(
  file: string,
  width: number,
  height: number,
  channels: 1 | 3 | 4,
  pixel: (y: number, x: number, c: number) => number,
): Promise<void> {
  const raw = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) raw[(y * width + x) * channels + c] = pixel(y, x, c);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(raw, { raw: { width, height, channels } });
  await (file.toLowerCase().endsWith('.png') ? img.png() : img.jpeg({ quality: 95 })).toFile(file);
}

const pattern = (y: number, x: number, c: number): number => (y * 40 + x * 10 + c * 3) % 256;

test('listing: classes sorted, labels by position, non-images and hidden files ignored, nested files found', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeImage(path.join(dir, 'zebra', 'b.JPEG'), 4, 4, 3, pattern);
    await writeImage(path.join(dir, 'zebra', 'a.png'), 4, 4, 3, pattern);
    await writeImage(path.join(dir, 'apple', 'sub', 'c.jpg'), 4, 4, 3, pattern);
    writeFile(dir, 'apple/notes.txt', 'not an image');
    writeFile(dir, 'apple/.DS_Store', 'x');
    fs.mkdirSync(path.join(dir, '.cache'));
    const { classNames, items } = listImageFolder(dir);
    assert.deepEqual(classNames, ['apple', 'zebra']);
    assert.deepEqual(
      items.map((i) => [path.relative(dir, i.file), i.label]),
      [
        [path.join('apple', 'sub', 'c.jpg'), 0],
        [path.join('zebra', 'a.png'), 1],
        [path.join('zebra', 'b.JPEG'), 1],
      ],
    );
  } finally {
    cleanup();
  }
});

test('listing errors: missing folder, no class folders, empty class folders named', async () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(() => listImageFolder(path.join(dir, 'nope')), /Image folder .*nope does not exist/);
    assert.throws(() => listImageFolder(dir), /has no class folders: expected .*<class name>\/<image files>/);
    await writeImage(path.join(dir, 'cat', 'a.png'), 2, 2, 3, pattern);
    fs.mkdirSync(path.join(dir, 'dog'));
    writeFile(dir, 'emu/readme.txt', 'no images here');
    assert.throws(
      () => imageFolderDataset(dir, { train: false, size: 2 }),
      (e: unknown) =>
        e instanceof Error &&
        e.message.includes('2 class folders have no images') &&
        e.message.includes(path.join(dir, 'dog')) &&
        e.message.includes(path.join(dir, 'emu')),
    );
  } finally {
    cleanup();
  }
});

test('evaluation decode: short side resized, centre crop; exact when no resize is needed', async () => {
  await tf.setBackend('cpu');
  const { dir, cleanup } = tempDir();
  try {
    // 6 wide, 4 high, short side already 4: crop 2x2 at top = (4-2)/2 = 1, left = (6-2)/2 = 2.
    await writeImage(path.join(dir, 'a', 'img.png'), 6, 4, 3, pattern);
    const ds = imageFolderDataset(dir, { train: false, size: 2, resizeTo: 4 });
    assert.deepEqual(ds.shape, { height: 2, width: 2, channels: 3 });
    const out = new Float32Array(12);
    assert.equal(await ds.readInto(0, out, 0, new Rng(0)), true);
    const want: number[] = [];
    for (let y = 1; y < 3; y++) for (let x = 2; x < 4; x++) for (let c = 0; c < 3; c++) want.push(Math.fround(pattern(y, x, c) / 255));
    assert.deepEqual(Array.from(out), want);
    assert.deepEqual(resizeShortSide(500, 375, 256), { width: 341, height: 256 }); // floor(256*500/375) = 341
    assert.deepEqual(resizeShortSide(100, 300, 32), { width: 32, height: 96 });
  } finally {
    cleanup();
  }
});

test('evaluation decode of a large image: a uniform colour stays that colour; grey and RGBA give RGB', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await writeImage(path.join(dir, 'a', 'rgb.png'), 300, 200, 3, (_y, _x, c) => [200, 100, 50][c]);
    await writeImage(path.join(dir, 'b', 'grey.png'), 40, 60, 1, () => 128);
    await writeImage(path.join(dir, 'c', 'rgba.png'), 40, 40, 4, (_y, _x, c) => [10, 20, 30, 77][c]);
    const ds = imageFolderDataset(dir, { train: false, size: 16 });
    const out = new Float32Array(16 * 16 * 3);
    const expect = [
      [200, 100, 50],
      [128, 128, 128],
      [10, 20, 30],
    ];
    for (let i = 0; i < 3; i++) {
      await ds.readInto(i, out, 0, new Rng(0));
      for (let p = 0; p < 256; p++) {
        // +-1: libvips resizes RGBA premultiplied by alpha, which rounds.
        for (let c = 0; c < 3; c++)
          assert.ok(
            Math.abs(Math.round(out[p * 3 + c] * 255) - expect[i][c]) <= (i === 2 ? 1 : 0),
            `image ${i} pixel ${p} channel ${c}: ${out[p * 3 + c] * 255}`,
          );
      }
    }
  } finally {
    cleanup();
  }
});

test('training decode: full-image crop + flip is exact; the crop box follows RandomResizedCrop', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // A square 8x8 image, scale [1,1] and ratio [1,1]: the crop is the whole image and the
    // resize is to the same size, so the output is the image or its mirror.
    await writeImage(path.join(dir, 'a', 'img.png'), 8, 8, 3, pattern);
    const ds = imageFolderDataset(dir, { train: true, size: 8, scale: [1, 1], ratio: [1, 1] });
    const plain: number[] = [];
    const mirrored: number[] = [];
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        for (let c = 0; c < 3; c++) {
          plain.push(Math.fround(pattern(y, x, c) / 255));
          mirrored.push(Math.fround(pattern(y, 7 - x, c) / 255));
        }
      }
    }
    const kinds = new Set<string>();
    for (let s = 0; s < 12; s++) {
      const out = new Float32Array(8 * 8 * 3);
      await ds.readInto(0, out, 0, new Rng(s));
      const got = Array.from(out);
      const kind =
        JSON.stringify(got) === JSON.stringify(plain) ? 'plain' : JSON.stringify(got) === JSON.stringify(mirrored) ? 'mirror' : 'other';
      assert.notEqual(kind, 'other', `seed ${s}`);
      kinds.add(kind);
    }
    assert.deepEqual([...kinds].sort(), ['mirror', 'plain']);
  } finally {
    cleanup();
  }
  // The box: inside the image, area fraction in scale and aspect in ratio (up to rounding).
  const rng = new Rng(4);
  for (let i = 0; i < 500; i++) {
    const b = randomResizedCropBox(500, 375, [0.08, 1], [3 / 4, 4 / 3], rng);
    assert.ok(b.left >= 0 && b.top >= 0 && b.left + b.width <= 500 && b.top + b.height <= 375, JSON.stringify(b));
    const frac = (b.width * b.height) / (500 * 375);
    assert.ok(frac > 0.07 && frac <= 1, `area fraction ${frac}`);
    const aspect = b.width / b.height;
    assert.ok(aspect > 0.74 && aspect < 1.35, `aspect ${aspect}`);
  }
  // A 100x10 strip cannot hold a crop of ratio <= 4/3 with 8% area... sometimes: the fallback
  // is a centre crop clamped to the largest ratio: h = 10, w = round(10*4/3) = 13, left = 43.
  const fb = randomResizedCropBox(100, 10, [0.9, 1], [3 / 4, 4 / 3], new Rng(1));
  assert.deepEqual(fb, { top: 0, left: 43, width: 13, height: 10 });
});

test('streamed batches through the DataLoader; unreadable images fail by default or are skipped and counted', async () => {
  await tf.setBackend('cpu');
  const { dir, cleanup } = tempDir();
  try {
    for (let k = 0; k < 3; k++) await writeImage(path.join(dir, 'a', `${k}.jpg`), 20, 12, 3, pattern);
    for (let k = 0; k < 2; k++) await writeImage(path.join(dir, 'b', `${k}.jpg`), 12, 20, 3, pattern);
    const good = fs.readFileSync(path.join(dir, 'a', '0.jpg'));
    writeFile(dir, 'b/truncated.jpg', good.subarray(0, good.length >> 1));
    writeFile(dir, 'b/garbage.jpg', 'this is not a JPEG');
    const before = tf.memory().numTensors;
    const failing = imageFolderDataset(dir, { train: true, size: 8 });
    await assert.rejects(async () => {
      for await (const b of new DataLoader(failing, { batchSize: 7, shuffle: false })) b.dispose();
    }, /Cannot read image .*b\/garbage\.jpg: Input file contains unsupported image format.*onUnreadable: 'skip'/);
    const skipping = imageFolderDataset(dir, { train: true, size: 8, onUnreadable: 'skip' });
    const seen: number[] = [];
    for await (const b of new DataLoader(skipping, { batchSize: 4, seed: 2 })) {
      assert.deepEqual(b.x.shape.slice(1), [8, 8, 3]);
      const v = b.x.dataSync();
      assert.ok(v.every((p) => p >= 0 && p <= 1));
      seen.push(...b.indices);
      b.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    // 7 files: a/0..2 (0..2), b/0,1 (3,4), b/garbage (5), b/truncated (6).
    assert.deepEqual(seen.sort(), [0, 1, 2, 3, 4]);
    assert.deepEqual(skipping.skipped.map((s) => path.basename(s.file)).sort(), ['garbage.jpg', 'truncated.jpg']);
    assert.match(
      skipping.skipped.find((s) => s.file.endsWith('truncated.jpg'))?.reason ?? '',
      /premature end of JPEG|truncated or corrupted/,
    );
  } finally {
    cleanup();
  }
});

test('imagenetDataset finds <dataDir>/imagenet/<split> and says where it looked', async () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(
      () => imagenetDataset({ split: 'val', dataDir: dir }),
      (e: unknown) =>
        e instanceof DatasetNotFoundError &&
        e.searched[0] === `${dir} (dataDir argument): no val/ folder` &&
        e.searched[1] === `${path.join(dir, 'imagenet')} (dataDir argument): no such folder` &&
        e.message.includes('https://image-net.org/'),
    );
    await writeImage(path.join(dir, 'imagenet', 'val', 'n01440764', 'ILSVRC2012_val_00000293.JPEG'), 30, 20, 3, pattern);
    const ds = imagenetDataset({ split: 'val', dataDir: dir, size: 16 });
    assert.deepEqual(ds.classNames, ['n01440764']);
    assert.equal(ds.size, 1);
    assert.throws(() => imagenetDataset({ split: 'test' as 'val', dataDir: dir }), /split must be 'train' or 'val', got "test"/);
    assert.throws(
      () => imageFolderDataset(dir, { train: false, size: 16, resizeTo: 8 }),
      /resizeTo must be an integer >= size \(16\), got 8/,
    );
  } finally {
    cleanup();
  }
});
