/**
 * Swapping one of tfjs-backend-wasm's own kernels for a faster gaf-lab one, and back.
 *
 * tfjs keeps one kernel per (name, backend); a replacement is installed with
 * `tf.unregisterKernel` + `tf.registerKernel`. The original config is remembered so that it
 * can be restored (benchmarks compare both in one process) and so that a replacement can
 * hand the cases it does not speed up to the original. The replacement carries the
 * original's `setupFunc`: wasm kernels bind their C++ entry points there when the backend
 * initialises, which may happen after the swap.
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/** The kernelFunc signature of a wasm kernel. */
export type WasmKernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }) => tf.TensorInfo;

/** A faster version of an existing wasm kernel. */
export interface KernelReplacement {
  /** tfjs kernel name (e.g. 'Sum'). */
  readonly name: string;
  /**
   * Builds the replacement kernelFunc; `original` is tfjs-backend-wasm's kernelFunc, for the
   * cases the replacement leaves to it.
   */
  readonly make: (original: WasmKernelFunc) => WasmKernelFunc;
}

const originals = new Map<string, tf.KernelConfig>();
const installed = new Map<string, tf.KernelConfig>();

/**
 * Installs `r` for backend 'wasm' unless it is already installed. Does nothing when no wasm
 * kernel of that name is registered (tfjs-backend-wasm not imported yet, or a version without
 * it): there is nothing to replace, and a later call can still install it.
 * @returns true when this call installed it.
 */
export function installReplacement(r: KernelReplacement): boolean {
  const current = tf.getKernel(r.name, 'wasm');
  if (current === undefined || current === installed.get(r.name)) return false;
  originals.set(r.name, current);
  const original = current.kernelFunc as unknown as WasmKernelFunc;
  const config: tf.KernelConfig = {
    kernelName: r.name,
    backendName: 'wasm',
    setupFunc: current.setupFunc,
    kernelFunc: r.make(original) as unknown as tf.KernelFunc,
  };
  tf.unregisterKernel(r.name, 'wasm');
  tf.registerKernel(config);
  installed.set(r.name, config);
  return true;
}

/**
 * Puts tfjs-backend-wasm's own kernel back in place of gaf-lab's replacement.
 * @returns true when a replacement was removed.
 */
export function removeReplacement(name: string): boolean {
  const mine = installed.get(name);
  const original = originals.get(name);
  if (mine === undefined || original === undefined || tf.getKernel(name, 'wasm') !== mine) return false;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel(original);
  installed.delete(name);
  return true;
}

/** tfjs-backend-wasm's own kernelFunc for `name` (also while a replacement is installed). */
export function originalKernelFunc(name: string): WasmKernelFunc {
  const k = originals.get(name) ?? tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`gaf-lab: wasm kernel '${name}' is not registered.`);
  return k.kernelFunc as unknown as WasmKernelFunc;
}
