/**
 * gaf-lab: gradient activation functions (GAF) for TensorFlow.js.
 *
 * The one public entry point: everything a notebook or script needs is re-exported here.
 * @packageDocumentation
 */
export * from './gaf/index';
export * from './optim/index';
export { initBackend, formatBackendReport } from './backend/init';
export type { BackendName, BackendReport, BackendCandidate } from './backend/init';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, setIm2colBudget } from './backend/wasm-kernels/index';
export type { WasmGradientKernelInfo } from './backend/wasm-kernels/index';
export { trainEpoch, evaluate } from './train/classifier';
export type { TrainEpochResult, EvalResult } from './train/classifier';
export * from './data/index';
export * from './models/index';
