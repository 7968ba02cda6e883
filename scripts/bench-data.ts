/**
 * Throughput of the CIFAR data pipeline (on generated 32x32x3 images, so it runs anywhere):
 * samples/s of the DataLoader with the reference augmentation done on typed arrays, next to
 * plain batching and to the same augmentation written with tf ops on the wasm backend.
 *
 * Run: npm run build:test && node build/scripts/bench-data.js [--samples N] [--repeats R]
 * `benchData()` is exported for the project's combined benchmark.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ArrayDataset, DataLoader } from '../src/data/dataset';
import { CIFAR10_MEAN, CIFAR10_STD, cifarEvalTransform, cifarTrainTransform } from '../src/data/augment';
import { Rng } from '../src/data/rng';
import { intOption, parseCommandLine, scriptArgs } from '../src/cli/args';

/** One measured configuration. */
export interface DataBenchRow {
  pipeline: string;
  batch: number;
  /** Median over the timed repeats. */
  samplesPerSec: number;
  msPerBatch: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Random uint8 CIFAR-shaped data in an ArrayDataset. */
function generated(n: number): ArrayDataset {
  const rng = new Rng(1);
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < images.length; i++) images[i] = rng.int(256);
  const labels = Int32Array.from({ length: n }, () => rng.int(10));
  return new ArrayDataset({
    images,
    labels,
    height: 32,
    width: 32,
    channels: 3,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
  });
}

/** One epoch through the DataLoader; returns seconds. */
async function loaderEpoch(loader: DataLoader, epoch: number): Promise<number> {
  const t0 = performance.now();
  for await (const b of loader.epoch(epoch)) b.dispose();
  return (performance.now() - t0) / 1000;
}

/**
 * The same augmentation as tf ops: pad 4, per-image crop (nearest-neighbour CropAndResize on
 * pixel-aligned boxes is an exact crop), per-image flip (Select between the batch and its
 * mirror), normalise. Checked to match cifarTrainTransform given the same random draws.
 */
function tfAugmentBatch(u8: Uint8Array, b: number, rng: Rng): tf.Tensor4D {
  const boxes = new Float32Array(b * 4);
  const flips = new Uint8Array(b);
  for (let i = 0; i < b; i++) {
    const top = rng.int(9);
    const left = rng.int(9);
    // Normalised box corners in the 40x40 padded image (pixel p -> p / 39), pulled in by a
    // hair so that nearest-neighbour sampling lands exactly on pixels (the wasm kernel's
    // rounding at exact corners otherwise picks neighbours or the zero extrapolation).
    const e = 1e-4;
    boxes.set([top / 39 + e, left / 39 + e, (top + 31) / 39 - e, (left + 31) / 39 - e], i * 4);
    flips[i] = rng.next() < 0.5 ? 1 : 0;
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(u8, [b, 32, 32, 3], 'int32').toFloat().div(255);
    const padded = tf.pad(x, [
      [0, 0],
      [4, 4],
      [4, 4],
      [0, 0],
    ]);
    const crops = tf.image.cropAndResize(
      padded as tf.Tensor4D,
      tf.tensor2d(boxes, [b, 4]),
      tf.range(0, b, 1, 'int32') as tf.Tensor1D,
      [32, 32],
      'nearest',
    );
    const mask = tf.tensor4d(flips, [b, 1, 1, 1], 'bool').tile([1, 32, 32, 3]);
    const flipped = tf.where(mask, tf.reverse(crops, 2), crops);
    return flipped.sub(tf.tensor1d(CIFAR10_MEAN as number[])).div(tf.tensor1d(CIFAR10_STD as number[])) as tf.Tensor4D;
  });
}

/** Runs the benchmark; prints nothing. */
export async function benchData(opts: { samples?: number; batchSizes?: number[]; repeats?: number } = {}): Promise<DataBenchRow[]> {
  const samples = opts.samples ?? 5120;
  const repeats = opts.repeats ?? 3;
  await tf.setBackend('wasm');
  await tf.ready();
  const ds = generated(samples);
  const rows: DataBenchRow[] = [];
  for (const batch of opts.batchSizes ?? [128, 256]) {
    const nb = Math.ceil(samples / batch);
    const configs: [string, DataLoader][] = [
      ['DataLoader, no augmentation (uint8 -> float32 tensors)', new DataLoader(ds, { batchSize: batch, seed: 1 })],
      [
        'DataLoader, normalise only (CIFAR test transform)',
        new DataLoader(ds, { batchSize: batch, seed: 1, transform: cifarEvalTransform('cifar10') }),
      ],
      [
        'DataLoader, crop+flip+normalise on typed arrays',
        new DataLoader(ds, { batchSize: batch, seed: 1, transform: cifarTrainTransform('cifar10') }),
      ],
    ];
    for (const [name, loader] of configs) {
      await loaderEpoch(loader, 0); // warm-up
      const times: number[] = [];
      for (let r = 1; r <= repeats; r++) times.push(await loaderEpoch(loader, r));
      const t = median(times);
      rows.push({ pipeline: name, batch, samplesPerSec: samples / t, msPerBatch: (t * 1000) / nb });
    }
    // tf ops on the backend, batches taken in order from the same uint8 data.
    const u8 = ds.images as Uint8Array;
    const runTf = (): number => {
      const rng = new Rng(3);
      const t0 = performance.now();
      for (let s = 0; s < samples; s += batch) {
        const b = Math.min(batch, samples - s);
        tfAugmentBatch(u8.subarray(s * 3072, (s + b) * 3072), b, rng).dispose();
      }
      return (performance.now() - t0) / 1000;
    };
    runTf();
    const t = median(Array.from({ length: repeats }, runTf));
    rows.push({
      pipeline: `same augmentation as tf ops (${tf.getBackend()} backend)`,
      batch,
      samplesPerSec: samples / t,
      msPerBatch: (t * 1000) / nb,
    });
  }
  return rows;
}

/** The rows as an aligned text table. */
export function formatDataBench(rows: DataBenchRow[]): string {
  const head = ['pipeline', 'batch', 'samples/s', 'ms/batch'];
  const body = rows.map((r) => [r.pipeline, String(r.batch), r.samplesPerSec.toFixed(0), r.msPerBatch.toFixed(2)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

/** Usage of `node build/scripts/bench-data.js`. */
export const BENCH_DATA_USAGE = `node build/scripts/bench-data.js [--samples N] [--repeats N]     (build first: npm run build:test)

Samples/s of the CIFAR DataLoader on generated 32x32x3 images: plain batching, the reference
augmentation on typed arrays, and the same augmentation written with tf ops (wasm).

  --samples N   images per pass (default 5120)
  --repeats N   timed passes; the median is reported (default 3)`;

if (require.main === module) {
  const args = scriptArgs('bench-data', BENCH_DATA_USAGE, (argv) => {
    const { values: v } = parseCommandLine(argv, { samples: 'string', repeats: 'string' }, { min: 0, max: 0, what: 'options only' });
    return { samples: intOption(v.samples, 'samples', 5120), repeats: intOption(v.repeats, 'repeats', 3) };
  });
  benchData(args)
    .then((rows) => {
      console.log(`CIFAR data pipeline, generated 32x32x3 images, Node ${process.version}, ${os.cpus().length} CPUs`);
      console.log(formatDataBench(rows));
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
