/**
 * One switch for gaf-lab's training speed-ups and memory savings: the faster wasm kernels,
 * the gradient formulas that replace tfjs-core's composite ones, the memory-lean backward
 * pass and the lean batch norm in training.
 * @module
 */
import { registerFastGradients, restoreTfjsGradients } from './gradients/index';
import { registerWasmFastKernels, unregisterWasmFastKernels } from './wasm-kernels/fast-kernels';
import { setLeanBackprop } from './lean-backprop';
import { setLeanBatchNorm } from './gradients/batch-norm-training';

/**
 * Turns the speed-ups on or off (tfjs's own kernels, gradients and backward pass, to compare
 * against): the faster wasm kernels, the gradient formulas that replace tfjs-core's, the
 * memory-lean backward pass (lean-backprop.ts: frees saved tensors and gradients as soon as
 * they are used) and the closed-form batch-norm op of gaf-lab's batch-norm layers.
 * `registerWasmGradientKernels()`, which initBackend and the training runner call, turns them
 * on; the missing wasm gradient kernels stay registered either way.
 * @returns the kernel names whose kernel or gradient changed, and the names of the two
 * engine-level parts when they changed.
 */
export function setFastTraining(on: boolean): string[] {
  const lean = [
    ...(setLeanBackprop(on) ? ['gradients (lean backprop)'] : []),
    ...(setLeanBatchNorm(on) ? ['batch norm in training (closed-form gradient)'] : []),
  ];
  return on ? [...registerWasmFastKernels(), ...registerFastGradients(), ...lean] : [...unregisterWasmFastKernels(), ...restoreTfjsGradients(), ...lean];
}
