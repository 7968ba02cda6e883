import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadCifar10, loadCifar100, CIFAR100_COARSE_CLASS_NAMES, CIFAR100_FINE_CLASS_NAMES } from '../src/data/cifar';
import { imagenetDataset, listImageFolder } from '../src/data/imagefolder';
import { CIFAR100_COARSE_OF_FINE, cifarRecord, writeSyntheticCifar, writeSyntheticImageFolder } from '../src/data/synthetic';
import { tempDir } from './data-fixtures';

test('cifarRecord: label bytes first, then planar R, G, B planes of 32x32 row-major', () => {
  const rec = cifarRecord([7, 42], (c, y, x) => (c * 100 + y + x) % 256);
  assert.equal(rec.length, 2 + 3072);
  assert.equal(rec[0], 7);
  assert.equal(rec[1], 42);
  // Channel 2 (blue), row 5, column 7: offset 2 + 2*1024 + 5*32 + 7 = 2217; value 200 + 5 + 7 = 212.
  assert.equal(rec[2217], 212);
  // Channel 0, row 31, column 31: offset 2 + 31*32 + 31 = 1025; value 0 + 62 = 62.
  assert.equal(rec[1025], 62);
});

test('the CIFAR-100 superclass of every fine class, as in the official files', () => {
  // The published fine -> coarse table (as shipped in the dataset's python version, where
  // coarse_labels[i] is the superclass of the image with fine label fine_labels[i]), typed in
  // from that listing independently of the names-based table in src/data/synthetic.ts.
  const official = [
    4, 1, 14, 8, 0, 6, 7, 7, 18, 3, 3, 14, 9, 18, 7, 11, 3, 9, 7, 11, 6, 11, 5, 10, 7, 6, 13, 15, 3, 15, 0, 11, 1, 10, 12, 14, 16, 9, 11, 5,
    5, 19, 8, 8, 15, 13, 14, 17, 18, 10, 16, 4, 17, 4, 2, 0, 17, 4, 18, 17, 10, 3, 2, 12, 12, 16, 12, 1, 9, 19, 2, 10, 0, 1, 16, 12, 9, 13,
    15, 13, 16, 19, 2, 4, 6, 19, 5, 5, 8, 19, 18, 1, 2, 15, 6, 0, 17, 8, 14, 13,
  ];
  assert.deepEqual([...CIFAR100_COARSE_OF_FINE], official);
  // Spot checks by name: an apple is fruit, a whale an aquatic mammal, a tractor vehicles_2.
  const coarseOf = (fine: string): string =>
    CIFAR100_COARSE_CLASS_NAMES[CIFAR100_COARSE_OF_FINE[CIFAR100_FINE_CLASS_NAMES.indexOf(fine)]!]!;
  assert.equal(coarseOf('apple'), 'fruit_and_vegetables');
  assert.equal(coarseOf('whale'), 'aquatic_mammals');
  assert.equal(coarseOf('tractor'), 'vehicles_2');
  // 20 superclasses of 5 classes each.
  for (let c = 0; c < 20; c++) assert.equal(CIFAR100_COARSE_OF_FINE.filter((v) => v === c).length, 5, `superclass ${c}`);
});

test('writeSyntheticCifar cifar10: the official file layout, which loadCifar10 reads back', () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = writeSyntheticCifar(dir, { variant: 'cifar10', trainPerClass: 2, testPerClass: 1, seed: 3 });
    assert.equal(r.folder, path.join(dir, 'cifar-10-batches-bin'));
    assert.deepEqual(fs.readdirSync(r.folder).sort(), [
      'batches.meta.txt',
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
      'test_batch.bin',
    ]);
    // 20 training records of 1 + 3072 bytes over 5 files: 4 records = 12,292 bytes each; 10 test records = 30,730 bytes.
    for (let f = 1; f <= 5; f++) assert.equal(fs.statSync(path.join(r.folder, `data_batch_${f}.bin`)).size, 12292);
    assert.equal(fs.statSync(path.join(r.folder, 'test_batch.bin')).size, 30730);
    assert.deepEqual([r.classes, r.train, r.test], [10, 20, 10]);

    const train = loadCifar10({ split: 'train', dataDir: dir, pixels: 'uint8' });
    assert.equal(train.count, 20);
    // Labels cycle through the classes: 0..9, 0..9.
    assert.deepEqual([...train.labels], [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i)]);
    assert.deepEqual(train.classNames.slice(0, 2), ['airplane', 'automobile']);
    const test = loadCifar10({ split: 'test', dataDir: dir, pixels: 'uint8' });
    assert.deepEqual(
      [...test.labels],
      Array.from({ length: 10 }, (_, i) => i),
    );

    // The same seed writes the same bytes; another seed other bytes.
    const again = tempDir();
    try {
      writeSyntheticCifar(again.dir, { variant: 'cifar10', trainPerClass: 2, testPerClass: 1, seed: 3 });
      const a = fs.readFileSync(path.join(r.folder, 'data_batch_1.bin'));
      assert.deepEqual(fs.readFileSync(path.join(again.dir, 'cifar-10-batches-bin', 'data_batch_1.bin')), a);
      writeSyntheticCifar(again.dir, { variant: 'cifar10', trainPerClass: 2, testPerClass: 1, seed: 4 });
      assert.notDeepEqual(fs.readFileSync(path.join(again.dir, 'cifar-10-batches-bin', 'data_batch_1.bin')), a);
    } finally {
      again.cleanup();
    }
  } finally {
    cleanup();
  }
});

test('writeSyntheticCifar: images of one class are closer to each other than to other classes', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeSyntheticCifar(dir, { variant: 'cifar10', trainPerClass: 3, testPerClass: 1, seed: 0 });
    const set = loadCifar10({ split: 'train', dataDir: dir, pixels: 'uint8' });
    const img = (i: number): Uint8Array => set.images.subarray(i * 3072, (i + 1) * 3072);
    const dist = (a: Uint8Array, b: Uint8Array): number => a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0);
    // Records i and i+10 share a class; i and i+1 do not. Every class must be learnable, so
    // the check runs for each class against its neighbour class.
    for (let k = 0; k < 10; k++) {
      const same = dist(img(k), img(k + 10));
      const other = dist(img(k), img(((k + 1) % 10) + 10));
      assert.ok(same < other, `class ${k}: same-class distance ${same} should be below ${other}`);
    }
  } finally {
    cleanup();
  }
});

test('writeSyntheticCifar cifar100: coarse and fine label bytes, read back by loadCifar100', () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = writeSyntheticCifar(dir, { variant: 'cifar100', trainPerClass: 1, testPerClass: 1 });
    assert.deepEqual(fs.readdirSync(r.folder).sort(), ['coarse_label_names.txt', 'fine_label_names.txt', 'test.bin', 'train.bin']);
    // 100 records of 2 + 3072 bytes.
    assert.equal(fs.statSync(path.join(r.folder, 'train.bin')).size, 307400);
    const set = loadCifar100({ split: 'train', dataDir: dir, pixels: 'uint8' });
    assert.equal(set.count, 100);
    assert.deepEqual(
      [...set.fineLabels],
      Array.from({ length: 100 }, (_, i) => i),
    );
    assert.deepEqual([...set.coarseLabels], [...CIFAR100_COARSE_OF_FINE]);
    assert.equal(set.fineClassNames[99], 'worm');
  } finally {
    cleanup();
  }
});

test('writeSyntheticCifar: bad options name the field and what is allowed', () => {
  assert.throws(
    () => writeSyntheticCifar('/tmp/x', { variant: 'cifar1000' as 'cifar10', trainPerClass: 1, testPerClass: 1 }),
    /variant must be 'cifar10' or 'cifar100', got "cifar1000"/,
  );
  assert.throws(
    () => writeSyntheticCifar('/tmp/x', { variant: 'cifar10', trainPerClass: 0, testPerClass: 1 }),
    /trainPerClass must be a whole number >= 1, got 0/,
  );
  assert.throws(
    () => writeSyntheticCifar('/tmp/x', { variant: 'cifar10', trainPerClass: 1, testPerClass: 1.5 }),
    /testPerClass must be a whole number >= 1, got 1.5/,
  );
  assert.throws(
    () => writeSyntheticCifar('/tmp/x', { variant: 'cifar10', trainPerClass: 1, testPerClass: 1, seed: -1 }),
    /seed must be a whole number >= 0, got -1/,
  );
  assert.throws(() => writeSyntheticCifar('', { variant: 'cifar10', trainPerClass: 1, testPerClass: 1 }), /dir must be a folder path/);
});

test('writeSyntheticImageFolder: train/<class>/ and val/<class>/ JPEG files of varying size, read by imagenetDataset', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const r = await writeSyntheticImageFolder(path.join(dir, 'imagenet'), {
      classes: 3,
      trainPerClass: 2,
      valPerClass: 1,
      sides: [20, 30],
      seed: 1,
    });
    assert.deepEqual(r.classNames, ['n90000000', 'n90000001', 'n90000002']);
    assert.deepEqual([r.train, r.val, r.files.length], [6, 3, 9]);
    const train = listImageFolder(path.join(dir, 'imagenet', 'train'));
    assert.deepEqual(train.classNames, r.classNames);
    assert.deepEqual(
      train.items.map((i) => path.basename(i.file)),
      ['n90000000_0.JPEG', 'n90000000_1.JPEG', 'n90000001_0.JPEG', 'n90000001_1.JPEG', 'n90000002_0.JPEG', 'n90000002_1.JPEG'],
    );
    assert.equal(fs.readdirSync(path.join(dir, 'imagenet', 'val', 'n90000001'))[0], 'n90000001_val_0.JPEG');
    for (const f of r.files) {
      const meta = await sharp(f).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.ok(meta.width! >= 20 && meta.width! <= 30 && meta.height! >= 20 && meta.height! <= 30, `${f}: ${meta.width}x${meta.height}`);
    }
    // The loader finds the tree under dataDir/imagenet and decodes the crops it asks for.
    const val = imagenetDataset({ split: 'val', dataDir: dir, size: 16 });
    assert.equal(val.size, 3);
    assert.deepEqual(val.classNames, r.classNames);

    // Named classes, and the errors.
    const named = await writeSyntheticImageFolder(path.join(dir, 'named'), { classes: ['cat', 'dog'], trainPerClass: 1, valPerClass: 1 });
    assert.deepEqual(named.classNames, ['cat', 'dog']);
    await assert.rejects(
      writeSyntheticImageFolder(dir, { classes: ['a/b'], trainPerClass: 1, valPerClass: 1 }),
      /classes must be a count >= 1 or distinct folder-safe names/,
    );
    await assert.rejects(
      writeSyntheticImageFolder(dir, { classes: 2, trainPerClass: 1, valPerClass: 1, sides: [30, 20] }),
      /sides must be \[min, max\]/,
    );
    await assert.rejects(
      writeSyntheticImageFolder(dir, { classes: 2, trainPerClass: 1, valPerClass: 0 }),
      /valPerClass must be a whole number >= 1, got 0/,
    );
  } finally {
    cleanup();
  }
});
