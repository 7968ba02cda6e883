/**
 * gaf-lab's internals, for benchmarks, profiling and comparisons with tfjs's own code:
 * `import { ... } from 'gaf-lab/internals'`. Not needed to train, and not as stable as the
 * package root.
 * - the wasm gradient kernels gaf-lab adds, and the tuning knob of their memory use;
 * - the training speed-ups that replace tfjs kernels, gradients and the engine's backward pass
 *   (`initBackend` turns them on; these switch them, or their parts, by hand);
 * - the run-folder lock and the sweep's claims built on it (the runner and sweeps take and
 *   release them themselves).
 * @packageDocumentation
 */
export {
  registerWasmGradientKernels,
  WASM_GRADIENT_KERNELS,
  setIm2colBudget,
  DEFAULT_IM2COL_BUDGET_FLOATS,
} from './backend/wasm-kernels/index';
export type { WasmGradientKernelInfo, WasmFastKernelInfo } from './backend/wasm-kernels/index';
export { registerWasmFastKernels, unregisterWasmFastKernels, WASM_FAST_KERNELS } from './backend/wasm-kernels/index';
export { setFastTraining, fastTrainingOn, fastTrainingParts } from './backend/fast-training';
export { setLeanBackprop, leanBackpropOn } from './backend/lean-backprop';
export { registerFastGradients, restoreTfjsGradients, OVERRIDDEN_GRADIENTS } from './backend/gradients/index';
export { batchNormTraining, setLeanBatchNorm, leanBatchNormOn } from './backend/gradients/batch-norm-training';
export type { BatchNormTrainingResult } from './backend/gradients/batch-norm-training';
export { LeanBatchNormalization } from './models/lean-batch-norm';
export { claimRun, releaseRun, readClaims, liveHolder, unreleasedClaims, SWEEP_WORKER_SCRIPT } from './sweep/index';
export type { LockInfo, ClaimRecord } from './sweep/index';
export { lockRun, tryLockRun, runLockFile, lockHolderAlive, RunLock, RUN_LOCK_FORMAT, LOCK_STALE_ENV } from './train/index';
export type { RunLockOptions } from './train/index';
