/**
 * Training-step time of each zoo model on this machine's tfjs backend, and of the same
 * architecture in PyTorch when Debian's PyTorch is importable (`/usr/bin/python3 -c 'import
 * torch'`), with the ratio tfjs / PyTorch.
 *
 * One step = forward in training mode, softmax cross-entropy, backward, SGD (lr 0.01,
 * momentum 0.9) update, on a fixed random batch; the loss is read back each step so the
 * time includes all queued work. Per configuration: `warmup` untimed steps, then `runs`
 * timed steps; the median is reported. PyTorch runs the twin models of
 * scripts/bench_models_torch.py with the same batch, input and optimizer, in a separate
 * process, after the tfjs timing of the same row (so the two never compete for the CPUs).
 * Each tfjs configuration also runs in its own child process: the wasm heap is capped at
 * 4 GiB and never shrinks, and running out aborts the wasm module, so a configuration that
 * fails (e.g. densenet_cifar at batch 32: its backward pass needs more than 4 GiB) is
 * reported with its error instead of a time and does not affect the next one.
 *
 * Run: npm run build:test && node build/scripts/bench-models.js
 *        [--models LeNet,resnet20,...] [--batches 32,128] [--warmup 1] [--runs 3]
 *        [--backend wasm|cpu|tensorflow] [--gaf] [--no-torch] [--torch-threads N]
 *        [--imagenet-side 224] [--json]
 * The default model list is every model: expect hours on wasm; pass --models for a subset.
 * `benchModels()` is exported for the project's combined benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend, BackendName } from '../src/backend/init';
import { gafs } from '../src/gaf/index';
import { createModel, listModels, countTrainableParams } from '../src/models/index';
import { sgd } from '../src/optim/index';

/** One measured (model, batch) configuration. */
export interface ModelBenchRow {
  model: string;
  batch: number;
  inputShape: [number, number, number];
  params: number;
  backend: string;
  /** Median tfjs step time, ms (null when the step failed). */
  msPerStep: number | null;
  imagesPerSec: number | null;
  /** Median PyTorch step time, ms (null when PyTorch is absent or failed). */
  torchMsPerStep: number | null;
  torchImagesPerSec: number | null;
  torchThreads: number | null;
  /** msPerStep / torchMsPerStep: how many times slower tfjs is. */
  ratio: number | null;
  /** Why a time is missing. */
  note: string;
}

/** Options of {@link benchModels}. */
export interface ModelBenchOptions {
  models?: string[];
  batches?: number[];
  warmup?: number;
  runs?: number;
  backend?: BackendName;
  /** Use the atan GAF (alpha 0.1, beta 20) in the tfjs optimizer. PyTorch always runs plain SGD. */
  gaf?: boolean;
  torch?: boolean;
  torchThreads?: number;
  /** Input side for the ImageNet ResNets (default 224). */
  imagenetSide?: number;
  /** Called after each row (for progress output). */
  onRow?: (row: ModelBenchRow) => void;
}

const PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'bench_models_torch.py');

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** True when Debian's PyTorch can be imported. */
export function torchAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 200);
}

/** Median tfjs training-step time in ms. */
async function timeTfjs(name: string, batch: number, shape: [number, number, number], warmup: number, runs: number,
  gaf: boolean): Promise<{ ms: number; params: number }> {
  const numClasses = 10;
  const model = createModel(name, { inputShape: shape, numClasses, seed: 1 });
  const optimizer = sgd({ learningRate: 0.01, momentum: 0.9, gaf: gaf ? gafs.atan({ alpha: 0.1, beta: 20 }) : null });
  const x = tf.randomNormal([batch, ...shape], 0, 1, 'float32', 1);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([batch], 0, numClasses, 'int32', 2) as tf.Tensor1D, numClasses));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = async (): Promise<void> => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars);
    await loss?.data();
    loss?.dispose();
  };
  try {
    for (let i = 0; i < warmup; i++) await step();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    return { ms: median(times), params: countTrainableParams(model) };
  } finally {
    x.dispose();
    y.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** What one child process reports. */
interface ChildResult {
  ms?: number;
  params?: number;
  error?: string;
}

/** wasm heap size in MB (its high-water mark: wasm memory never shrinks), or null on other backends. */
function wasmHeapMb(): number | null {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? Math.round(heap.length / 2 ** 20) : null;
}

/**
 * Times one tfjs configuration in a fresh child process, so that a wasm abort (the 4 GiB
 * wasm heap running out kills the module) or the heap left grown by a big model cannot
 * affect the other rows.
 */
function timeTfjsInChild(args: ChildArgs): ChildResult {
  try {
    const out = execFileSync(process.execPath, [__filename, '--child', JSON.stringify(args)],
      { encoding: 'utf8', maxBuffer: 16 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(out.trim().split('\n').pop() as string) as ChildResult;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message?: string };
    const lastJson = (err.stdout ?? '').trim().split('\n').reverse().find((l) => l.startsWith('{'));
    if (lastJson) return JSON.parse(lastJson) as ChildResult;
    const why = (err.stderr ?? '').split('\n').find((l) => /Error|Abort/.test(l)) ?? err.message ?? 'unknown';
    return { error: `child process died: ${why.trim().slice(0, 160)}` };
  }
}

/** Arguments passed to the child process. */
interface ChildArgs {
  name: string;
  batch: number;
  shape: [number, number, number];
  warmup: number;
  runs: number;
  gaf: boolean;
  backend: BackendName;
}

async function childMain(args: ChildArgs): Promise<void> {
  await initBackend(args.backend);
  try {
    const r = await timeTfjs(args.name, args.batch, args.shape, args.warmup, args.runs, args.gaf);
    console.log(JSON.stringify(r));
  } catch (e) {
    const heap = wasmHeapMb();
    const oom = heap !== null && heap >= 4000 ? ` (wasm heap at ${heap} MB: the 4 GiB wasm memory is exhausted)` : '';
    console.log(JSON.stringify({ error: `${firstLine(e)}${oom}` }));
  }
}

/** Median PyTorch training-step time in ms, from the twin model in a child process. */
function timeTorch(name: string, batch: number, shape: [number, number, number], warmup: number, runs: number,
  threads: number | undefined): { ms: number; threads: number } {
  const args = [TORCH_SCRIPT, 'bench', '--model', name, '--batch', String(batch), '--side', String(shape[0]),
    '--channels', String(shape[2]), '--warmup', String(warmup), '--runs', String(runs)];
  if (threads) args.push('--threads', String(threads));
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { median_ms: number; threads: number };
  return { ms: r.median_ms, threads: r.threads };
}

/** Runs the benchmark; prints nothing (see `onRow`). */
export async function benchModels(opts: ModelBenchOptions = {}): Promise<ModelBenchRow[]> {
  const report = await initBackend(opts.backend ?? 'wasm');
  const backend = report.backend;
  const infos = listModels();
  const names = opts.models ?? infos.map((m) => m.name);
  const useTorch = (opts.torch ?? true) && torchAvailable();
  const warmup = opts.warmup ?? 1;
  const runs = opts.runs ?? 3;
  const rows: ModelBenchRow[] = [];
  for (const asked of names) {
    const info = infos.find((m) => m.name.toLowerCase() === asked.toLowerCase());
    if (!info) throw new Error(`bench-models: unknown model "${asked}"; valid: ${infos.map((m) => m.name).join(', ')}`);
    const shape: [number, number, number] = info.family === 'imagenet-resnet'
      ? [opts.imagenetSide ?? 224, opts.imagenetSide ?? 224, 3] : info.inputShape;
    for (const batch of opts.batches ?? [32, 128]) {
      const row: ModelBenchRow = {
        model: info.name, batch, inputShape: shape, params: info.params10, backend, msPerStep: null,
        imagesPerSec: null, torchMsPerStep: null, torchImagesPerSec: null, torchThreads: null, ratio: null, note: '',
      };
      const r = timeTfjsInChild({ name: info.name, batch, shape, warmup, runs, gaf: opts.gaf ?? false, backend });
      if (r.ms !== undefined) {
        row.msPerStep = r.ms;
        row.imagesPerSec = (batch * 1000) / r.ms;
        row.params = r.params ?? row.params;
      } else {
        row.note = `tfjs failed: ${r.error ?? 'no result'}`;
      }
      if (useTorch) {
        try {
          const t = timeTorch(info.name, batch, shape, warmup, runs, opts.torchThreads);
          row.torchMsPerStep = t.ms;
          row.torchImagesPerSec = (batch * 1000) / t.ms;
          row.torchThreads = t.threads;
          if (row.msPerStep !== null) row.ratio = row.msPerStep / t.ms;
        } catch (e) {
          row.note += `${row.note ? '; ' : ''}PyTorch failed: ${firstLine(e)}`;
        }
      } else if (!row.note) {
        row.note = opts.torch === false ? 'PyTorch timing off (--no-torch)'
          : 'PyTorch not importable by /usr/bin/python3 (apt-get install python3-torch)';
      }
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}

const fmt = (v: number | null, digits = 0): string => (v === null ? '-' : v.toFixed(digits));

/** One markdown table row. */
export function formatRow(r: ModelBenchRow): string {
  return `| ${r.model} | ${r.batch} | ${r.inputShape.join('x')} | ${fmt(r.msPerStep)} | ${fmt(r.imagesPerSec, 1)} | ` +
    `${fmt(r.torchMsPerStep)} | ${fmt(r.torchImagesPerSec, 1)} | ${fmt(r.ratio, 1)} | ${r.note} |`;
}

export const TABLE_HEADER = '| model | batch | input | tfjs ms/step | tfjs img/s | PyTorch ms/step | PyTorch img/s | ratio | note |\n' +
  '|---|---|---|---|---|---|---|---|---|';

if (require.main === module && process.argv[2] === '--child') {
  childMain(JSON.parse(process.argv[3]) as ChildArgs).catch((e: unknown) => {
    console.log(JSON.stringify({ error: firstLine(e) }));
  });
} else if (require.main === module) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const list = (s: string | undefined): string[] | undefined => s?.split(',').map((x) => x.trim()).filter(Boolean);
  const json = process.argv.includes('--json');
  const opts: ModelBenchOptions = {
    models: list(arg('models')),
    batches: list(arg('batches'))?.map(Number),
    warmup: arg('warmup') ? Number(arg('warmup')) : undefined,
    runs: arg('runs') ? Number(arg('runs')) : undefined,
    backend: arg('backend') as BackendName | undefined,
    gaf: process.argv.includes('--gaf'),
    torch: !process.argv.includes('--no-torch'),
    torchThreads: arg('torch-threads') ? Number(arg('torch-threads')) : undefined,
    imagenetSide: arg('imagenet-side') ? Number(arg('imagenet-side')) : undefined,
  };
  if (!json) {
    console.log(`tfjs ${tf.version.tfjs}; warm-up ${opts.warmup ?? 1}, median of ${opts.runs ?? 3} steps; ` +
      `SGD momentum 0.9${opts.gaf ? ' + atan GAF' : ''}; ratio = tfjs / PyTorch`);
    console.log(TABLE_HEADER);
  }
  benchModels({ ...opts, onRow: json ? undefined : (r) => console.log(formatRow(r)) })
    .then((rows) => {
      if (json) console.log(JSON.stringify(rows, null, 2));
      else if (rows[0]) console.log(`backend: ${rows[0].backend}; PyTorch threads: ${rows.find((r) => r.torchThreads)?.torchThreads ?? '-'}`);
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
