/**
 * The one place where gaf-lab changes TensorFlow.js itself rather than adding to it: its
 * training speed-ups and memory savings. Each part replaces something tfjs already has:
 * - faster versions of tfjs-backend-wasm kernels (wasm only);
 * - gradient formulas for FusedBatchNorm, Mean, Sum and Relu that replace tfjs-core's (tfjs
 *   keeps one gradient per kernel name, so these apply to every backend);
 * - the memory-lean backward pass, installed as the engine's `gradients` method;
 * - the closed-form batch norm of gaf-lab's batch-norm layers.
 * Each is the same mathematics as what it replaces, tested against it on the wasm and cpu
 * backends. `initBackend` turns them on there (its `fastTraining` option and the
 * GAF_FAST_TRAINING variable switch them) and says so in its report; nothing else in gaf-lab
 * turns them on.
 * @module
 */
import { OVERRIDDEN_GRADIENTS, registerFastGradients, restoreTfjsGradients } from './gradients/index';
import { registerWasmFastKernels, unregisterWasmFastKernels, WASM_FAST_KERNELS } from './wasm-kernels/fast-kernels';
import { leanBackpropOn, setLeanBackprop } from './lean-backprop';
import { leanBatchNormOn, setLeanBatchNorm } from './gradients/batch-norm-training';

const ENGINE_PARTS = ['engine.gradients (lean backprop)', 'batch norm in training (closed-form gradient)'] as const;

/**
 * Turns the speed-ups on or off (off: tfjs's own kernels, gradients and backward pass, to
 * compare against).
 * @returns what this call changed: kernel names whose kernel or gradient was replaced or
 * restored, and the engine-level parts.
 */
export function setFastTraining(on: boolean): string[] {
  const lean = [...(setLeanBackprop(on) ? [ENGINE_PARTS[0]] : []), ...(setLeanBatchNorm(on) ? [ENGINE_PARTS[1]] : [])];
  return on
    ? [...registerWasmFastKernels(), ...registerFastGradients(), ...lean]
    : [...unregisterWasmFastKernels(), ...restoreTfjsGradients(), ...lean];
}

/** True while the speed-ups are on (the engine-level parts are the tell). */
export function fastTrainingOn(): boolean {
  return leanBackpropOn() && leanBatchNormOn();
}

/**
 * What {@link setFastTraining} replaces, for reports: everything, or what acts on `backend`
 * (the wasm kernels only matter there; gradients and engine parts act on every backend).
 */
export function fastTrainingParts(backend?: string): string[] {
  return [
    ...(backend === undefined || backend === 'wasm' ? WASM_FAST_KERNELS.map((k) => `wasm kernel ${k.name}`) : []),
    ...OVERRIDDEN_GRADIENTS.map((name) => `gradient of ${name}`),
    ...ENGINE_PARTS,
  ];
}
