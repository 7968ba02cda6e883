/**
 * Training: the epoch loop, schedules, checkpoints, the runner and its progress output.
 * @packageDocumentation
 */
export { trainStep, crossEntropy, classifierLoss } from './step';
export type { Classifier, TrainStepOptions, TrainStepResult, ClassifierLossOptions } from './step';
export { trainEpoch, evaluate } from './classifier';
export type { TrainEpochResult, TrainEpochOptions, EvalResult, BatchInfo } from './classifier';
export { buildModel, buildData, clearDataCache } from './build';
export type { RunData } from './build';
export { constantSchedule, cosineSchedule, stepSchedule, linearWarmup, epochSchedule, learningRateAt } from './schedule';
export type { EpochSchedule, ScheduleSettings } from './schedule';
export {
  fileIO,
  saveCheckpoint,
  loadCheckpoint,
  findCheckpoint,
  readCheckpointState,
  saveOptimizerState,
  loadOptimizerState,
} from './checkpoint';
export type { CheckpointState, CheckpointParts } from './checkpoint';
export { runExperiment, resumeRun, runOrResume } from './runner';
export type { RunOptions, RunResult, GradStatsLine } from './runner';
export { progressPrinter, formatEpochLine, formatDuration } from './progress';
export type { ProgressEvent, ProgressPrinterOptions } from './progress';
