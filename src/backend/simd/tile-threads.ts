/**
 * Runs gaf-lab's own SIMD tile kernels ({@link kernelModule}) on the calling thread and on
 * worker threads of gaf-lab's own that share the wasm backend's memory.
 *
 * XNNPACK's thread pool only runs XNNPACK's operators; the filter gradient, which was half of
 * a ResNet-20 step at 2 threads, ran on the calling thread alone. With the threaded wasm build
 * the backend's memory is a shared WebAssembly.Memory, so other threads can run kernels on
 * the tensors in place. A job is a list of units (each a list of kernel calls, on the heap);
 * every thread takes the next unit until none is left. Units cover disjoint outputs, and each
 * output's sum runs in the same order whichever thread computes it, so the result is
 * bit-identical at any thread count. Taking units instead of a fixed share matters here:
 * XNNPACK's pool threads spin for a while after each of their operators, so a worker of ours
 * can start a job late, and a fixed share would make the calling thread wait for it.
 *
 * Protocol (one control block of Int32 slots in a SharedArrayBuffer): slot 0 the job number
 * the workers wait on, slot 1 the workers still running the job, slot 2 the first failing
 * worker (1-based; 0 none), slot 3 the next unit to take, slots 4-5 the job's unit table and
 * unit count. A worker that throws (a wasm trap, say) records its message and finishes the
 * job, so the calling thread fails with that message instead of waiting forever.
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
const SLOT_NEXT = 3;
const SLOT_TABLE = 4;
const SLOT_UNITS = 5;
const CONTROL_SLOTS = 8;
const ERROR_BYTES = 4096;

// Plain JavaScript, evaluated as the worker's main script (`eval: true`): the worker needs no
// file next to the compiled library, so bundles work too. Its unit loop is runUnits' twin.
if (MAX_KERNEL_PARAMS !== 20) throw new Error('internal: the worker and runUnits pass 20 kernel parameters');
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
    const table = ctrl[${SLOT_TABLE}];
    const units = ctrl[${SLOT_UNITS}];
    for (;;) {
      const u = Atomics.add(ctrl, ${SLOT_NEXT}, 1);
      if (u >= units) break;
      for (let b = heap[table + u], end = heap[table + u + 1]; b < end; b += slots) {
        fns[heap[b]](heap[b + 1], heap[b + 2], heap[b + 3], heap[b + 4], heap[b + 5], heap[b + 6], heap[b + 7], heap[b + 8], heap[b + 9], heap[b + 10], heap[b + 11], heap[b + 12], heap[b + 13], heap[b + 14], heap[b + 15], heap[b + 16], heap[b + 17], heap[b + 18], heap[b + 19], heap[b + 20]);
      }
    }
  } catch (e) {
    fail(e && e.stack ? e.stack : e);
  }
  finish();
}
`;

/** A job: `units` units of work whose call records the unit table at heap int32 index `table` points to. */
export interface TileJob {
  /** Heap int32 index of the table: units + 1 heap int32 indices, unit u's records lie in [table[u], table[u + 1]). */
  table: number;
  units: number;
}

/**
 * Runs jobs of gaf-lab's SIMD kernels. Every thread takes the next unit not yet taken until
 * none is left, so a thread that starts late (its core busy a moment longer) takes fewer units;
 * units write disjoint outputs, so who runs which changes no result.
 */
export interface TileRunner {
  /** Threads that run units (the calling thread included). */
  readonly threads: number;
  /** The kernel functions on the calling thread, in {@link KERNEL_FUNCTION_ORDER}. */
  readonly functions: readonly KernelFunction[];
  /**
   * Runs every unit of `job` and returns when all are done.
   * @throws the first failing worker's error.
   */
  run(job: TileJob): void;
}

/** Runs units on this thread, each unit `claim()` hands out until it returns one past the last. */
export function runUnits(functions: readonly KernelFunction[], heap: Int32Array, job: TileJob, claim: () => number): void {
  for (;;) {
    const u = claim();
    if (u >= job.units) return;
    for (let b = heap[job.table + u]!, end = heap[job.table + u + 1]!; b < end; b += CALL_SLOTS) {
      const f = functions[heap[b]!]!;
      f(
        heap[b + 1]!,
        heap[b + 2]!,
        heap[b + 3]!,
        heap[b + 4]!,
        heap[b + 5]!,
        heap[b + 6]!,
        heap[b + 7]!,
        heap[b + 8]!,
        heap[b + 9]!,
        heap[b + 10]!,
        heap[b + 11]!,
        heap[b + 12]!,
        heap[b + 13]!,
        heap[b + 14]!,
        heap[b + 15]!,
        heap[b + 16]!,
        heap[b + 17]!,
        heap[b + 18]!,
        heap[b + 19]!,
        heap[b + 20]!,
      );
    }
  }
}

/** A kernel's failure on the calling thread (a wasm trap: a planning bug), named as gaf-lab's. */
function callingThreadError(e: unknown): Error {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new Error(`gaf-lab's SIMD kernel failed on the calling thread: ${what}`, { cause: e });
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
    private readonly memory: WasmMemory,
    control: SharedArrayBuffer,
    errors: SharedArrayBuffer,
  ) {
    this.ctrl = new Int32Array(control);
    this.errors = errors;
  }

  run(job: TileJob): void {
    if (this.broken !== undefined) throw new Error(this.broken);
    this.ctrl[SLOT_TABLE] = job.table;
    this.ctrl[SLOT_UNITS] = job.units;
    Atomics.store(this.ctrl, SLOT_NEXT, 0);
    Atomics.store(this.ctrl, SLOT_RUNNING, this.threads - 1);
    Atomics.add(this.ctrl, SLOT_JOB, 1);
    Atomics.notify(this.ctrl, SLOT_JOB);
    let ownError: unknown;
    try {
      runUnits(this.functions, new Int32Array(this.memory.buffer), job, () => Atomics.add(this.ctrl, SLOT_NEXT, 1));
    } catch (e) {
      ownError = callingThreadError(e);
      Atomics.store(this.ctrl, SLOT_NEXT, job.units); // the workers take no more units
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
  constructor(
    readonly functions: readonly KernelFunction[],
    private readonly memory: WasmMemory,
  ) {}
  run(job: TileJob): void {
    let next = 0;
    try {
      runUnits(this.functions, new Int32Array(this.memory.buffer), job, () => next++);
    } catch (e) {
      throw callingThreadError(e);
    }
  }
}

/**
 * Why gaf-lab's SIMD kernels are switched off by the user (`GAF_SIMD_KERNELS=0`: every kernel
 * that would use them takes its XNNPACK path, for comparisons), or undefined.
 */
export function simdKernelsSwitchedOff(): string | undefined {
  return process.env['GAF_SIMD_KERNELS'] === '0' ? "switched off by GAF_SIMD_KERNELS=0 (XNNPACK's kernels instead)" : undefined;
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
    const r = new SingleRunner(functions, memory);
    runners.set(memory, r);
    return r;
  }
  const control = new SharedArrayBuffer(4 * CONTROL_SLOTS);
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
  const r = new PooledRunner(threads, functions, memory, control, errors);
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
    r = typeof module === 'string' ? module : new SingleRunner(kernelFunctions(new wasmApi.Instance(module, { env: { memory } })), memory);
    singles.set(memory, r);
  }
  return r;
}
