import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadCifar10, loadCifar100, CIFAR10_CLASS_NAMES, CIFAR100_COARSE_CLASS_NAMES, CIFAR100_FINE_CLASS_NAMES } from '../src/data/cifar';
import { readTar } from '../src/data/tar';
import { DataFormatError, DatasetNotFoundError } from '../src/data/errors';
import { cifarPixel, cifarRecord, tempDir, writeFile } from './data-fixtures';

/**
 * A CIFAR-10 folder: data_batch_1..5 with 2 records each (records 0..9, label = record mod 10)
 * and test_batch with 3 records (100..102, label 9 - record mod 10).
 */
function writeCifar10(root: string, meta?: string): string {
  const dir = path.join(root, 'cifar-10-batches-bin');
  for (let f = 1; f <= 5; f++) {
    const recs = [0, 1].map((k) => 2 * (f - 1) + k);
    writeFile(dir, `data_batch_${f}.bin`, Buffer.concat(recs.map((r) => cifarRecord([r % 10], cifarPixel(r)))));
  }
  writeFile(dir, 'test_batch.bin', Buffer.concat([100, 101, 102].map((r) => cifarRecord([9 - (r % 10)], cifarPixel(r)))));
  if (meta !== undefined) writeFile(dir, 'batches.meta.txt', meta);
  return dir;
}

/** Checks that image n of `images` (NHWC) is record `record` of the pattern. */
function assertImage(images: Float32Array | Uint8Array, n: number, record: number, scale: number): void {
  const px = cifarPixel(record);
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      for (let c = 0; c < 3; c++) {
        const got = images[((n * 32 + y) * 32 + x) * 3 + c];
        const want = scale === 1 ? px(c, y, x) : Math.fround(px(c, y, x) / 255);
        if (got !== want) assert.fail(`image ${n} (record ${record}) at y=${y} x=${x} c=${c}: ${got} != ${want}`);
      }
    }
  }
}

test('CIFAR-10 folder: planar records become NHWC, train joins the five batches in order', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCifar10(dir, 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const train = loadCifar10({ split: 'train', dataDir: dir, pixels: 'uint8' });
    assert.equal(train.count, 10);
    assert.deepEqual([train.height, train.width, train.channels], [32, 32, 3]);
    assert.deepEqual(Array.from(train.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let n = 0; n < 10; n++) assertImage(train.images, n, n, 1);
    assert.deepEqual(train.classNames, CIFAR10_CLASS_NAMES);
    assert.equal(train.files.length, 5);
    const test = loadCifar10({ split: 'test', dataDir: dir });
    assert.ok(test.images instanceof Float32Array);
    assert.deepEqual(Array.from(test.labels), [9, 8, 7]);
    assertImage(test.images, 2, 102, 255);
    // limit crossing a file boundary, and dataDir pointing at the extracted folder itself.
    const lim = loadCifar10({ split: 'train', dataDir: path.join(dir, 'cifar-10-batches-bin'), limit: 3, pixels: 'uint8' });
    assert.equal(lim.count, 3);
    assertImage(lim.images, 2, 2, 1);
  } finally {
    cleanup();
  }
});

test('class names come from batches.meta.txt when it has 10 names, else the official ones', () => {
  const { dir, cleanup } = tempDir();
  try {
    const names = Array.from({ length: 10 }, (_, i) => `n${i}`);
    writeCifar10(dir, names.join('\r\n'));
    assert.deepEqual(loadCifar10({ split: 'test', dataDir: dir }).classNames, names);
    writeFile(dir, 'cifar-10-batches-bin/batches.meta.txt', 'just\nthree\nnames\n');
    assert.deepEqual(loadCifar10({ split: 'test', dataDir: dir }).classNames, CIFAR10_CLASS_NAMES);
  } finally {
    cleanup();
  }
});

test('CIFAR-10 read straight from a .tar.gz made by GNU tar equals the folder', () => {
  const { dir, cleanup } = tempDir();
  try {
    writeCifar10(path.join(dir, 'src'));
    const arch = path.join(dir, 'a');
    fs.mkdirSync(arch);
    execFileSync('tar', ['czf', path.join(arch, 'cifar-10-binary.tar.gz'), '-C', path.join(dir, 'src'), 'cifar-10-batches-bin']);
    const fromFolder = loadCifar10({ split: 'train', dataDir: path.join(dir, 'src'), pixels: 'uint8' });
    const fromArchive = loadCifar10({ split: 'train', dataDir: arch, pixels: 'uint8' });
    assert.deepEqual(Array.from(fromArchive.labels), Array.from(fromFolder.labels));
    assert.deepEqual(Buffer.from(fromArchive.images), Buffer.from(fromFolder.images));
    assert.ok(fromArchive.files[0].endsWith('cifar-10-binary.tar.gz:cifar-10-batches-bin/data_batch_1.bin'));
    // A cut-off archive is a clear error naming it.
    const f = path.join(arch, 'cifar-10-binary.tar.gz');
    const gz = fs.readFileSync(f);
    fs.writeFileSync(f, gz.subarray(0, gz.length >> 1));
    assert.throws(
      () => loadCifar10({ split: 'test', dataDir: arch }),
      (e: unknown) => e instanceof DataFormatError && e.file === f && /truncated or corrupted/.test(e.message),
    );
    // An archive without the expected member.
    fs.writeFileSync(path.join(dir, 'other.txt'), 'x');
    execFileSync('tar', ['czf', f, '-C', dir, 'other.txt']);
    assert.throws(
      () => loadCifar10({ split: 'test', dataDir: arch }),
      /has no member cifar-10-batches-bin\/test_batch\.bin \(it has other\.txt\)/,
    );
  } finally {
    cleanup();
  }
});

test('tar reader: ustar prefix, GNU long names, pax paths, checksum and truncation errors', () => {
  const { dir, cleanup } = tempDir();
  try {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(110)}.bin`;
    writeFile(path.join(dir, 'in'), long, 'hello');
    // 131 characters: ustar stores it as prefix "ddd.../eee..." + name "short2.txt".
    const prefixed = `${'d'.repeat(60)}/${'e'.repeat(60)}/short2.txt`;
    writeFile(path.join(dir, 'in'), prefixed, 'xyz');
    writeFile(path.join(dir, 'in'), 'short.txt', 'abc');
    for (const format of ['gnu', 'pax', 'ustar']) {
      const out = path.join(dir, `${format}.tar`);
      // ustar cannot hold a 110-character file name; it gets the other two files.
      const members = format === 'ustar' ? ['short.txt', prefixed] : [long, 'short.txt', prefixed];
      execFileSync('tar', ['cf', out, `--format=${format}`, '-C', path.join(dir, 'in'), ...members]);
      const entries = readTar(fs.readFileSync(out), out).filter((e) => e.type === 'file');
      const byName = new Map(entries.map((e) => [e.name, Buffer.from(e.data).toString()]));
      assert.equal(byName.get('short.txt'), 'abc', format);
      assert.equal(byName.get(prefixed), 'xyz', format);
      if (format !== 'ustar') assert.equal(byName.get(long), 'hello', format);
    }
    const tar = fs.readFileSync(path.join(dir, 'gnu.tar'));
    const bad = Buffer.from(tar);
    bad[10] ^= 1;
    assert.throws(() => readTar(bad, 'x.tar'), /x\.tar: not a valid tar archive \(or corrupted\): header checksum mismatch at byte 0/);
    // GNU layout: long-name header at 0, the name in the block at 512, the file's header at
    // 1024 and its 5 data bytes at 1536. Cut inside that header, then inside the data.
    assert.throws(
      () => readTar(tar.subarray(0, 1124), 'y.tar'),
      /y\.tar: truncated tar archive: its 1,124 bytes end inside a header at byte 1024/,
    );
    assert.throws(
      () => readTar(tar.subarray(0, 1538), 'y.tar'),
      /y\.tar: truncated tar archive: member "d+\/e+" at byte 1024 needs 5 bytes of data, only 2 bytes remain/,
    );
    assert.throws(() => readTar(Buffer.from('<html>not a tar</html>'.padEnd(600, ' ')), 'z.tar'), /z\.tar: not a valid tar archive/);
  } finally {
    cleanup();
  }
});

test('CIFAR-10 bad files: size not a multiple of 3073 bytes, label out of range', () => {
  const { dir, cleanup } = tempDir();
  try {
    const d = writeCifar10(dir);
    const f = path.join(d, 'test_batch.bin');
    // 3 records = 9219 bytes; drop 19 bytes: 9200 = 2 whole records (6146) + 3054 bytes.
    fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 9200));
    assert.throws(
      () => loadCifar10({ split: 'test', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError &&
        e.file === f &&
        e.message.includes('size 9,200 bytes is not a positive multiple of the 3073-byte record') &&
        e.message.includes('2 whole records + 3054 bytes'),
    );
    fs.writeFileSync(f, Buffer.alloc(0));
    assert.throws(() => loadCifar10({ split: 'test', dataDir: dir }), /size 0 bytes is not a positive multiple/);
    fs.writeFileSync(f, Buffer.concat([cifarRecord([3], cifarPixel(0)), cifarRecord([10], cifarPixel(1))]));
    assert.throws(
      () => loadCifar10({ split: 'test', dataDir: dir }),
      (e: unknown) =>
        e instanceof DataFormatError && e.file === f && /record 1 \(byte 3073\): class label 10 is out of range 0\.\.9/.test(e.message),
    );
  } finally {
    cleanup();
  }
});

test('CIFAR-100: coarse and fine labels, official names, labelType, range checks', () => {
  const { dir, cleanup } = tempDir();
  try {
    const d = path.join(dir, 'cifar-100-binary');
    // Records: (coarse, fine) = (19, 99), (0, 5), (4, 0).
    const pairs = [
      [19, 99],
      [0, 5],
      [4, 0],
    ];
    writeFile(d, 'train.bin', Buffer.concat(pairs.map((p, r) => cifarRecord(p, cifarPixel(r)))));
    writeFile(d, 'test.bin', cifarRecord([1, 1], cifarPixel(7)));
    const s = loadCifar100({ split: 'train', dataDir: dir, pixels: 'uint8' });
    assert.equal(s.count, 3);
    assert.deepEqual(Array.from(s.fineLabels), [99, 5, 0]);
    assert.deepEqual(Array.from(s.coarseLabels), [19, 0, 4]);
    assert.deepEqual(Array.from(s.labels), [99, 5, 0]);
    assert.equal(s.classNames, s.fineClassNames);
    assert.equal(s.classNames[99], 'worm');
    assert.equal(s.coarseClassNames[19], 'vehicles_2');
    assert.equal(CIFAR100_FINE_CLASS_NAMES.length, 100);
    assert.equal(new Set(CIFAR100_FINE_CLASS_NAMES).size, 100);
    assert.equal(CIFAR100_COARSE_CLASS_NAMES.length, 20);
    for (let n = 0; n < 3; n++) assertImage(s.images, n, n, 1);
    const c = loadCifar100({ split: 'train', dataDir: dir, labelType: 'coarse' });
    assert.deepEqual(Array.from(c.labels), [19, 0, 4]);
    assert.equal(c.classNames, CIFAR100_COARSE_CLASS_NAMES);
    assert.equal(loadCifar100({ split: 'test', dataDir: dir }).count, 1);
    // Meta files override the built-in names when complete.
    writeFile(d, 'coarse_label_names.txt', Array.from({ length: 20 }, (_, i) => `sc${i}`).join('\n'));
    assert.equal(loadCifar100({ split: 'test', dataDir: dir }).coarseClassNames[3], 'sc3');
    // A CIFAR-10 file read as CIFAR-100: 3073-byte records are not a multiple of 3074.
    writeFile(d, 'test.bin', Buffer.concat([cifarRecord([2], cifarPixel(0)), cifarRecord([2], cifarPixel(1))]));
    assert.throws(
      () => loadCifar100({ split: 'test', dataDir: dir }),
      /size 6,146 bytes is not a positive multiple of the 3074-byte record \(2 label bytes/,
    );
    writeFile(d, 'test.bin', cifarRecord([3, 100], cifarPixel(0)));
    assert.throws(() => loadCifar100({ split: 'test', dataDir: dir }), /record 0 \(byte 1\): fine label 100 is out of range 0\.\.99/);
    writeFile(d, 'test.bin', cifarRecord([20, 1], cifarPixel(0)));
    assert.throws(() => loadCifar100({ split: 'test', dataDir: dir }), /record 0 \(byte 0\): coarse label 20 is out of range 0\.\.19/);
    assert.throws(
      () => loadCifar100({ split: 'test', dataDir: dir, labelType: 'super' as 'fine' }),
      /labelType must be 'fine' or 'coarse'/,
    );
  } finally {
    cleanup();
  }
});

test('CIFAR-100 from a gzipped tar written by GNU tar', () => {
  const { dir, cleanup } = tempDir();
  try {
    const d = path.join(dir, 'src', 'cifar-100-binary');
    writeFile(d, 'train.bin', cifarRecord([7, 42], cifarPixel(3)));
    writeFile(d, 'test.bin', cifarRecord([1, 1], cifarPixel(4)));
    writeFile(d, 'fine_label_names.txt', CIFAR100_FINE_CLASS_NAMES.join('\n'));
    const tarFile = path.join(dir, 'x.tar');
    execFileSync('tar', ['cf', tarFile, '-C', path.join(dir, 'src'), 'cifar-100-binary']);
    writeFile(dir, 'cifar-100-binary.tar.gz', zlib.gzipSync(fs.readFileSync(tarFile)));
    const s = loadCifar100({ split: 'train', dataDir: dir, pixels: 'uint8' });
    assert.deepEqual([s.fineLabels[0], s.coarseLabels[0]], [42, 7]);
    assertImage(s.images, 0, 3, 1);
  } finally {
    cleanup();
  }
});

test('missing CIFAR: the error lists the places searched, the official URL and MD5', () => {
  const { dir, cleanup } = tempDir();
  try {
    assert.throws(
      () => loadCifar10({ split: 'train', dataDir: dir }),
      (e: unknown) =>
        e instanceof DatasetNotFoundError &&
        e.searched.length === 1 &&
        e.searched[0] === `${dir} (dataDir argument): no cifar-10-batches-bin/ folder and no cifar-10-binary.tar.gz` &&
        e.message.includes('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz') &&
        e.message.includes('c32a1d4ab5d03f1284b67883e8d87530') &&
        e.message.includes(`into ${dir}/`),
    );
    // A partly extracted folder: the missing batches are named.
    writeFile(dir, 'cifar-10-batches-bin/data_batch_1.bin', cifarRecord([0], cifarPixel(0)));
    assert.throws(
      () => loadCifar10({ split: 'train', dataDir: dir }),
      /cifar-10-batches-bin lacks data_batch_2\.bin, data_batch_3\.bin, data_batch_4\.bin, data_batch_5\.bin/,
    );
    assert.throws(() => loadCifar100({ split: 'test', dataDir: dir }), /03b5dce01913d631647c71ecec9e9cb8/);
  } finally {
    cleanup();
  }
});
