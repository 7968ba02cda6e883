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
 * process, after the tfjs timing of the same row (so the two never compete for the CPUs),
 * once per thread count of `torchThreads` (default 1 and 2: wasm in Node is single-threaded,
 * so the 1-thread ratio is the like-for-like one; 2 is every core of this machine).
 * Each tfjs configuration also runs in its own child process: the wasm heap is capped at
 * 4 GiB and never shrinks, and running out aborts the wasm module, so a configuration that
 * fails (e.g. densenet_cifar at batch 32: its backward pass needs more than 4 GiB) is
 * reported with its error instead of a time and does not affect the next one.
 *
 * Also measured in the tfjs child:
 * - with `gaf` (default on): plain SGD and SGD + atan GAF (alpha 0.1, beta 20) on the same
 *   model, steps interleaved (SGD, GAF, SGD, GAF, ...) so that load on the machine hits both
 *   alike; the GAF overhead is median(GAF) / median(SGD) - 1. Whole steps vary by several
 *   percent from one to the next on a shared machine, more than the GAF costs, so the
 *   optimizer updates are also timed alone: `applyGradients` of one fixed set of gradients,
 *   SGD and SGD + GAF interleaved, and (median GAF update - median SGD update) / step time is
 *   reported as the update overhead: what the GAF adds to a step;
 * - memory across "epochs" (`memEpochs` groups of `runs` steps): tf.memory() tensors and
 *   bytes, the wasm heap and the process RSS after each; "flat" means nothing grew after epoch 1;
 * - peak memory: the wasm heap's size (it only grows, so it is the high-water mark) and the
 *   process's maximum RSS.
 * With `baseline`, each row is also timed with gaf-lab's fast kernels and gradients switched
 * off (`setFastTraining(false)`: tfjs-backend-wasm's own kernels, tfjs-core's gradients, the
 * foundation's naive gradient kernels), in a separate child, for a before/after comparison.
 *
 * With `--backend webgpu` the tfjs side runs on the GPU WebGPU finds (`initBackend('webgpu')`:
 * a hardware adapter, or on a machine without one the software adapter, whose times are no
 * speed figure), and PyTorch is timed on CUDA too when `torch.cuda.is_available()`, so one run
 * on a GPU machine gives gaf-lab on the GPU next to PyTorch on the CPU and on the GPU.
 *
 * Run: npm run build:test && node build/scripts/bench-models.js [options] (`--help` lists them:
 *        {@link BENCH_MODELS_USAGE}).
 * `--batches` is one list for every model, or `model=batch` pairs (`smallcnn=128,MobileNetV2=32`).
 * The default model list is every model: expect hours on wasm; pass --models for a subset.
 * `benchModels()` is exported for the project's combined benchmark.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend, BackendName } from '../src/backend/init';
import { setFastTraining } from '../src/backend/fast-training';
import { describeAdapter } from '../src/backend/webgpu';
import { gafs } from '../src/gaf/index';
import { createModel, listModels, countTrainableParams } from '../src/models/index';
import { sgd } from '../src/optim/index';
import { timedStep } from './lib/timed-step';
import { intListOption, intOption, listOption, parseCommandLine, scriptArgs, UsageError } from '../src/cli/args';

/** PyTorch's median step time at one thread count. */
export interface TorchTiming {
  threads: number;
  ms: number;
}

/** Memory after one group of steps. */
export interface MemorySample {
  epoch: number;
  tensors: number;
  bytes: number;
  heapMb: number | null;
  rssMb: number;
}

/** One measured (model, batch) configuration. */
export interface ModelBenchRow {
  model: string;
  batch: number;
  inputShape: [number, number, number];
  params: number;
  backend: string;
  /** Median tfjs step time (plain SGD), ms (null when the step failed). */
  msPerStep: number | null;
  imagesPerSec: number | null;
  /** Median tfjs step time with the fast kernels switched off (only with `baseline`). */
  baselineMsPerStep: number | null;
  /** Median step time with SGD + atan GAF, and its overhead over plain SGD (median / median - 1). */
  gafMsPerStep: number | null;
  gafOverhead: number | null;
  /** Median time of the optimizer update alone (applyGradients), SGD and SGD + GAF, ms. */
  sgdUpdateMs: number | null;
  gafUpdateMs: number | null;
  /** (gafUpdateMs - sgdUpdateMs) / msPerStep: the GAF's share of a step, measured on the updates alone. */
  gafUpdateOverhead: number | null;
  /** Median PyTorch step time at the first thread count of `torchThreads` (null when absent or failed). */
  torchMsPerStep: number | null;
  torchImagesPerSec: number | null;
  torchThreads: number | null;
  /** Every PyTorch timing of the row, one per thread count. */
  torch: TorchTiming[];
  /** Median PyTorch step time on CUDA (null when CUDA is not available or off). */
  torchCudaMs: number | null;
  /** msPerStep / torchCudaMs. */
  cudaRatio: number | null;
  /** What torch.get_num_threads() reports by default on this machine. */
  torchDefaultThreads: number | null;
  /** msPerStep / torchMsPerStep: how many times slower tfjs is than PyTorch at the first thread count. */
  ratio: number | null;
  /** wasm heap high-water mark and the process's maximum RSS, MB. */
  peakHeapMb: number | null;
  peakRssMb: number | null;
  /** Memory after each epoch of the tfjs child. */
  memory: MemorySample[];
  /** True when tensors, bytes and the wasm heap did not grow after epoch 1 (RSS is reported, not judged: the allocator may keep pages). */
  memoryFlat: boolean | null;
  /** Why a time is missing. */
  note: string;
}

/** Options of {@link benchModels}. */
export interface ModelBenchOptions {
  models?: string[];
  /** Batch sizes for every model. */
  batches?: number[];
  /** Batch sizes per model (overrides `batches` for the models it names). */
  batchesByModel?: Record<string, number[]>;
  warmup?: number;
  runs?: number;
  backend?: BackendName;
  /** Also time SGD + atan GAF (alpha 0.1, beta 20) and report its overhead. Default true. PyTorch always runs plain SGD. */
  gaf?: boolean;
  /** Also time each row with gaf-lab's fast kernels switched off. */
  baseline?: boolean;
  /** Groups of `runs` steps for the memory check (default 3). */
  memEpochs?: number;
  /** Input [height, width, channels] for every model (default: each model's own; smallcnn's is 28x28x1). */
  inputShape?: [number, number, number];
  torch?: boolean;
  /** PyTorch thread counts, one timing each (default [1, 2]). */
  torchThreads?: number[];
  /** Also time PyTorch on CUDA when `torch.cuda.is_available()` (default true). */
  torchCuda?: boolean;
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

/** The CUDA device PyTorch sees, or null (no CUDA, or no PyTorch). */
export function torchCudaDevice(): string | null {
  try {
    const out = execFileSync(PYTHON, [TORCH_SCRIPT, 'cuda'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as { available: boolean; device: string | null };
    return r.available ? (r.device ?? 'cuda') : null;
  } catch {
    return null;
  }
}

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

/** wasm heap size in MB (its high-water mark: wasm memory never shrinks), or null on other backends. */
function wasmHeapMb(): number | null {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? Math.round(heap.length / 2 ** 20) : null;
}

const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

/** What one child process reports. */
interface ChildResult {
  ms?: number;
  gafMs?: number;
  sgdUpdateMs?: number;
  gafUpdateMs?: number;
  params?: number;
  memory?: MemorySample[];
  peakHeapMb?: number | null;
  peakRssMb?: number;
  error?: string;
}

/** Times SGD (and SGD + GAF, interleaved) on one model; samples memory after each epoch. */
async function timeTfjs(args: ChildArgs): Promise<ChildResult> {
  const { name, batch, shape, warmup, runs, gaf, memEpochs } = args;
  const numClasses = 10;
  const model = createModel(name, { inputShape: shape, numClasses, seed: 1 });
  const plain = sgd({ learningRate: 0.01, momentum: 0.9 });
  const withGaf = sgd({ learningRate: 0.01, momentum: 0.9, gaf: gafs.atan({ alpha: 0.1, beta: 20 }) });
  const { vars, loss, step, dispose } = timedStep(model, batch, shape, numClasses);
  try {
    for (let i = 0; i < warmup; i++) {
      await step(plain);
      if (gaf) await step(withGaf);
    }
    const times: number[] = [];
    const gafTimes: number[] = [];
    const memory: MemorySample[] = [];
    for (let epoch = 1; epoch <= Math.max(1, memEpochs); epoch++) {
      for (let i = 0; i < runs; i++) {
        const t = await step(plain);
        if (epoch === 1) times.push(t);
        if (gaf) {
          const g = await step(withGaf);
          if (epoch === 1) gafTimes.push(g);
        }
      }
      const m = tf.memory();
      memory.push({ epoch, tensors: m.numTensors, bytes: m.numBytes, heapMb: wasmHeapMb(), rssMb: rssMb() });
    }
    let updates: { sgd: number; gaf: number } | undefined;
    if (gaf) {
      const { value, grads } = tf.variableGrads(loss, vars);
      value.dispose();
      const update = async (optimizer: typeof plain): Promise<number> => {
        const t0 = performance.now();
        optimizer.applyGradients(grads);
        await vars[0]!.data(); // waits for queued work on asynchronous backends
        return performance.now() - t0;
      };
      const sgdUpdates: number[] = [];
      const gafUpdates: number[] = [];
      for (let i = 0; i < Math.max(5, runs); i++) {
        sgdUpdates.push(await update(plain));
        gafUpdates.push(await update(withGaf));
      }
      tf.dispose(grads);
      updates = { sgd: median(sgdUpdates), gaf: median(gafUpdates) };
    }
    return {
      ms: median(times),
      gafMs: gaf ? median(gafTimes) : undefined,
      sgdUpdateMs: updates?.sgd,
      gafUpdateMs: updates?.gaf,
      params: countTrainableParams(model),
      memory,
      peakHeapMb: wasmHeapMb(),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    dispose();
    plain.dispose();
    withGaf.dispose();
    model.dispose();
  }
}

/**
 * Times one tfjs configuration in a fresh child process, so that a wasm abort (the 4 GiB
 * wasm heap running out kills the module) or the heap left grown by a big model cannot
 * affect the other rows.
 */
function timeTfjsInChild(args: ChildArgs): ChildResult {
  try {
    const out = execFileSync(process.execPath, [__filename, '--child', JSON.stringify(args)], {
      encoding: 'utf8',
      maxBuffer: 16 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').pop() as string) as ChildResult;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message?: string };
    const lastJson = (err.stdout ?? '')
      .trim()
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'));
    if (lastJson) return JSON.parse(lastJson) as ChildResult;
    const why = (err.stderr ?? '').split('\n').find((l) => /Error|Abort/.test(l)) ?? err.message ?? 'unknown';
    const oom = /Abort/.test(why) ? ' (on wasm: most likely the 4 GiB wasm heap ran out)' : '';
    return { error: `child process died: ${why.trim().slice(0, 160)}${oom}` };
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
  fast: boolean;
  memEpochs: number;
  backend: BackendName;
}

async function childMain(args: ChildArgs): Promise<void> {
  await initBackend(args.backend);
  setFastTraining(args.fast);
  try {
    console.log(JSON.stringify(await timeTfjs(args)));
  } catch (e) {
    const heap = wasmHeapMb();
    const oom = heap !== null && heap >= 4000 ? ` (wasm heap at ${heap} MB: the 4 GiB wasm memory is exhausted)` : '';
    console.log(JSON.stringify({ error: `${firstLine(e)}${oom}` }));
  }
}

/** Median PyTorch training-step time in ms, from the twin model in a child process. */
function timeTorch(
  name: string,
  batch: number,
  shape: [number, number, number],
  warmup: number,
  runs: number,
  threads: number | undefined,
  device: 'cpu' | 'cuda' = 'cpu',
): { ms: number; threads: number; defaultThreads: number | null } {
  const args = [
    TORCH_SCRIPT,
    'bench',
    '--model',
    name,
    '--batch',
    String(batch),
    '--side',
    String(shape[0]),
    '--channels',
    String(shape[2]),
    '--warmup',
    String(warmup),
    '--runs',
    String(runs),
  ];
  if (threads) args.push('--threads', String(threads));
  if (device === 'cuda') args.push('--device', 'cuda');
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const r = JSON.parse(out.trim().split('\n').pop() as string) as { median_ms: number; threads: number; default_threads?: number };
  return { ms: r.median_ms, threads: r.threads, defaultThreads: r.default_threads ?? null };
}

/** True when nothing the engine or the wasm heap holds grew after the first epoch. */
function isFlat(memory: MemorySample[]): boolean | null {
  if (memory.length < 2) return null;
  const first = memory[0];
  return memory.every((m) => m.tensors === first.tensors && m.bytes === first.bytes && (m.heapMb ?? 0) <= (first.heapMb ?? 0));
}

/** Runs the benchmark; prints nothing (see `onRow`). */
export async function benchModels(opts: ModelBenchOptions = {}): Promise<ModelBenchRow[]> {
  const report = await initBackend(opts.backend ?? 'wasm');
  const backend = report.backend;
  // On webgpu the row names the adapter: a software one's times are no speed figure.
  const backendLabel = backend === 'webgpu' && report.webgpuAdapter ? `webgpu on ${describeAdapter(report.webgpuAdapter)}` : backend;
  const infos = listModels();
  const names = opts.models ?? infos.map((m) => m.name);
  const useTorch = (opts.torch ?? true) && torchAvailable();
  const warmup = opts.warmup ?? 1;
  const runs = opts.runs ?? 3;
  const gaf = opts.gaf ?? true;
  const threadList = opts.torchThreads ?? [1, 2];
  const cuda = useTorch && (opts.torchCuda ?? true) ? torchCudaDevice() : null;
  const rows: ModelBenchRow[] = [];
  for (const asked of names) {
    const info = infos.find((m) => m.name.toLowerCase() === asked.toLowerCase());
    if (!info) throw new Error(`bench-models: unknown model "${asked}"; valid: ${infos.map((m) => m.name).join(', ')}`);
    const shape: [number, number, number] =
      info.family === 'imagenet-resnet' ? [opts.imagenetSide ?? 224, opts.imagenetSide ?? 224, 3] : (opts.inputShape ?? info.inputShape);
    const batches = Object.entries(opts.batchesByModel ?? {}).find(([m]) => m.toLowerCase() === info.name.toLowerCase())?.[1] ??
      opts.batches ?? [32, 128];
    for (const batch of batches) {
      const row: ModelBenchRow = {
        model: info.name,
        batch,
        inputShape: shape,
        params: info.params10,
        backend: backendLabel,
        msPerStep: null,
        imagesPerSec: null,
        baselineMsPerStep: null,
        gafMsPerStep: null,
        gafOverhead: null,
        sgdUpdateMs: null,
        gafUpdateMs: null,
        gafUpdateOverhead: null,
        torchMsPerStep: null,
        torchImagesPerSec: null,
        torchThreads: null,
        torch: [],
        torchCudaMs: null,
        cudaRatio: null,
        torchDefaultThreads: null,
        ratio: null,
        peakHeapMb: null,
        peakRssMb: null,
        memory: [],
        memoryFlat: null,
        note: '',
      };
      const common = { name: info.name, batch, shape, warmup, runs, backend };
      const notes: string[] = [];
      if (opts.baseline) {
        const b = timeTfjsInChild({ ...common, gaf: false, fast: false, memEpochs: 1 });
        if (b.ms !== undefined) row.baselineMsPerStep = b.ms;
        else notes.push(`baseline failed: ${b.error ?? 'no result'}`);
      }
      const r = timeTfjsInChild({ ...common, gaf, fast: true, memEpochs: opts.memEpochs ?? 3 });
      if (r.ms !== undefined) {
        row.msPerStep = r.ms;
        row.imagesPerSec = (batch * 1000) / r.ms;
        row.params = r.params ?? row.params;
        row.gafMsPerStep = r.gafMs ?? null;
        row.gafOverhead = r.gafMs !== undefined ? r.gafMs / r.ms - 1 : null;
        row.sgdUpdateMs = r.sgdUpdateMs ?? null;
        row.gafUpdateMs = r.gafUpdateMs ?? null;
        row.gafUpdateOverhead = r.gafUpdateMs !== undefined && r.sgdUpdateMs !== undefined ? (r.gafUpdateMs - r.sgdUpdateMs) / r.ms : null;
        row.memory = r.memory ?? [];
        row.memoryFlat = isFlat(row.memory);
        row.peakHeapMb = r.peakHeapMb ?? null;
        row.peakRssMb = r.peakRssMb ?? null;
      } else {
        notes.push(`tfjs failed: ${r.error ?? 'no result'}`);
      }
      if (useTorch) {
        for (const threads of threadList) {
          try {
            const t = timeTorch(info.name, batch, shape, warmup, runs, threads);
            row.torch.push({ threads: t.threads, ms: t.ms });
            row.torchDefaultThreads = t.defaultThreads;
          } catch (e) {
            notes.push(`PyTorch (${threads} threads) failed: ${firstLine(e)}`);
          }
        }
        if (cuda === null) {
          if (opts.torchCuda !== false) notes.push('no PyTorch CUDA: torch.cuda.is_available() is False');
        } else {
          try {
            row.torchCudaMs = timeTorch(info.name, batch, shape, warmup, runs, undefined, 'cuda').ms;
            if (row.msPerStep !== null) row.cudaRatio = row.msPerStep / row.torchCudaMs;
          } catch (e) {
            notes.push(`PyTorch on CUDA (${cuda}) failed: ${firstLine(e)}`);
          }
        }
        const first = row.torch[0];
        if (first) {
          row.torchMsPerStep = first.ms;
          row.torchImagesPerSec = (batch * 1000) / first.ms;
          row.torchThreads = first.threads;
          if (row.msPerStep !== null) row.ratio = row.msPerStep / first.ms;
        }
      } else {
        notes.push(
          opts.torch === false
            ? 'PyTorch timing off (--no-torch)'
            : 'PyTorch not importable by /usr/bin/python3 (apt-get install python3-torch)',
        );
      }
      row.note = notes.join('; ');
      rows.push(row);
      opts.onRow?.(row);
    }
  }
  return rows;
}

const fmt = (v: number | null | undefined, digits = 0): string => (v === null || v === undefined ? '-' : v.toFixed(digits));

/** Markdown table header matching {@link formatRow} for the given PyTorch thread counts. */
export function tableHeader(torchThreads: number[] = [1, 2]): string {
  const torchCols = [...torchThreads.flatMap((t) => [`PyTorch ms (${t} thr)`, `ratio (${t} thr)`]), 'PyTorch CUDA ms', 'ratio (CUDA)'];
  const cols = [
    'model',
    'batch',
    'input',
    'tfjs ms before',
    'tfjs ms',
    'img/s',
    ...torchCols,
    'SGD+GAF ms',
    'GAF overhead (steps)',
    'update ms SGD / +GAF',
    'GAF overhead (updates)',
    'peak heap MB',
    'peak RSS MB',
    'memory flat',
    'note',
  ];
  return `| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`;
}

/** The header for the default options (PyTorch at 1 and 2 threads). */
export const TABLE_HEADER = tableHeader();

/** One markdown table row (columns of {@link tableHeader} with the same thread counts). */
export function formatRow(r: ModelBenchRow, torchThreads: number[] = [1, 2]): string {
  const torchCols = torchThreads.flatMap((t) => {
    const tt = r.torch.find((x) => x.threads === t);
    return [fmt(tt?.ms), tt && r.msPerStep !== null ? fmt(r.msPerStep / tt.ms, 2) : '-'];
  });
  torchCols.push(fmt(r.torchCudaMs, 1), fmt(r.cudaRatio, 2));
  const flat =
    r.memoryFlat === null
      ? '-'
      : r.memoryFlat
        ? `yes (${r.memory[0]?.tensors} tensors)`
        : `NO: ${r.memory.map((m) => `${m.tensors}t/${m.heapMb}MB`).join(' -> ')}`;
  const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
  const cols = [
    r.model,
    String(r.batch),
    r.inputShape.join('x'),
    fmt(r.baselineMsPerStep),
    fmt(r.msPerStep),
    fmt(r.imagesPerSec, 1),
    ...torchCols,
    fmt(r.gafMsPerStep),
    pct(r.gafOverhead),
    `${fmt(r.sgdUpdateMs, 1)} / ${fmt(r.gafUpdateMs, 1)}`,
    pct(r.gafUpdateOverhead),
    fmt(r.peakHeapMb),
    fmt(r.peakRssMb),
    flat,
    r.note,
  ];
  return `| ${cols.join(' | ')} |`;
}

/** Usage of `node build/scripts/bench-models.js`. */
export const BENCH_MODELS_USAGE = `node build/scripts/bench-models.js [options]     (build first: npm run build:test)

Training-step time of each zoo model on this machine's tfjs backend, next to PyTorch's when
/usr/bin/python3 can import torch. The default model list is every model: expect hours on
wasm; pass --models for a subset.

  --models A,B          models to time (default: all of them)
  --batches 32,128      batch sizes for every model, or model=batch pairs (smallcnn=128,MobileNetV2=32)
  --warmup N            untimed steps first (default 1)
  --runs N              timed steps; the median is reported (default 3)
  --input HxWxC         input shape for every model (default: each model's own)
  --backend NAME        wasm (default), webgpu, tensorflow or cpu (webgpu: the GPU WebGPU finds, or the
                        software adapter on a machine without one: correctness only, no speed figure)
  --no-gaf              do not time SGD + atan GAF next to plain SGD
  --baseline            also time each row with gaf-lab's fast kernels off
  --mem-epochs N        groups of --runs steps for the memory check (default 3)
  --no-torch            skip the PyTorch timing
  --torch-threads 1,2   PyTorch thread counts, one timing each (default 1,2)
  --no-cuda             do not time PyTorch on CUDA (timed by default when torch.cuda.is_available())
  --imagenet-side N     input side of the ImageNet ResNets (default 224)
  --json                print the rows as JSON instead of a markdown table`;

/** The benchmark's options from its command line; throws a UsageError for a bad one. */
function readBenchArgs(argv: readonly string[]): { opts: ModelBenchOptions; json: boolean; torchThreads: number[] | undefined } {
  const { values: v } = parseCommandLine(
    argv,
    {
      models: 'string',
      batches: 'string',
      warmup: 'string',
      runs: 'string',
      input: 'string',
      backend: 'string',
      'no-gaf': 'boolean',
      baseline: 'boolean',
      'mem-epochs': 'string',
      'no-torch': 'boolean',
      'torch-threads': 'string',
      'no-cuda': 'boolean',
      'imagenet-side': 'string',
      json: 'boolean',
    },
    { min: 0, max: 0, what: 'options only' },
  );
  const batchItems = listOption(v.batches, 'batches');
  const byModel = batchItems?.every((b) => b.includes('='))
    ? batchItems.reduce<Record<string, number[]>>((acc, b) => {
        const [m, n] = b.split('=');
        const batch = Number(n);
        if (!m || !Number.isInteger(batch) || batch < 1)
          throw new UsageError(`--batches: "${b}" is not model=batch with a positive integer batch.`);
        (acc[m] ??= []).push(batch);
        return acc;
      }, {})
    : undefined;
  const input = v.input?.split('x').map(Number);
  if (input && (input.length !== 3 || input.some((x) => !Number.isInteger(x) || x < 1))) {
    throw new UsageError(`--input must look like 32x32x3 (height x width x channels), got "${v.input}".`);
  }
  const backends: readonly BackendName[] = ['wasm', 'webgpu', 'tensorflow', 'cpu'];
  if (v.backend !== undefined && !backends.includes(v.backend as BackendName))
    throw new UsageError(`--backend must be one of ${backends.join(', ')}, got "${v.backend}".`);
  const torchThreads = intListOption(v['torch-threads'], 'torch-threads');
  const opts: ModelBenchOptions = {
    models: listOption(v.models, 'models'),
    batches: byModel ? undefined : intListOption(v.batches, 'batches'),
    batchesByModel: byModel,
    warmup: v.warmup === undefined ? undefined : intOption(v.warmup, 'warmup', 1, 0),
    runs: v.runs === undefined ? undefined : intOption(v.runs, 'runs', 1),
    backend: v.backend as BackendName | undefined,
    gaf: v['no-gaf'] !== true,
    baseline: v.baseline === true,
    memEpochs: v['mem-epochs'] === undefined ? undefined : intOption(v['mem-epochs'], 'mem-epochs', 1),
    inputShape: input as [number, number, number] | undefined,
    torch: v['no-torch'] !== true,
    torchThreads,
    torchCuda: v['no-cuda'] !== true,
    imagenetSide: v['imagenet-side'] === undefined ? undefined : intOption(v['imagenet-side'], 'imagenet-side', 1),
  };
  return { opts, json: v.json === true, torchThreads };
}

if (require.main === module && process.argv[2] === '--child') {
  childMain(JSON.parse(process.argv[3]) as ChildArgs).catch((e: unknown) => {
    console.log(JSON.stringify({ error: firstLine(e) }));
  });
} else if (require.main === module) {
  const { opts, json, torchThreads } = scriptArgs('bench-models', BENCH_MODELS_USAGE, readBenchArgs);
  if (!json) {
    console.log(
      `tfjs ${tf.version.tfjs}; warm-up ${opts.warmup ?? 1}, median of ${opts.runs ?? 3} steps; SGD momentum 0.9 ` +
        `(SGD+GAF: atan alpha 0.1 beta 20, interleaved with the SGD steps); ratio = tfjs / PyTorch; ` +
        `memory: ${opts.memEpochs ?? 3} epochs of ${opts.runs ?? 3} steps`,
    );
    console.log(tableHeader(torchThreads));
  }
  benchModels({ ...opts, onRow: json ? undefined : (r) => console.log(formatRow(r, torchThreads)) })
    .then((rows) => {
      if (json) console.log(JSON.stringify(rows, null, 2));
      else if (rows[0]) {
        const def = rows.find((r) => r.torchDefaultThreads !== null)?.torchDefaultThreads;
        console.log(`backend: ${rows[0].backend}; PyTorch's default thread count here: ${def ?? '-'}`);
      }
    })
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}
