/**
 * gaf-lab: gradient activation functions (GAF) for TensorFlow.js.
 *
 * What a notebook or script uses, by layer: backends, GAFs and the paper's conditions,
 * optimizers, models, data, configs, training, sweeps, run folders, results, figures, the
 * theory experiments, notebook helpers and the ablation study. docs/api.md lists it. Switches
 * of gaf-lab's tfjs internals (kernels, gradient overrides, profiling) are in `gaf-lab/internals`.
 * @packageDocumentation
 */

// Backends
export { initBackend, formatBackendReport } from './backend/init';
export { resolveThreadCount, MAX_WASM_THREADS } from './backend/wasm-threads';
export { probeWebGpu, discoverWebGpu, isSoftwareAdapter, describeAdapter, decideWebGpu } from './backend/webgpu';
export type { WebGpuAdapterReport, WebGpuDiscovery } from './backend/webgpu';
export type { WasmThreadsReport } from './backend/wasm-threads';
export type { BackendName, BackendReport, BackendCandidate, InitBackendOptions, FastTrainingReport } from './backend/init';

// GAFs and the paper's conditions
export { gafs, gafFromJSON, DEFAULT_GAF_PARAMS, GAF_KINDS, checkConditions, formatConditionReport, gafKnee } from './gaf/index';
export type {
  Gaf,
  GafJSON,
  GafKind,
  BuiltinGafKind,
  GafParams,
  CustomGafOptions,
  ConditionId,
  ConditionResult,
  ConditionReport,
  CheckOptions,
} from './gaf/index';

// Optimizers
export * from './optim/index';
export { OPTIMIZER_NAMES, optimizerSettingsSchema, resolveOptimizerSettings, optimizerFromSettings } from './optim/settings';
export type { OptimizerSettings, OptimizerSettingsInput, ResolvedOptimizer } from './optim/settings';
export { CONTROL_KINDS, controlEffect, controlLabel } from './optim/controls';
export type { ControlKind, ControlEffect } from './optim/controls';

// Models
export { createModel, listModels, modelNames, countTrainableParams, INIT_MODES } from './models/index';
export type { CreateModelOptions, ModelInfo, InitMode } from './models/index';

// Data
export {
  DatasetNotFoundError,
  DataFormatError,
  DATA_DIR_ENV,
  defaultDataDir,
  loadMnist,
  loadFashionMnist,
  MNIST_CLASS_NAMES,
  FASHION_MNIST_CLASS_NAMES,
  loadCifar10,
  loadCifar100,
  CIFAR10_CLASS_NAMES,
  CIFAR100_FINE_CLASS_NAMES,
  CIFAR100_COARSE_CLASS_NAMES,
  ArrayDataset,
  DataLoader,
  takeFirst,
  stratifiedSubset,
  CIFAR10_MEAN,
  CIFAR10_STD,
  CIFAR100_MEAN,
  CIFAR100_STD,
  randomCrop,
  randomHorizontalFlip,
  normalize,
  compose,
  cifarTrainTransform,
  cifarEvalTransform,
  imageFolderDataset,
  imagenetDataset,
  IMAGENET_MEAN,
  IMAGENET_STD,
  loadVoc,
  VOC_CLASS_NAMES,
  downloadDataset,
  DATASET_SOURCES,
  writeSyntheticCifar,
  writeSyntheticImageFolder,
} from './data/index';
export type {
  ImageSet,
  ImageShape,
  PixelArray,
  PixelFormat,
  Split,
  IdxLoadOptions,
  CifarLoadOptions,
  Cifar100Set,
  ImageSource,
  Batch,
  DataLoaderOptions,
  LoaderState,
  ImageTransform,
  CifarVariant,
  ImageFolderOptions,
  ImageNetOptions,
  VocOptions,
  VocDataset,
  VocSample,
  VocObject,
  DownloadableDataset,
  DownloadOptions,
  DownloadResult,
  SyntheticCifarOptions,
  SyntheticCifarResult,
  SyntheticImageFolderOptions,
  SyntheticImageFolderResult,
} from './data/index';

// Experiment configs
export {
  experimentConfigSchema,
  DATASET_NAMES,
  CONFIG_BACKENDS,
  COSINE_STEPS,
  ConfigError,
  readConfigFile,
  parseConfig,
  resolveConfig,
  runIdOf,
  runDirOf,
  referenceCifarRecipe,
} from './config/index';
export type {
  ExperimentConfig,
  ExperimentConfigInput,
  ResolvedConfig,
  ConfigIssue,
  ReferenceRecipeOptions,
  CosineStep,
} from './config/index';

// Training
export {
  trainStep,
  crossEntropy,
  trainEpoch,
  evaluate,
  buildModel,
  buildData,
  constantSchedule,
  cosineSchedule,
  cosinePerIteration,
  stepSchedule,
  linearWarmup,
  epochSchedule,
  learningRateAt,
  saveCheckpoint,
  loadCheckpoint,
  findCheckpoint,
  CheckpointDamagedError,
  NoIntactCheckpointError,
  RunLockedError,
  readRunLock,
  runExperiment,
  resumeRun,
  runOrResume,
  progressPrinter,
} from './train/index';
export type {
  Classifier,
  TrainStepOptions,
  TrainStepResult,
  TrainEpochResult,
  TrainEpochOptions,
  EvalResult,
  BatchInfo,
  RunData,
  EpochSchedule,
  ScheduleSettings,
  CheckpointState,
  CheckpointParts,
  RunLockInfo,
  RunOptions,
  RunResult,
  GradStatsLine,
  ProgressEvent,
  ProgressPrinterOptions,
} from './train/index';

// Sweeps
export {
  sweepConfigSchema,
  parseSweepConfig,
  expandSweep,
  prepareSweep,
  readSweep,
  sweepStatus,
  unfinishedRuns,
  runSweep,
  runSweepWorker,
  trainSweep,
  sweepEnded,
  reduceSweep,
  prepareSweepData,
  submitSweepToSlurm,
  slurmSweepStatus,
  cancelSlurmSweep,
  runSweepTask,
  slurmScript,
  parseSlurmTime,
  SLURM_FILES,
  DEFAULT_SIGNAL_LEAD_S,
} from './sweep/index';
export type {
  SlurmOptions,
  SubmitSweepOptions,
  SlurmSubmission,
  SlurmSweepStatus,
  SlurmRunRow,
  SweepTaskOutcome,
  SweepConfig,
  SweepConfigInput,
  SweepRun,
  SweepFile,
  SweepOptions,
  SweepResult,
  WorkerExit,
  UnfinishedRun,
  SweepWorkerOptions,
  SweepWorkerReport,
  TrainSweepOptions,
  TrainSweepResult,
  SweepReduction,
  SyntheticDataSpec,
  SweepDataRow,
} from './sweep/index';

// Run folders
export {
  readManifest,
  readMetrics,
  readJsonLines,
  findRunDirs,
  RUN_FILES,
  RUN_STATUSES,
  FINAL_STATUSES,
  readStepLines,
  readStepLinesFrom,
} from './run-format/index';
export type { RunManifest, RunStatus, EpochMetrics, HostInfo, StepLine, StepGradient } from './run-format/index';

// Object detection on PASCAL VOC (CenterNet; devkit-exact scoring)
export {
  evaluateVocDetections,
  buildDetector,
  detectImages,
  loadBackboneWeights,
  runDetection,
  runDetectionSweep,
  expandDetectionSweep,
  reduceDetectionSweep,
  describeDetectionRuns,
  detectionProgress,
  detectionRunDir,
  readRunDetections,
  drawRunImages,
  drawVocImages,
  prCurvesSpec,
  apTable,
} from './detect/index';
export type {
  VocBox,
  GroundTruthImage,
  Detection,
  VocEvalOptions,
  ClassEvaluation,
  VocEvaluation,
  DetectionConfigInput,
  DetectionRunResult,
} from './detect/index';
export { writeSyntheticVoc, SYNTHETIC_VOC_CLASSES } from './data/synthetic-voc';

// The dashboard (gaf-lab serve) and TensorBoard export
export { startServer, DEFAULT_PORT, DEFAULT_HOST } from './serve/index';
export type { ServeOptions, RunningServer, RunSummary } from './serve/index';
export { exportTensorBoard } from './results/export-tensorboard';
export { packageRoot } from './provenance/index';

// Results
export {
  loadRuns,
  loadGradStats,
  optimizerLabel,
  hasGaf,
  summarizeRuns,
  defaultGroupBy,
  findDuplicateRuns,
  NON_TRAINING_FIELDS,
  compareToBaseline,
  pairedDifference,
  holmAdjust,
  bhAdjust,
  pairsNeeded,
  seedsPerArmNeeded,
  meanCi,
  welchCi,
  studentTQuantile,
  formatMeanCi,
  formatDiff,
  formatSummary,
  formatComparison,
  formatComparisonTests,
  writeCsv,
  writeArrow,
  readCsv,
  readArrow,
  toDanfo,
  runsFrame,
  frameRows,
  arquero,
  selectByValidation,
  formatValidationSelection,
} from './results/index';
export type {
  LoadRunsOptions,
  GradStatsRow,
  SummarizeOptions,
  DuplicateRuns,
  MixedField,
  CompareOptions,
  RowFilter,
  MeanCi,
  WelchCi,
  FormatOptions,
  ColumnTable,
  RunsFrameOptions,
  FrameRowsOptions,
  PairedDifference,
  SampleSize,
  SampleSizeOptions,
  SelectByValidationOptions,
  ValidationSelection,
} from './results/index';

// Figures
export {
  gafCurvesSpec,
  trainingCurvesSpec,
  accuracyBarsSpec,
  sensitivityHeatmapSpec,
  gradNormSpec,
  lineChartSpec,
  trajectoryContourSpec,
  forestPlotSpec,
  renderSvg,
  renderPng,
  saveFigure,
  readProvenance,
  display,
  figureProvenanceTable,
} from './plots/index';
export type {
  VlSpec,
  GafCurvesOptions,
  TrainingCurvesOptions,
  AccuracyBarsOptions,
  SensitivityHeatmapOptions,
  GradNormOptions,
  LineChartOptions,
  TrajectoryContourOptions,
  ForestPlotOptions,
  RenderOptions,
  PngOptions,
  SaveFigureOptions,
  SavedFigure,
  Provenance,
  DisplayOptions,
  FigureProvenanceRow,
} from './plots/index';
export { regenerateFigures } from './reports/figure-set';
export type { FigureSetOptions, FigureSetResult } from './reports/figure-set';
export { resultsTables, formatResultsTables, gafRole } from './reports/results-tables';
export type { ResultsTables, GafRole } from './reports/results-tables';
export { gafVsControls, formatGafVsControls } from './reports/gaf-vs-controls';
export type { GafControlRow } from './reports/gaf-vs-controls';
export { conditionGrid, gafConditionsSpec } from './reports/gaf-conditions';
export type { ConditionCell } from './theory/gaf-table';

// The theory experiments, notebook helpers and the ablation study
export * as theory from './theory/index';
export * from './notebook/index';
export * from './ablations/index';

/** `gaf-lab doctor` as a function: prints what this machine has for gaf-lab and what to do about what it lacks. */
export { doctor } from './cli/doctor';
