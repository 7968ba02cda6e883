import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { downloadDataset, downloadPlan } from '../src/data/download';
import { loadMnist } from '../src/data/mnist';
import { loadCifar10 } from '../src/data/cifar';
import { cifarPixel, cifarRecord, idxBytes, tempDir, writeFile } from './data-fixtures';

const md5 = (b: Uint8Array): string => crypto.createHash('md5').update(b).digest('hex');

/** A server on 127.0.0.1 serving `files` by name; `behaviour` can alter single responses. */
async function serve(
  files: Map<string, Buffer>,
  behaviour: (name: string, res: http.ServerResponse) => boolean = () => false,
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').replace(/^\/data\//, ''));
    requests.push(name);
    if (behaviour(name, res)) return;
    const body = files.get(name);
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/data/`,
    requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The four MNIST files, gzipped IDX with 2 train and 1 test image. */
function mnistFiles(): Map<string, Buffer> {
  const img = (n: number): Buffer =>
    zlib.gzipSync(
      idxBytes(
        [n, 28, 28],
        Uint8Array.from({ length: n * 784 }, (_, i) => i % 256),
      ),
    );
  const lab = (l: number[]): Buffer => zlib.gzipSync(idxBytes([l.length], Uint8Array.from(l)));
  return new Map([
    ['train-images-idx3-ubyte.gz', img(2)],
    ['train-labels-idx1-ubyte.gz', lab([3, 4])],
    ['t10k-images-idx3-ubyte.gz', img(1)],
    ['t10k-labels-idx1-ubyte.gz', lab([9])],
  ]);
}

const sums = (files: Map<string, Buffer>): Record<string, string> => Object.fromEntries([...files].map(([n, b]) => [n, md5(b)]));

/** Lists every file under `dir`, relative. */
function tree(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(dir, p)).isFile()).sort();
}

test('the download plan uses the official addresses and MD5s unless overridden', () => {
  const p = downloadPlan('cifar-10', { dataDir: '/d' });
  assert.deepEqual(p.files, [
    {
      name: 'cifar-10-binary.tar.gz',
      url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
      dest: '/d/cifar-10-binary.tar.gz',
      md5: 'c32a1d4ab5d03f1284b67883e8d87530',
    },
  ]);
  assert.equal(downloadPlan('cifar-100', { dataDir: '/d' }).files[0].md5, '03b5dce01913d631647c71ecec9e9cb8');
  const f = downloadPlan('fashion-mnist', { dataDir: '/d' });
  assert.equal(f.dir, '/d/fashion-mnist');
  assert.equal(f.files[0].url, 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz');
  assert.equal(
    downloadPlan('mnist', { dataDir: '/d' }).files[3].url,
    'https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz',
  );
  const o = downloadPlan('mnist', { dataDir: '/d', baseUrl: 'http://mirror/x', checksums: { 't10k-labels-idx1-ubyte.gz': 'ABC' } });
  assert.equal(o.files[3].url, 'http://mirror/x/t10k-labels-idx1-ubyte.gz');
  assert.equal(o.files[3].md5, 'abc');
  assert.throws(() => downloadPlan('svhn' as 'mnist'), /unknown dataset "svhn"; known: mnist, fashion-mnist, cifar-10, cifar-100/);
});

test('MNIST from a local server: verified, loadable, and not fetched again when present', async () => {
  const files = mnistFiles();
  const srv = await serve(files);
  const { dir, cleanup } = tempDir();
  try {
    const r = await downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: sums(files) });
    assert.equal(r.dir, path.join(dir, 'mnist'));
    assert.deepEqual(
      r.files.map((f) => f.reused),
      [false, false, false, false],
    );
    assert.deepEqual(tree(dir), [...files.keys()].map((n) => path.join('mnist', n)).sort());
    const train = loadMnist({ split: 'train', dataDir: dir });
    assert.deepEqual(Array.from(train.labels), [3, 4]);
    assert.equal(srv.requests.length, 4);
    const again = await downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: sums(files) });
    assert.deepEqual(
      again.files.map((f) => f.reused),
      [true, true, true, true],
    );
    assert.equal(srv.requests.length, 4);
    // A damaged local file is replaced.
    fs.writeFileSync(path.join(dir, 'mnist', 't10k-labels-idx1-ubyte.gz'), 'garbage');
    const fixed = await downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: sums(files) });
    assert.deepEqual(
      fixed.files.map((f) => f.reused),
      [true, true, true, false],
    );
    assert.deepEqual(Array.from(loadMnist({ split: 'test', dataDir: dir }).labels), [9]);
  } finally {
    cleanup();
    await srv.close();
  }
});

test('checksum mismatch, HTTP 404 and a cut-off body leave no file behind', async () => {
  const files = mnistFiles();
  const srv = await serve(files, (name, res) => {
    if (name !== 't10k-images-idx3-ubyte.gz') return false;
    // Announce the full length, send half, then drop the connection.
    const body = files.get(name) as Buffer;
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, body.length >> 1));
    setTimeout(() => res.destroy(), 10);
    return true;
  });
  const { dir, cleanup } = tempDir();
  try {
    const wrong = { ...sums(files), 'train-images-idx3-ubyte.gz': '0'.repeat(32) };
    await assert.rejects(
      downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: wrong }),
      new RegExp(
        `train-images-idx3-ubyte\\.gz: checksum mismatch: MD5 ${md5(files.get('train-images-idx3-ubyte.gz') as Buffer)}, expected 0{32}`,
      ),
    );
    assert.deepEqual(tree(dir), []);
    await assert.rejects(
      downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: sums(files) }),
      /t10k-images-idx3-ubyte\.gz: (incomplete: got|terminated|other side closed)/,
    );
    // The three complete files stay; the cut-off one left nothing, not even a temporary file.
    assert.deepEqual(
      tree(dir),
      ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'].map((n) => path.join('mnist', n)),
    );
    files.delete('train-labels-idx1-ubyte.gz');
    fs.rmSync(path.join(dir, 'mnist'), { recursive: true });
    await assert.rejects(
      downloadDataset('mnist', { dataDir: dir, baseUrl: srv.url, checksums: sums(mnistFiles()) }),
      /train-labels-idx1-ubyte\.gz: HTTP 404 Not Found/,
    );
  } finally {
    cleanup();
    await srv.close();
  }
});

test('offline: the error says what to download by hand and where to put it', async () => {
  // A port that was just open and is now closed: connection refused, as on a machine offline.
  const srv = await serve(new Map());
  const base = srv.url;
  await srv.close();
  const { dir, cleanup } = tempDir();
  try {
    await assert.rejects(downloadDataset('fashion-mnist', { dataDir: dir, baseUrl: base }), (e: unknown) => {
      const m = (e as Error).message;
      return (
        m.startsWith(`Could not download Fashion-MNIST: ${base}train-images-idx3-ubyte.gz: connection refused (ECONNREFUSED).`) &&
        m.includes(`${base}t10k-labels-idx1-ubyte.gz  (MD5 bb300cfdad3c16e7a12a480ee83cd310)`) &&
        m.includes(`and put them in ${path.join(dir, 'fashion-mnist')}/`) &&
        m.includes('apt-get install dataset-fashion-mnist')
      );
    });
    assert.deepEqual(tree(dir), []);
  } finally {
    cleanup();
  }
});

test('CIFAR-10 archive from a local server is verified, extracted and loadable', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = path.join(dir, 'src', 'cifar-10-batches-bin');
    for (let f = 1; f <= 5; f++) writeFile(src, `data_batch_${f}.bin`, cifarRecord([f], cifarPixel(f)));
    writeFile(src, 'test_batch.bin', cifarRecord([7], cifarPixel(0)));
    const tgz = path.join(dir, 'cifar-10-binary.tar.gz');
    execFileSync('tar', ['czf', tgz, '-C', path.join(dir, 'src'), 'cifar-10-batches-bin']);
    const body = fs.readFileSync(tgz);
    const srv = await serve(new Map([['cifar-10-binary.tar.gz', body]]));
    try {
      const data = path.join(dir, 'data');
      const r = await downloadDataset('cifar-10', { dataDir: data, baseUrl: srv.url, checksums: { 'cifar-10-binary.tar.gz': md5(body) } });
      assert.equal(r.extracted, path.join(data, 'cifar-10-batches-bin'));
      assert.deepEqual(tree(data), [
        'cifar-10-batches-bin/data_batch_1.bin',
        'cifar-10-batches-bin/data_batch_2.bin',
        'cifar-10-batches-bin/data_batch_3.bin',
        'cifar-10-batches-bin/data_batch_4.bin',
        'cifar-10-batches-bin/data_batch_5.bin',
        'cifar-10-batches-bin/test_batch.bin',
        'cifar-10-binary.tar.gz',
      ]);
      const train = loadCifar10({ split: 'train', dataDir: data });
      assert.deepEqual(Array.from(train.labels), [1, 2, 3, 4, 5]);
      assert.ok(train.files[0].endsWith(path.join('cifar-10-batches-bin', 'data_batch_1.bin')), 'read from the extracted folder');
    } finally {
      await srv.close();
    }
  } finally {
    cleanup();
  }
});
