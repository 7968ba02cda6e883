/**
 * The threaded SIMD build of tfjs-backend-wasm in Node: XNNPACK's thread pool, so that one
 * training run uses every core it may.
 *
 * tfjs turns the threaded build off in Node. It runs there with three changes, all of them
 * made here and only for the duration of the backend's start ({@link startWasmBackend}):
 * 1. the flag `WASM_HAS_MULTITHREAD_SUPPORT` and the package's `setThreadsCount`;
 * 2. the pool's workers: tfjs builds them from a `blob:` URL, which Node's `Worker` refuses, so
 *    `worker_threads.Worker` is wrapped to start them from the worker source the package exports
 *    (`eval: true`), and their `load` message gets the path of the threaded module instead of
 *    its Blob (a Blob cannot be imported in Node);
 * 3. the C++ side caps the pool at half of `os.cpus().length` (it assumes two hyper-threads per
 *    core), so `os.cpus()` reports twice the count asked for while the pool is created.
 * These are internals of one version of the package: anything that differs from what this file
 * was written for turns threading off with the reason in the backend report, never a guess.
 *
 * The pool lives as long as the process (the wasm module cannot be restarted), so a notebook that
 * trains twice reuses it; its threads never keep the process alive (a finished CLI run exits).
 * A pool thread that dies cannot be replaced and the next pooled kernel would wait for it
 * forever, so a death ends the process at once with a message that says so.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type * as WorkerThreads from 'node:worker_threads';
import { simdKernelsSwitchedOff, startTileRunner } from './simd/tile-threads';
import { wasmMemoryOf } from './wasm-kernels/wasm-backend-access';

// The module objects themselves, which the threaded module reads when it starts (an import
// would be a copy, and patching it would change nothing).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const workerThreads = require('node:worker_threads') as typeof WorkerThreads;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
const os = require('node:os') as typeof import('node:os');

/** The tfjs-backend-wasm version whose internals this module patches. */
export const WASM_THREADS_TFJS_VERSION = '4.22.0';

/**
 * Largest pool: the threaded module starts 8 workers up front (a thread beyond them would be
 * started while the main thread waits for it), and the build makes a pool of 8 threads when 9
 * or more are asked for (seen with 4.22.0).
 */
export const MAX_WASM_THREADS = 8;

/** How many threads wasm training uses, who asked for it, and how they run. */
export interface WasmThreadsReport {
  /** Threads the count setting asked for (before any fallback). */
  requested: number;
  /** Where the count came from. */
  requestedBy: 'argument' | 'GAF_THREADS' | 'default (os.availableParallelism())';
  /** Threads XNNPACK's pool really uses (1: single-threaded build). */
  threads: number;
  /** Plain-language account: which build, and why not more threads when fewer run. */
  how: string;
}

/** Reads GAF_THREADS: undefined when unset, a count otherwise. */
function threadsFromEnv(): number | undefined {
  const raw = process.env['GAF_THREADS'];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `gaf-lab: GAF_THREADS is "${raw}"; use a whole number of threads >= 1 (1: single-threaded), or leave it unset for every core.`,
    );
  return n;
}

/**
 * The thread count for wasm training: the argument, else GAF_THREADS, else every core the process
 * may use (`os.availableParallelism()`).
 * @throws for a count that is not a whole number >= 1, naming where it came from.
 */
export function resolveThreadCount(option?: number): { count: number; requestedBy: WasmThreadsReport['requestedBy'] } {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1)
      throw new Error(
        `gaf-lab: threads is ${option}; use a whole number of threads >= 1 (1: single-threaded), or leave it out for every core.`,
      );
    return { count: option, requestedBy: 'argument' };
  }
  const env = threadsFromEnv();
  if (env !== undefined) return { count: env, requestedBy: 'GAF_THREADS' };
  return { count: os.availableParallelism(), requestedBy: 'default (os.availableParallelism())' };
}

/** The package's parts this module relies on, found or the reason they are not usable. */
export interface WasmThreadInternals {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
  /** Worker source, escaped as tfjs escapes it for its Blob. */
  workerSource: string;
  /** Path of the threaded module the workers import. */
  threadedModulePath: string;
}

/**
 * The parts of tfjs-backend-wasm (installed, or the copy in `pkgDir`) that threading needs, or
 * the reason it cannot be turned on: another version, or a file that is missing or differs.
 */
export function findWasmThreadInternals(pkgDir?: string): WasmThreadInternals | string {
  let version: string;
  try {
    pkgDir ??= path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    const pkgJson = path.join(pkgDir, 'package.json');
    version = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  } catch (e) {
    return `@tensorflow/tfjs-backend-wasm's package.json could not be read (${e instanceof Error ? e.message : String(e)})`;
  }
  if (version !== WASM_THREADS_TFJS_VERSION)
    return `@tensorflow/tfjs-backend-wasm is ${version}; gaf-lab's threading patch was written for ${WASM_THREADS_TFJS_VERSION} and is not applied to other versions`;
  const workerFile = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const threadedModulePath = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  if (!fs.existsSync(threadedModulePath) || !fs.existsSync(path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.wasm')))
    return `the threaded SIMD build is missing from ${path.join(pkgDir, 'wasm-out')}`;
  let contents: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the worker source is a module export of this file
    contents = (require(workerFile) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
  } catch (e) {
    return `${workerFile} could not be loaded (${e instanceof Error ? e.message : String(e)})`;
  }
  if (typeof contents !== 'string' || !contents.includes('importScripts(e.data.urlOrBlob)'))
    return `${workerFile} does not export the worker source this patch expects (wasmWorkerContents with a string urlOrBlob import)`;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package's own thread-count setters
  const wasm = require(pkgDir) as { setThreadsCount?: unknown; getThreadsCount?: unknown };
  if (typeof wasm.setThreadsCount !== 'function' || typeof wasm.getThreadsCount !== 'function')
    return '@tensorflow/tfjs-backend-wasm exports no setThreadsCount/getThreadsCount';
  return {
    setThreadsCount: wasm.setThreadsCount as (n: number) => void,
    getThreadsCount: wasm.getThreadsCount as () => number,
    // tfjs escapes '\n' this way before it makes the Blob; the source relies on it.
    workerSource: contents.replace(/\n/g, '\\n'),
    threadedModulePath,
  };
}

/**
 * Runs in each pool worker before the package's worker source: a crash of the thread (a wasm
 * trap, an exception) would leave the main thread waiting for it inside a kernel, where no
 * event can reach it, so the worker itself reports and ends the process.
 */
export const POOL_WORKER_PRELUDE =
  "require('worker_threads').parentPort && process.on('uncaughtException', (e) => {" +
  " require('fs').writeSync(2, '\\ngaf-lab: a thread of the wasm backend\\'s pool crashed: ' + ((e && e.stack) || e) +" +
  " '\\ngaf-lab: the pool cannot continue without it; the process ends (run with GAF_THREADS=1 to train single-threaded).\\n');" +
  " process.kill(process.pid, 'SIGKILL'); });\n";

/** The pool's workers of this process, for the death watch and tests. */
const poolWorkers: WorkerThreads.Worker[] = [];
let exiting = false;
process.once('exit', () => {
  exiting = true;
});

/** A death of a pool thread while the main thread is free: end the process with a message. */
function onPoolWorkerExit(code: number): void {
  if (exiting) return;
  process.stderr.write(
    `\ngaf-lab: a thread of the wasm backend's pool exited (code ${code}); the pool cannot continue without it, ` +
      'so the process ends. Run with GAF_THREADS=1 to train single-threaded.\n',
  );
  process.exit(70);
}

/** The Worker class the pool is started with while {@link startWasmBackend} runs. */
function poolWorkerClass(internals: WasmThreadInternals): typeof WorkerThreads.Worker {
  const Base = workerThreads.Worker;
  class PoolWorker extends Base {
    constructor(filename: string | URL, options?: WorkerThreads.WorkerOptions) {
      const blob = typeof filename === 'string' ? filename.startsWith('blob:') : filename.protocol === 'blob:';
      if (!blob) {
        super(filename, options);
        return;
      }
      super(POOL_WORKER_PRELUDE + internals.workerSource, { ...options, eval: true });
      poolWorkers.push(this);
      this.on('exit', (code) => {
        if (!retiredWorkers.has(this)) onPoolWorkerExit(code);
      });
    }

    override postMessage(value: unknown, transferList?: readonly WorkerThreads.TransferListItem[]): void {
      const msg = value as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (msg && msg.cmd === 'load' && typeof msg.urlOrBlob !== 'string') value = { ...msg, urlOrBlob: internals.threadedModulePath };
      super.postMessage(value, transferList);
    }

    /** The pool's threads never keep the process alive: a finished run exits. */
    override ref(): void {}
  }
  return PoolWorker;
}

/**
 * The wasm backend object when it has been started, else undefined. Read from the engine's
 * registry: `tf.findBackend` would start the backend itself, before the changes are in place.
 */
function wasmBackendObject(): unknown {
  return (tf.engine() as unknown as { registry: Record<string, unknown> }).registry['wasm'];
}

/** Workers the pool's owner ended on purpose (their exit is no death). */
const retiredWorkers = new WeakSet<object>();

/**
 * The threaded module starts 8 workers whatever the thread count; those XNNPACK's pool did not
 * take stay idle for the life of the process (about 10 MB each). They are ended; nothing in
 * tfjs starts a thread after the pool is made.
 * @returns how many were ended, or why none could be.
 */
function retireIdleWorkers(): number | string {
  const backend = wasmBackendObject() as { wasm?: { PThread?: { unusedWorkers?: unknown } } } | undefined;
  const idle = backend?.wasm?.PThread?.unusedWorkers;
  if (!Array.isArray(idle)) return 'idle workers left running: the module has no PThread.unusedWorkers';
  const ended = idle.splice(0) as WorkerThreads.Worker[];
  for (const w of ended) {
    retiredWorkers.add(w);
    void w.terminate();
  }
  return ended.length;
}

/** The report of this process's wasm backend, once started (the pool is fixed for the process). */
let started: WasmThreadsReport | undefined;

/** Live pool threads of this process (0 single-threaded). */
export function wasmPoolThreadCount(): number {
  return poolWorkers.filter((w) => !retiredWorkers.has(w) && w.threadId !== -1).length;
}

/** For tests: the pool's worker objects. */
export function wasmPoolWorkersForTest(): readonly WorkerThreads.Worker[] {
  return poolWorkers.filter((w) => !retiredWorkers.has(w));
}

/**
 * Starts the wasm backend (`start` calls `tf.setBackend('wasm')`) with `count` threads: the
 * threaded SIMD build with the changes of the module comment, undone when `start` returns; the
 * plain SIMD build for 1 thread or when the package differs from what the changes were written for.
 * A wasm backend already started in this process keeps its threads (a different count needs a
 * new process; the report says so).
 */
export async function startWasmBackend(
  request: { count: number; requestedBy: WasmThreadsReport['requestedBy'] },
  start: () => Promise<void>,
): Promise<WasmThreadsReport> {
  const first = started === undefined;
  const report = await startBackendModule(request, start);
  if (!first || started === undefined) return report;
  started.how += `; ${await startOwnKernelThreads(started.threads)}`;
  return { ...report, how: started.how };
}

/**
 * Starts the workers of gaf-lab's own SIMD kernels on the backend's memory, as many as
 * XNNPACK's pool has (see src/backend/simd/tile-threads.ts).
 * @returns a phrase for the report.
 */
async function startOwnKernelThreads(threads: number): Promise<string> {
  const off = simdKernelsSwitchedOff();
  if (off !== undefined) return `gaf-lab's SIMD convolution kernels ${off}`;
  const memory = wasmMemoryOf(wasmBackendObject());
  if (memory === undefined) return "gaf-lab's SIMD convolution kernels off: the wasm module exposes no memory";
  const runner = await startTileRunner(memory, threads);
  if (typeof runner === 'string') return `gaf-lab's SIMD convolution kernels off: ${runner}`;
  return runner.threads === 1
    ? "gaf-lab's SIMD convolution kernels on the calling thread"
    : `gaf-lab's SIMD convolution kernels on ${runner.threads} threads (the calling thread and ${runner.threads - 1} worker${runner.threads === 2 ? '' : 's'} of its own)`;
}

async function startBackendModule(
  request: { count: number; requestedBy: WasmThreadsReport['requestedBy'] },
  start: () => Promise<void>,
): Promise<WasmThreadsReport> {
  const base = { requested: request.count, requestedBy: request.requestedBy };
  if (started) {
    await start();
    const note =
      started.threads === request.count ? '' : `; ${request.count} asked for, but the pool of a process is fixed: start a new process`;
    return { ...base, threads: started.threads, how: `${started.how}${note}` };
  }
  if (wasmBackendObject() !== undefined) {
    await start();
    const n = (findWasmThreadInternals() as Partial<WasmThreadInternals>).getThreadsCount?.() ?? 1;
    started = { ...base, threads: n, how: `wasm backend started before gaf-lab's initBackend: ${n} thread(s), as it was set up` };
    return started;
  }
  const single = async (why: string): Promise<WasmThreadsReport> => {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    await start();
    started = { ...base, threads: 1, how: `single-threaded SIMD build (${why})` };
    return started;
  };
  if (request.count === 1) return single(`1 thread asked for by ${request.requestedBy}`);
  const internals = findWasmThreadInternals();
  if (typeof internals === 'string') return single(`threading off: ${internals}`);
  const count = Math.min(request.count, MAX_WASM_THREADS);
  const capped = count < request.count ? `; ${request.count} asked for, capped at the pool's ${MAX_WASM_THREADS}` : '';

  const originalWorker = workerThreads.Worker;
  const hadGlobalWorker = Object.prototype.hasOwnProperty.call(globalThis, 'Worker');
  const globalWorker = (globalThis as { Worker?: unknown }).Worker;
  const originalCpus = os.cpus;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  internals.setThreadsCount(count);
  (workerThreads as { Worker: typeof WorkerThreads.Worker }).Worker = poolWorkerClass(internals);
  (os as { cpus: typeof os.cpus }).cpus = () => {
    const real = originalCpus();
    return Array.from({ length: Math.max(real.length, 2 * count) }, (_, i) => real[i % real.length]!);
  };
  try {
    await start();
  } finally {
    (workerThreads as { Worker: typeof WorkerThreads.Worker }).Worker = originalWorker;
    (os as { cpus: typeof os.cpus }).cpus = originalCpus;
    // The threaded module put the (wrapped) Worker class on the global object; the pool is made.
    if (hadGlobalWorker) (globalThis as { Worker?: unknown }).Worker = globalWorker;
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
  const threads = internals.getThreadsCount();
  const retired = retireIdleWorkers();
  started = {
    ...base,
    threads,
    how:
      threads === count
        ? `threaded SIMD build, XNNPACK pool of ${threads} threads (the calling thread and ${threads - 1} worker${threads === 2 ? '' : 's'})${capped}`
        : `threaded SIMD build, but XNNPACK made a pool of ${threads} threads where ${count} were asked for${capped}`,
  };
  if (typeof retired === 'string') started.how += `; ${retired}`;
  return started;
}

/** One line for reports: `threads: 2 (threaded SIMD build, ...; asked for by GAF_THREADS)`. */
export function formatWasmThreads(r: WasmThreadsReport): string {
  return `threads: ${r.threads} (${r.how}; count from ${r.requestedBy}${r.requested !== r.threads ? `, which asked for ${r.requested}` : ''})`;
}

/**
 * Threads for each of `workers` processes that train side by side (a sweep), so that together
 * they never ask for more threads than the cores the parent may use: floor(cores / workers), at
 * least 1 (a 2-worker sweep on 2 cores: 1 thread each).
 */
export function threadsPerWorker(workers: number, cores: number = os.availableParallelism()): number {
  return Math.max(1, Math.floor(cores / Math.max(1, workers)));
}
