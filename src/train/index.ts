/**
 * Training: the epoch loop, schedules, checkpoints, the runner, the run lock and its progress output.
 * @packageDocumentation
 */
export { trainStep, crossEntropy, classifierLoss } from './step';
export type { Classifier, TrainStepOptions, TrainStepResult, ClassifierLossOptions } from './step';
export { trainEpoch, evaluate } from './classifier';
export type { TrainEpochResult, TrainEpochOptions, EvalResult, BatchInfo } from './classifier';
export { buildModel, buildData, clearDataCache } from './build';
export type { RunData } from './build';
export {
  constantSchedule,
  cosineSchedule,
  cosinePerIteration,
  stepSchedule,
  linearWarmup,
  epochSchedule,
  learningRateAt,
} from './schedule';
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
export type { CheckpointState, CheckpointParts, FileDigest } from './checkpoint';
export { CheckpointDamagedError, isVerified, checkpointCandidates, LAST_CHECKPOINT, PREVIOUS_CHECKPOINT } from './checkpoint';
export { loadLatestCheckpoint, NoIntactCheckpointError } from './checkpoint-recovery';
export type { RecoveredCheckpoint, DamagedCheckpoint } from './checkpoint-recovery';
export { runExperiment, resumeRun, runOrResume } from './runner';
export type { RunOptions, RunResult, GradStatsLine } from './runner';
export {
  lockRun,
  tryLockRun,
  readRunLock,
  runLockFile,
  lockHolderAlive,
  RunLock,
  RunLockedError,
  RUN_LOCK_FORMAT,
  LOCK_STALE_ENV,
} from './run-lock';
export type { RunLockInfo, RunLockOptions } from './run-lock';
export { progressPrinter, formatEpochLine, formatDuration } from './progress';
export type { ProgressEvent, ProgressPrinterOptions } from './progress';
