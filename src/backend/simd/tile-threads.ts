/**
 * Runs gaf-lab's own SIMD tile kernels ({@link kernelModule}) on the calling thread and on
 * worker threads of gaf-lab's own that share the wasm backend's memory.
 *
 * XNNPACK's thread pool only runs XNNPACK's operators; the filter gradient, which was half of
 * a ResNet-20 step at 2 threads, ran on the calling thread alone. With the threaded wasm build
 * the backend's memory is a shared WebAssembly.Memory, so other threads can run kernels on
 * the tensors in place. A job is one list of tile calls per thread; the lists cover disjoint
 * outputs, and each output's sum runs in the same order whichever thread computes it, so the
 * result is bit-identical at any thread count.
 *
 * Protocol (one control block of Int32 slots in a SharedArrayBuffer): slot 0 the job number
 * the workers wait on, slot 1 the workers still running the job, slot 2 the first failing
 * worker (1-based; 0 none), then per worker the heap index and length of its call list. A
 * worker that throws (a wasm trap, say) records its message and finishes the job, so the
 * calling thread fails with that message instead of waiting forever.
 * @module
 */
import { Worker } from 'node:worker_threads';
import { KERNEL_FUNCTION_ORDER, kernelFunctions, KernelFunction, kernelModule, MAX_KERNEL_PARAMS } from './simd-module';
import { WasmMemory, wasmApi } from './webassembly';

/** Int32 slots per call record: the function's index in {@link KERNEL_FUNCTION_ORDER}, then its parameters (unused ones 0). */
export const CALL_SLOTS = 1 + MAX_KERNEL_PARAMS;

/** A call record for `name` with `params` (padded to the record's width). */
export function callRecord(name: string, params: readonly number[]): number[] {
  const i = KERNEL_FUNCTION_ORDER.indexOf(name);
  if (i < 0 || params.length > MAX_KERNEL_PARAMS) throw new Error(`internal: no kernel function ${name} with ${params.length} parameters`);
  return [i, ...params, ...new Array<number>(MAX_KERNEL_PARAMS - params.length).fill(0)];
}

const SLOT_JOB = 0;
const SLOT_RUNNING = 1;
const SLOT_FAILED = 2;
const SLOT_LISTS = 4;
const ERROR_BYTES = 4096;

// Plain JavaScript, evaluated as the worker's main script (`eval: true`): the worker needs no
// file next to the compiled library, so bundles work too.
if (MAX_KERNEL_PARAMS !== 20) throw new Error('internal: the worker and runCalls pass 20 kernel parameters');
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { memory, module, control, errors, index, names, slots } = workerData;
const ctrl = new Int32Array(control);
const fns = (() => {
  const inst = new WebAssembly.Instance(module, { env: { memory } });
  return names.map((n) => inst.exports[n]);
})();
let open = false;
function fail(message) {
  if (Atomics.compareExchange(ctrl, ${SLOT_FAILED}, 0, index + 1) === 0) {
    const bytes = Buffer.from(String(message)).subarray(0, ${ERROR_BYTES - 4});
    const view = new Uint8Array(errors);
    new Int32Array(errors, 0, 1)[0] = bytes.length;
    view.set(bytes, 4);
  }
}
function finish() {
  open = false;
  if (Atomics.sub(ctrl, ${SLOT_RUNNING}, 1) === 1) Atomics.notify(ctrl, ${SLOT_RUNNING});
}
process.on('exit', () => { if (open) { fail('the worker thread exited during a job'); finish(); } });
parentPort.postMessage('ready');
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, ${SLOT_JOB}, seen);
  seen = Atomics.load(ctrl, ${SLOT_JOB});
  open = true;
  try {
    const heap = new Int32Array(memory.buffer);
    const start = ctrl[${SLOT_LISTS} + 2 * index];
    const count = ctrl[${SLOT_LISTS + 1} + 2 * index];
    for (let k = 0; k < count; k++) {
      const b = start + k * slots;
      fns[heap[b]](heap[b + 1], heap[b + 2], heap[b + 3], heap[b + 4], heap[b + 5], heap[b + 6], heap[b + 7], heap[b + 8], heap[b + 9], heap[b + 10], heap[b + 11], heap[b + 12], heap[b + 13], heap[b + 14], heap[b + 15], heap[b + 16], heap[b + 17], heap[b + 18], heap[b + 19], heap[b + 20]);
    }
  } catch (e) {
    fail(e && e.stack ? e.stack : e);
  }
  finish();
}
`;

/** Runs call lists: list 0 on the calling thread, list i on worker i. */
export interface TileRunner {
  /** Threads that run tiles (the calling thread included). */
  readonly threads: number;
  /** The kernel functions on the calling thread, in {@link KERNEL_FUNCTION_ORDER}. */
  readonly functions: readonly KernelFunction[];
  /**
   * Runs `lists[0]` here and `lists[i]` (i >= 1) on worker i, and returns when all are done.
   * @param workerLists heap int32 index of each worker's call list (i >= 1) and its call count.
   * @throws the first worker's error, when one failed.
   */
  run(own: ArrayLike<number>, workerLists: { start: number; calls: number }[]): void;
}

/** Runs a list of call records on the calling thread. */
export function runCalls(functions: readonly KernelFunction[], calls: ArrayLike<number>): void {
  for (let b = 0; b < calls.length; b += CALL_SLOTS) {
    const f = functions[calls[b]!]!;
    f(
      calls[b + 1]!,
      calls[b + 2]!,
      calls[b + 3]!,
      calls[b + 4]!,
      calls[b + 5]!,
      calls[b + 6]!,
      calls[b + 7]!,
      calls[b + 8]!,
      calls[b + 9]!,
      calls[b + 10]!,
      calls[b + 11]!,
      calls[b + 12]!,
      calls[b + 13]!,
      calls[b + 14]!,
      calls[b + 15]!,
      calls[b + 16]!,
      calls[b + 17]!,
      calls[b + 18]!,
      calls[b + 19]!,
      calls[b + 20]!,
    );
  }
}

class PooledRunner implements TileRunner {
  private readonly ctrl: Int32Array;
  private readonly errors: SharedArrayBuffer;
  private broken: string | undefined;

  /** Makes every later job fail at once with `why` (a worker is gone; it cannot be replaced). */
  markBroken(why: string): void {
    this.broken ??= why;
  }

  constructor(
    readonly threads: number,
    readonly functions: readonly KernelFunction[],
    control: SharedArrayBuffer,
    errors: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(control);
    this.errors = errors;
  }

  run(own: ArrayLike<number>, workerLists: { start: number; calls: number }[]): void {
    if (this.broken !== undefined) throw new Error(this.broken);
    if (workerLists.length !== this.threads - 1)
      throw new Error(`internal: ${workerLists.length} worker lists for ${this.threads - 1} workers`);
    workerLists.forEach((l, i) => {
      this.ctrl[SLOT_LISTS + 2 * i] = l.start;
      this.ctrl[SLOT_LISTS + 1 + 2 * i] = l.calls;
    });
    Atomics.store(this.ctrl, SLOT_RUNNING, this.threads - 1);
    Atomics.add(this.ctrl, SLOT_JOB, 1);
    Atomics.notify(this.ctrl, SLOT_JOB);
    let ownError: unknown;
    try {
      runCalls(this.functions, own);
    } catch (e) {
      ownError = e;
    }
    for (;;) {
      const running = Atomics.load(this.ctrl, SLOT_RUNNING);
      if (running === 0) break;
      Atomics.wait(this.ctrl, SLOT_RUNNING, running);
    }
    const failed = Atomics.load(this.ctrl, SLOT_FAILED);
    if (failed !== 0) {
      const n = new Int32Array(this.errors, 0, 1)[0]!;
      const message = Buffer.from(new Uint8Array(this.errors, 4, n)).toString();
      // A worker that failed once may have stopped; later jobs fail at once instead of waiting.
      this.markBroken(
        `gaf-lab's kernel worker thread ${failed} failed earlier in this process (${message.split('\n')[0]}); restart the process (a run resumes from its last checkpoint).`,
      );
      throw new Error(`gaf-lab's kernel worker thread ${failed} failed: ${message}`);
    }
    if (ownError !== undefined) throw ownError;
  }
}

class SingleRunner implements TileRunner {
  readonly threads = 1;
  constructor(readonly functions: readonly KernelFunction[]) {}
  run(own: ArrayLike<number>, workerLists: { start: number; calls: number }[]): void {
    if (workerLists.length !== 0) throw new Error('internal: worker lists for a single-threaded runner');
    runCalls(this.functions, own);
  }
}

const runners = new WeakMap<WasmMemory, TileRunner | string>();

/** True for memory shared between threads (the threaded wasm build's). */
function isShared(memory: WasmMemory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * Makes the runner for a memory: `threads - 1` workers when the memory is shared and more
 * than one thread is asked for, the calling thread alone otherwise. Waits until every worker
 * has compiled its instance. Once per memory; later calls return the first runner.
 * @returns the runner, or why there is none (no WebAssembly SIMD).
 */
export async function startTileRunner(memory: WasmMemory, threads: number): Promise<TileRunner | string> {
  const existing = runners.get(memory);
  if (existing !== undefined) return existing;
  const shared = isShared(memory);
  const module = kernelModule(shared);
  if (typeof module === 'string') {
    runners.set(memory, module);
    return module;
  }
  const functions = kernelFunctions(new wasmApi.Instance(module, { env: { memory } }));
  if (!shared || threads <= 1) {
    const r = new SingleRunner(functions);
    runners.set(memory, r);
    return r;
  }
  const control = new SharedArrayBuffer(4 * (SLOT_LISTS + 2 * (threads - 1)));
  const errors = new SharedArrayBuffer(ERROR_BYTES);
  const workers = Array.from(
    { length: threads - 1 },
    (_, index) =>
      new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { memory, module, control, errors, index, names: KERNEL_FUNCTION_ORDER, slots: CALL_SLOTS },
      }),
  );
  await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', (e) => reject(new Error(`gaf-lab's kernel worker thread ${i + 1} did not start: ${e.message}`)));
        }),
    ),
  );
  const r = new PooledRunner(threads, functions, control, errors);
  workers.forEach((w, i) => {
    // Between jobs the calling thread sees a worker's end as an event; during a job the
    // worker's own exit handler reports it (the calling thread is blocked then).
    const gone = (why: string) =>
      r.markBroken(`gaf-lab's kernel worker thread ${i + 1} ${why}; restart the process (a run resumes from its last checkpoint).`);
    w.on('error', (e) => gone(`failed: ${e.message}`));
    w.on('exit', (code) => gone(`exited (code ${code})`));
    // The workers wait on the control block for good; they must not keep a finished process alive.
    w.unref();
  });
  runners.set(memory, r);
  return r;
}

/** The runner {@link startTileRunner} made for a memory, or why there is none (undefined: not started). */
export function tileRunnerFor(memory: WasmMemory): TileRunner | string | undefined {
  return runners.get(memory);
}

const singles = new WeakMap<WasmMemory, TileRunner | string>();

/**
 * A runner on the calling thread alone, for a backend started without {@link startTileRunner}
 * (`tf.setBackend('wasm')` by hand); it does not stop a later startTileRunner from making workers.
 */
export function singleTileRunner(memory: WasmMemory): TileRunner | string {
  let r = singles.get(memory);
  if (r === undefined) {
    const module = kernelModule(isShared(memory));
    r = typeof module === 'string' ? module : new SingleRunner(kernelFunctions(new wasmApi.Instance(module, { env: { memory } })));
    singles.set(memory, r);
  }
  return r;
}
