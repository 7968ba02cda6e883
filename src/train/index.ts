/**
 * Experiments: configs, schedules, checkpoints, the runner, progress output and sweeps.
 * @packageDocumentation
 */
export { trainEpoch, evaluate } from './classifier';
export type { TrainEpochResult, TrainEpochOptions, EvalResult, BatchInfo } from './classifier';
export {
  experimentConfigSchema,
  parseConfig,
  resolveConfig,
  readConfigFile,
  formatIssues,
  ConfigError,
  referenceCifarRecipe,
  runIdOf,
  runDirOf,
  configHash,
  configSlug,
  canonicalJson,
  datasetGeometry,
  DATASET_NAMES,
  OPTIMIZER_NAMES,
  GAF_KINDS,
  CONFIG_BACKENDS,
} from './config';
export type { ExperimentConfig, ExperimentConfigInput, ResolvedConfig, ConfigIssue, ReferenceRecipeOptions } from './config';
export { buildOptimizer, buildModel, buildData, clearDataCache } from './build';
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
export { readJsonLines, appendJsonLine, writeJsonAtomic } from './files';
export { readManifest, readMetrics, RUN_FILES, FINAL_STATUSES } from './manifest';
export type { RunManifest, RunStatus, EpochMetrics, HostInfo } from './manifest';
export { runExperiment, resumeRun, runOrResume } from './runner';
export type { RunOptions, RunResult, GradStatsLine } from './runner';
export { progressPrinter, formatEpochLine, formatDuration } from './progress';
export type { ProgressEvent, ProgressPrinterOptions } from './progress';
export {
  sweepConfigSchema,
  parseSweepConfig,
  expandSweep,
  prepareSweep,
  readSweep,
  runSweep,
  runSweepWorker,
  sweepStatus,
  claimRun,
  releaseRun,
  readClaims,
  SWEEP_WORKER_SCRIPT,
} from './sweep';
export type { SweepConfig, SweepConfigInput, SweepRun, SweepFile, LockInfo, ClaimRecord, SweepWorkerOptions, SweepWorkerReport, SweepOptions } from './sweep';
export { reduceSweep } from './reduce-sweep';
export type { SweepReduction } from './reduce-sweep';
export { prepareSweepData } from './sweep-data';
export type { SyntheticDataSpec, SweepDataRow } from './sweep-data';
export { trainSweep, sweepEnded } from './sweep-session';
export type { TrainSweepOptions, TrainSweepResult } from './sweep-session';
