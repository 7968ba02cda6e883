/**
 * The parts of the WebAssembly JavaScript API gaf-lab's own kernels use, typed here because
 * the project compiles without the DOM library (where TypeScript declares them).
 * @module
 */

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** A compiled WebAssembly.Module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A WebAssembly.Instance. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: abstract new (...args: never[]) => WasmMemory;
}

/** The global `WebAssembly` namespace. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** True for a WebAssembly.Memory. */
export function isWasmMemory(v: unknown): v is WasmMemory {
  return v instanceof wasmApi.Memory;
}
