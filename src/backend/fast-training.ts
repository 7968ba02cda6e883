/**
 * One switch for gaf-lab's training speed-ups: the faster wasm kernels and the gradient
 * formulas that replace tfjs-core's composite ones.
 * @module
 */
import { registerFastGradients, restoreTfjsGradients } from './gradients/index';
import { registerWasmFastKernels, unregisterWasmFastKernels } from './wasm-kernels/fast-kernels';

/**
 * Turns the speed-ups on or off (tfjs's own kernels and gradients, to compare against).
 * `registerWasmGradientKernels()`, which initBackend and the training runner call, turns them
 * on; the missing wasm gradient kernels stay registered either way.
 * @returns the kernel names whose kernel or gradient changed.
 */
export function setFastTraining(on: boolean): string[] {
  return on ? [...registerWasmFastKernels(), ...registerFastGradients()] : [...unregisterWasmFastKernels(), ...restoreTfjsGradients()];
}
