/**
 * The one WebAssembly module of gaf-lab's own SIMD kernels (filter gradient and convolution
 * tiles), compiled once per process for an unshared and for a shared memory.
 * @module
 */
import { convFunctions } from './conv-kernel';
import { filterGradFunctions } from './filter-grad-kernel';
import { encodeModule, FunctionSpec } from './wasm-binary';
import { wasmApi, WasmInstance, WasmModule } from './webassembly';

function allFunctions(): FunctionSpec[] {
  return [...filterGradFunctions(), ...convFunctions()];
}

/** Export names in the order call records index them. */
export const KERNEL_FUNCTION_ORDER: readonly string[] = allFunctions().map((f) => f.exportName);

/** The most parameters a kernel function takes (a call record's width, less its function index). */
export const MAX_KERNEL_PARAMS = Math.max(...allFunctions().map((f) => f.params));

/** The module's bytes, importing a memory that is shared or not. */
export function kernelModuleBytes(shared: boolean): Uint8Array {
  return encodeModule(allFunctions(), shared);
}

const compiled = new Map<boolean, WasmModule | string>();

/**
 * The compiled module for a shared or an unshared memory, or why it cannot be had (a runtime
 * without WebAssembly SIMD).
 */
export function kernelModule(shared: boolean): WasmModule | string {
  let m = compiled.get(shared);
  if (m === undefined) {
    try {
      m = new wasmApi.Module(kernelModuleBytes(shared));
    } catch (e) {
      m = `gaf-lab's SIMD kernels do not compile here (${(e as Error).message})`;
    }
    compiled.set(shared, m);
  }
  return m;
}

/** A kernel function: its parameters, all i32 (extra arguments are ignored). */
export type KernelFunction = (...args: number[]) => void;

/** An instance's kernel functions, in {@link KERNEL_FUNCTION_ORDER}. */
export function kernelFunctions(instance: WasmInstance): KernelFunction[] {
  return KERNEL_FUNCTION_ORDER.map((n) => instance.exports[n] as KernelFunction);
}
