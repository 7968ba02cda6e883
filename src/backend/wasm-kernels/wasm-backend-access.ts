/**
 * The narrow slice of the wasm backend the gradient kernels use, and a way to call the
 * backend's own kernels from inside a kernel.
 *
 * Why not public tf ops: inside a kernelFunc the engine is in the middle of running a
 * kernel, and calling tf ops from there breaks its bookkeeping (tfjs 4.22 loses track of the
 * tensors). So composite
 * kernels call other wasm kernels' kernelFuncs directly and free what they allocate with
 * `backend.disposeData`, which {@link Scratch} does for them.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { JobTemplate } from '../simd/job-template';
import { simdKernelsSwitchedOff, singleTileRunner, TileRunner, tileRunnerFor } from '../simd/tile-threads';
import { isWasmMemory, WasmMemory } from '../simd/webassembly';

/** The methods of tfjs-backend-wasm's BackendWasm that these kernels rely on. */
export interface WasmBackendLike {
  /** Allocates an uninitialised tensor on the wasm heap. */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's memory on the wasm heap; invalid after the next allocation. */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  /** Drops one reference to a tensor's memory (frees it at zero). */
  disposeData(dataId: tf.DataId): boolean;
}

/** True for a backend object that has the wasm backend's heap helpers. */
function isWasmBackend(b: unknown): b is WasmBackendLike {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return typeof o['makeOutput'] === 'function' && typeof o['typedArrayFromHeap'] === 'function' && typeof o['disposeData'] === 'function';
}

/**
 * The backend a kernelFunc received, checked to be the wasm backend.
 * @param kernel the calling kernel's name, for the error message.
 */
export function asWasmBackend(kernel: string, backend: unknown): WasmBackendLike {
  if (!isWasmBackend(backend)) {
    throw new Error(
      `${kernel} (gaf-lab wasm gradient kernel) was called with a backend that is not tfjs-backend-wasm; it is registered for 'wasm' only.`,
    );
  }
  return backend;
}

/**
 * The backend module's WebAssembly.Memory: emscripten keeps it as `wasmMemory` in the threaded
 * build (a shared memory the module imports) and as the exported `memory` otherwise.
 */
export function wasmMemoryOf(backend: unknown): WasmMemory | undefined {
  const m = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } } | null)?.wasm;
  const memory = m?.wasmMemory ?? m?.asm?.memory;
  return isWasmMemory(memory) ? memory : undefined;
}

/**
 * The runner of gaf-lab's SIMD kernels for this backend: the one initBackend started (every
 * thread of the run), else the calling thread alone; or why there is none.
 */
export function simdRunner(backend: unknown): TileRunner | string {
  const off = simdKernelsSwitchedOff();
  if (off !== undefined) return off;
  const memory = wasmMemoryOf(backend);
  if (memory === undefined) return 'the wasm backend exposes no WebAssembly.Memory (another tfjs-backend-wasm version?)';
  return tileRunnerFor(memory) ?? singleTileRunner(memory);
}

/**
 * Runs a job on `runner` with its operands at byte addresses `bases`: writes it to a scratch
 * int32 tensor on the heap, where every thread reads it. Call after the kernel's other
 * allocations (this one may grow the heap and detach the caller's views).
 */
export function runSimdJob(s: Scratch, runner: TileRunner, template: JobTemplate, bases: readonly number[]): void {
  const t = s.alloc([template.slots], 'int32');
  const v = s.backend.typedArrayFromHeap(t) as Int32Array;
  runner.run(template.write(new Int32Array(v.buffer), v.byteOffset / 4, bases));
  s.free(t);
}

/** Byte address of a tensor's data on the wasm heap. */
export function heapAddress(backend: WasmBackendLike, t: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset;
}

/** Float32 view of a tensor on the wasm heap. Take it after the last allocation: heap growth detaches older views. */
export function heapF32(backend: WasmBackendLike, t: tf.TensorInfo): Float32Array {
  const v = backend.typedArrayFromHeap(t);
  if (!(v instanceof Float32Array)) throw new Error(`internal: expected a float32 tensor, got ${t.dtype}`);
  return v;
}

/**
 * Tracks the tensors a composite kernel allocates so that every one is freed, also when a
 * step throws. The kernel's result is handed out with {@link Scratch.keep}.
 */
export class Scratch {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(
    readonly backend: WasmBackendLike,
    readonly kernel: string,
  ) {}

  /** Records `t` as an intermediate to free in {@link Scratch.dispose}. */
  track(t: tf.TensorInfo): tf.TensorInfo {
    this.owned.push(t);
    return t;
  }

  /** Takes `t` off the list: the caller returns it to the engine, which then owns it. */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.owned.indexOf(t);
    if (i >= 0) this.owned.splice(i, 1);
    return t;
  }

  /** Frees one tracked intermediate now (to keep peak memory low inside loops). */
  free(t: tf.TensorInfo): void {
    const i = this.owned.indexOf(t);
    if (i < 0) throw new Error(`internal: ${this.kernel} freed a tensor it does not own`);
    this.owned.splice(i, 1);
    this.backend.disposeData(t.dataId);
  }

  /** Frees every tracked intermediate. */
  dispose(): void {
    for (const t of this.owned.splice(0)) this.backend.disposeData(t.dataId);
  }

  /** Allocates a tracked tensor (float32 unless said otherwise). */
  alloc(shape: number[], dtype: 'float32' | 'int32' = 'float32'): tf.TensorInfo {
    return this.track(this.backend.makeOutput(shape, dtype));
  }

  /**
   * Runs another wasm kernel (by name) on tensors of this backend; the result is tracked.
   * @throws if the wasm backend does not provide the kernel.
   */
  run(name: string, inputs: Record<string, tf.TensorInfo> | tf.TensorInfo[], attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const k = tf.getKernel(name, 'wasm');
    if (k === undefined)
      throw new Error(`${this.kernel} needs the wasm kernel '${name}', which tfjs-backend-wasm did not register (version mismatch?).`);
    // Concat takes an array of inputs; every other kernel a name -> tensor map.
    const out = k.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend, attrs });
    if (Array.isArray(out)) throw new Error(`internal: wasm kernel '${name}' returned ${out.length} tensors, expected one`);
    return this.track(out);
  }

  /** Same data viewed with another shape (no copy; the view holds a reference). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Axis permutation (a copy). */
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Batched matrix product a[i] x b[i]; with batch 1 and no transposes wasm uses XNNPACK's fast path. */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  /** Concatenation along `axis`. */
  concat(parts: tf.TensorInfo[], axis: number): tf.TensorInfo {
    if (parts.length === 1) return parts[0]!;
    return this.run('Concat', parts, { axis });
  }
}

/**
 * Runs `body` with a fresh {@link Scratch}; every intermediate is freed on return or throw.
 * `body` returns its result through `scratch.keep(...)`.
 */
export function withScratch(kernel: string, backend: unknown, body: (s: Scratch) => tf.TensorInfo): tf.TensorInfo {
  const s = new Scratch(asWasmBackend(kernel, backend), kernel);
  try {
    return body(s);
  } finally {
    s.dispose();
  }
}
