import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { parseIdx, readIdxFile, IDX_IMAGES_MAGIC } from '../src/data/idx';
import { loadFashionMnist, loadMnist, FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES, DEBIAN_FASHION_MNIST_DIR } from '../src/data/mnist';
import { DataFormatError, DatasetNotFoundError } from '../src/data/errors';
import { DATA_DIR_ENV } from '../src/data/paths';
import { packageRoot } from '../src/provenance/index';
import { idxBytes, tempDir, writeFile } from './data-fixtures';

// Three 2x2 images whose pixels are 0,51,102,...: pixel k of the set is 51*(k mod 6),
// so after scaling each is (51*(k mod 6))/255 = 0.2*(k mod 6).
const IMG = Uint8Array.from({ length: 12 }, (_, k) => 51 * (k % 6));
const LAB = Uint8Array.from([7, 0, 9]);

function writeSplit(dir: string, split: 'train' | 't10k', gz: boolean, images = IMG, labels = LAB, n = 3): void {
  const enc = (b: Buffer): Buffer => (gz ? zlib.gzipSync(b) : b);
  const ext = gz ? '.gz' : '';
  writeFile(dir, `${split}-images-idx3-ubyte${ext}`, enc(idxBytes([n, 2, 2], images)));
  writeFile(dir, `${split}-labels-idx1-ubyte${ext}`, enc(idxBytes([labels.length], labels)));
}

/** Runs `fn` with GAF_DATA_DIR set to `value` (or unset), restoring it afterwards. */
function withEnv<T>(value: string | undefined, fn: () => T): T {
  const old = process.env[DATA_DIR_ENV];
  if (value === undefined) delete process.env[DATA_DIR_ENV];
  else process.env[DATA_DIR_ENV] = value;
  try {
    return fn();
  } finally {
    if (old === undefined) delete process.env[DATA_DIR_ENV];
    else process.env[DATA_DIR_ENV] = old;
  }
}

test('gzipped and raw IDX files give the same images, scaled to [0,1], and labels', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(path.join(dir, 'gz'), 'train', true);
    writeSplit(path.join(dir, 'raw'), 'train', false);
    for (const sub of ['gz', 'raw']) {
      const d = loadMnist({ split: 'train', dataDir: path.join(dir, sub) });
      assert.equal(d.count, 3);
      assert.deepEqual([d.height, d.width, d.channels], [2, 2, 1]);
      assert.deepEqual(Array.from(d.labels), [7, 0, 9]);
      assert.equal(d.images.length, 12);
      for (let k = 0; k < 12; k++) assert.equal(d.images[k], Math.fround((51 * (k % 6)) / 255), `pixel ${k}`);
      assert.equal(d.images[5], 1); // 255/255
      assert.deepEqual(d.classNames, MNIST_CLASS_NAMES);
      assert.ok(d.files[0].endsWith(sub === 'gz' ? 'train-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte'));
    }
  } finally {
    cleanup();
  }
});

test('limit keeps the first N images; pixels:uint8 keeps raw bytes; test split reads t10k files', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(dir, 't10k', true);
    const d = loadMnist({ split: 'test', dataDir: dir, limit: 2, pixels: 'uint8' });
    assert.ok(d.images instanceof Uint8Array);
    assert.equal(d.count, 2);
    assert.deepEqual(Array.from(d.images), Array.from(IMG.subarray(0, 8)));
    assert.deepEqual(Array.from(d.labels), [7, 0]);
    // A limit above the count keeps everything.
    assert.equal(loadMnist({ split: 'test', dataDir: dir, limit: 100 }).count, 3);
    assert.throws(() => loadMnist({ split: 'test', dataDir: dir, limit: 0 }), /limit must be an integer >= 1/);
    assert.throws(() => loadMnist({ split: 'valid' as 'test', dataDir: dir }), /split must be 'train' or 'test', got "valid"/);
    // dataDir may also be the parent of a mnist/ folder.
    const parent = tempDir();
    try {
      writeSplit(path.join(parent.dir, 'mnist'), 't10k', false);
      assert.equal(loadMnist({ split: 'test', dataDir: parent.dir }).count, 3);
    } finally {
      parent.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('truncated IDX file: error names the file, the expected and the actual byte count', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(dir, 'train', false);
    const f = path.join(dir, 'train-images-idx3-ubyte');
    // Header 4 + 3*4 = 16 bytes, data 3*2*2 = 12 bytes: 28 bytes expected; cut to 25.
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 25));
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError && e.file === f && /3x2x2 uint8 = 28 bytes/.test(e.message) && /truncated at 25 bytes/.test(e.message),
    );
    // Extra bytes at the end are an error too.
    fs.writeFileSync(f, Buffer.concat([idxBytes([3, 2, 2], IMG), Buffer.alloc(3)]));
    assert.throws(() => loadMnist({ split: 'train', dataDir: dir }), /28 bytes in total, but the file has 31 bytes/);
    // A header that stops inside the dims.
    fs.writeFileSync(f, idxBytes([3, 2, 2], new Uint8Array(0)).subarray(0, 10));
    assert.throws(() => loadMnist({ split: 'train', dataDir: dir }), /truncated header: 3 dimensions need 16 bytes, the file has 10 bytes/);
  } finally {
    cleanup();
  }
});

test('truncated gzip stream: error names the file and its compressed size', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(dir, 'train', true);
    const f = path.join(dir, 'train-labels-idx1-ubyte.gz');
    const gz = fs.readFileSync(f);
    fs.writeFileSync(f, gz.subarray(0, gz.length - 6));
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.message.startsWith(f) &&
        e.message.includes(`truncated or corrupted (${gz.length - 6} bytes compressed)`),
    );
  } finally {
    cleanup();
  }
});

test('wrong magic numbers: swapped files and non-IDX content are named', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(dir, 'train', false);
    const imgs = path.join(dir, 'train-images-idx3-ubyte');
    const labs = path.join(dir, 'train-labels-idx1-ubyte');
    const a = fs.readFileSync(imgs);
    fs.writeFileSync(imgs, fs.readFileSync(labs));
    fs.writeFileSync(labs, a);
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.file === imgs &&
        e.message.includes('magic number 0x00000801 (uint8, 1-D) but expected 0x00000803 (uint8, 3-D)'),
    );
    fs.writeFileSync(imgs, '<html><body>Access denied</body></html>');
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      /not an IDX file: magic number 0x3c68746d \(first bytes "<html><body>Acce"\)/,
    );
  } finally {
    cleanup();
  }
});

test('labels out of range and image/label count mismatch are errors naming the file', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(dir, 'train', true, IMG, Uint8Array.from([1, 10, 2]));
    const labs = path.join(dir, 'train-labels-idx1-ubyte.gz');
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      (e: unknown) => e instanceof DataFormatError && e.file === labs && /label 10 at index 1 is out of range 0\.\.9/.test(e.message),
    );
    writeSplit(dir, 'train', true, IMG, Uint8Array.from([1, 2]));
    assert.throws(() => loadMnist({ split: 'train', dataDir: dir }), /has 2 labels but .*train-images-idx3-ubyte\.gz has 3 images/);
  } finally {
    cleanup();
  }
});

test('missing data: the error lists every place searched and how to get the data', () => {
  const { dir, cleanup } = tempDir();
  try {
    // Explicit dataDir: only it and dataDir/fashion-mnist are searched.
    assert.throws(
      () => loadFashionMnist({ split: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DatasetNotFoundError &&
        e.searched.length === 2 &&
        e.searched[0].startsWith(`${dir} (dataDir argument): no train-images-idx3-ubyte.gz or train-labels-idx1-ubyte.gz`) &&
        e.searched[1].startsWith(`${path.join(dir, 'fashion-mnist')} (dataDir argument): no such folder`) &&
        e.message.includes('apt-get install dataset-fashion-mnist') &&
        e.message.includes('gaf-lab data download fashion-mnist') &&
        e.message.includes(`into ${path.join(dir, 'fashion-mnist')}/`),
    );
    // Only the labels present: the error says which file is missing.
    writeFile(dir, 'train-labels-idx1-ubyte.gz', zlib.gzipSync(idxBytes([3], LAB)));
    assert.throws(
      () => loadMnist({ split: 'train', dataDir: dir }),
      /\(dataDir argument\): no train-images-idx3-ubyte\.gz \(gzipped or raw\)/,
    );
    // Default search for MNIST: $GAF_DATA_DIR/mnist, then <repo>/data/mnist (no system copy).
    withEnv(dir, () =>
      assert.throws(
        () => loadMnist({ split: 'test' }),
        (e: unknown) =>
          e instanceof DatasetNotFoundError &&
          e.searched[0].startsWith(`${path.join(dir, 'mnist')} ($GAF_DATA_DIR)`) &&
          e.searched[1].startsWith(`${path.join(packageRoot(), 'data', 'mnist')} (repository data/ folder)`) &&
          e.message.includes(`https://ossci-datasets.s3.amazonaws.com/mnist/ into ${path.join(dir, 'mnist')}/`),
      ),
    );
  } finally {
    cleanup();
  }
});

test('default search: $GAF_DATA_DIR/fashion-mnist is used before the Debian copy', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSplit(path.join(dir, 'fashion-mnist'), 't10k', true);
    const d = withEnv(dir, () => loadFashionMnist({ split: 'test' }));
    assert.equal(d.count, 3); // the 3-image fixture, not Debian's 10,000
    assert.deepEqual(d.classNames, FASHION_MNIST_CLASS_NAMES);
    assert.equal(d.files[0], path.join(dir, 'fashion-mnist', 't10k-images-idx3-ubyte.gz'));
  } finally {
    cleanup();
  }
});

test('parseIdx reads wider big-endian types and rejects bad input', () => {
  // int16 values -2 and 300: big-endian 0xFFFE and 0x012C.
  const i16 = parseIdx(idxBytes([2], Uint8Array.from([0xff, 0xfe, 0x01, 0x2c]), 0x0b), 'x.idx');
  assert.equal(i16.type, 'int16');
  assert.deepEqual(Array.from(i16.data), [-2, 300]);
  // float32 1.5 is 0x3FC00000.
  const f32 = parseIdx(idxBytes([1, 1], Uint8Array.from([0x3f, 0xc0, 0, 0]), 0x0d), 'y.idx');
  assert.deepEqual(f32.dims, [1, 1]);
  assert.deepEqual(Array.from(f32.data), [1.5]);
  assert.throws(() => parseIdx(Uint8Array.from([0, 0]), 'short.idx'), /short\.idx: too short for an IDX file: 2 bytes/);
  assert.throws(() => parseIdx(idxBytes([1], Uint8Array.from([1]), 0x07), 'bad.idx'), /not an IDX file: magic number 0x00000701/);
  assert.throws(() => parseIdx(idxBytes([1], Uint8Array.from([1])), 'l.idx', IDX_IMAGES_MAGIC), /but expected 0x00000803/);
});

test('real Fashion-MNIST from the Debian package: 60,000 train / 10,000 test, 6,000 / 1,000 per class', () => {
  // The published dataset is balanced: 6,000 training and 1,000 test images per class.
  const trainImages = readIdxFile(path.join(DEBIAN_FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'), IDX_IMAGES_MAGIC);
  assert.deepEqual(trainImages.dims, [60000, 28, 28]);
  const train = loadFashionMnist({ split: 'train', dataDir: DEBIAN_FASHION_MNIST_DIR, pixels: 'uint8', limit: 60000 });
  assert.equal(train.count, 60000);
  const test = loadFashionMnist({ split: 'test', dataDir: DEBIAN_FASHION_MNIST_DIR });
  assert.equal(test.count, 10000);
  assert.equal(test.images.length, 10000 * 28 * 28);
  for (const [set, perClass] of [
    [train, 6000],
    [test, 1000],
  ] as const) {
    const counts = new Array(10).fill(0);
    for (const l of set.labels) counts[l]++;
    assert.deepEqual(counts, new Array(10).fill(perClass));
  }
  // Without dataDir or $GAF_DATA_DIR the loader takes <repo>/data/fashion-mnist when present,
  // else the Debian copy.
  const repoCopy = path.join(packageRoot(), 'data', 'fashion-mnist');
  const found = withEnv(undefined, () => loadFashionMnist({ split: 'test', limit: 1 })).files[0];
  assert.equal(path.dirname(found), fs.existsSync(path.join(repoCopy, 't10k-images-idx3-ubyte.gz')) ? repoCopy : DEBIAN_FASHION_MNIST_DIR);
  let min = Infinity;
  let max = -Infinity;
  for (const v of test.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // Every Fashion-MNIST split has black background pixels (0) and saturated ones (255).
  assert.equal(min, 0);
  assert.equal(max, 1);
});
