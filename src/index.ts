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
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, setIm2colBudget, setFastTraining, WASM_FAST_KERNELS, registerWasmFastKernels, unregisterWasmFastKernels } from './backend/wasm-kernels/index';
export type { WasmGradientKernelInfo } from './backend/wasm-kernels/index';
export { setLeanBackprop, leanBackpropOn } from './backend/lean-backprop';
export { batchNormTraining, setLeanBatchNorm, leanBatchNormOn } from './backend/gradients/batch-norm-training';
export type { BatchNormTrainingResult } from './backend/gradients/batch-norm-training';
export { LeanBatchNormalization } from './models/lean-batch-norm';
export * from './data/index';
export * from './models/index';
export * from './train/index';
export {
  loadRuns, loadGradStats, findRunDirs, optimizerLabel, hasGaf, summarizeRuns, compareToBaseline,
  formatSummary, formatComparison, formatMeanCi, formatDiff, writeCsv, writeArrow, readCsv, readArrow, toDanfo,
  meanCi, welchCi, studentTQuantile, studentTCdf, arquero,
} from './results/index';
export type {
  ColumnTable, GradStatsRow, LoadRunsOptions, SummarizeOptions, CompareOptions, RowFilter, MeanCi, WelchCi, FormatOptions,
} from './results/index';
export * from './plots/index';
export * as theory from './theory/index';
export { regenerateFigures } from './reports/figure-set';
export type { FigureSetOptions, FigureSetResult } from './reports/figure-set';
export { resultsTables, formatResultsTables, gafRole } from './reports/results-tables';
export type { ResultsTables, GafRole } from './reports/results-tables';
export { conditionGrid, gafConditionsSpec } from './reports/gaf-conditions';
export type { ConditionCell } from './reports/gaf-conditions';
export * from './notebook/index';
export * from './ablations/index';
/** `gaf-lab doctor` as a function: prints what this machine has for gaf-lab and what to do about what it lacks. */
export { doctor } from './cli/doctor';
