/**
 * The theory studies behind notebooks 1-5: GAF curves and conditions, ill-conditioned
 * quadratics, saddle points, vanishing/exploding gradients in deep MLPs, and convergence rates
 * on softmax regression. Every function returns plain rows (arrays of records) for the plotting
 * layer and arquero tables; the optimizers run are the real gaf-lab ones.
 * @packageDocumentation
 */
export { gafCurveRows, conditionTable, enlargementLimit, gafProfileRows } from './gaf-table';
export type { CurveGaf, GafCurveRow, GafCurveOptions, ConditionRow, EnlargementOptions, GafProfileRow, ConditionCell } from './gaf-table';
export { runTrajectory, labelledTrajectories } from './trajectory';
export type {
  TheoryProblem,
  OptimizerFactory,
  TrajectoryRow,
  TrajectoryOptions,
  TrajectoryResult,
  LabelledOptimizer,
  LabelledTrajectoryRow,
} from './trajectory';
export { bestLearningRate, relativeGrid, DEFAULT_LR_FACTORS } from './learning-rate';
export type { BestLearningRate, LearningRateTrial, LearningRateScore } from './learning-rate';
export {
  quadratic,
  diagonalQuadratic,
  runOptimizer,
  gdIterationsClosedForm,
  gdMethod,
  gafMethod,
  heavyBallMethod,
  itersVsCondition,
  effectiveStep,
  quadraticEffectiveSteps,
  learningRatesAt,
  quadraticTrajectories,
  effectiveStepsAlong,
  effectiveStepCurve,
} from './quadratic';
export type {
  QuadraticProblem,
  RunOptimizerOptions,
  RunOptimizerResult,
  QuadraticMethod,
  LearningRatePolicy,
  ItersVsConditionOptions,
  ItersVsConditionRow,
  EffectiveStepRow,
  QuadraticEffectiveStepRow,
  QuadraticTrajectoriesOptions,
  QuadraticTrajectoryRow,
  EffectiveStepAlongRow,
  EffectiveStepCurveRow,
} from './quadratic';
export {
  saddle2d,
  monkeySaddle,
  quarticSaddle,
  saddleMethod,
  predictedEscapeSteps,
  escapeTime,
  escapeTimes,
  saddleTrajectory,
  saddleTrajectories,
} from './saddle';
export type { SaddleProblem, SaddleMethod, EscapeOptions, EscapeResult, EscapeRow, EscapeTimesOptions } from './saddle';
export { lossSurface } from './surface';
export type { SurfaceRow, SurfaceOptions } from './surface';
export { loadFlatFashionMnist, disposeFlatData, accuracyOf } from './flat-data';
export type { FlatData, FlatFashionOptions } from './flat-data';
export {
  deepMlp,
  gradientNormsByLayer,
  trainWithStats,
  evaluateModel,
  compareOnDeepNet,
  DEEP_INIT_SCALES,
  VANISHING_DEMO,
} from './deep-net';
export type {
  DeepActivation,
  DeepInit,
  DeepMlpOptions,
  LayerGradientRow,
  ObservableOptimizer,
  TrainWithStatsOptions,
  LayerStatsRow,
  StepLossRow,
  TrainWithStatsResult,
  DeepComparisonMethod,
  DeepComparisonOptions,
  DeepComparisonRow,
} from './deep-net';
export { fitRate, fitRates, leastSquares } from './fit';
export type { GapPoint, FitRateOptions, RateFit } from './fit';
export {
  smoothnessBound,
  gdConvexMethod,
  gafConvexMethod,
  runSoftmaxRegression,
  referenceOptimum,
  convergenceRuns,
  CONVEX_LR_FACTORS,
  learningRateEquivalence,
  describeConvergence,
  convergenceFitRows,
} from './convergence';
export type {
  SoftmaxProblem,
  ConvexMethod,
  SoftmaxRunOptions,
  ObjectiveRow,
  SoftmaxRunResult,
  ReferenceOptions,
  ReferenceOptimum,
  ConvergenceOptions,
  GapRow,
  ConvergenceResult,
  EquivalenceOptions,
  EquivalenceResult,
  ConvergenceFitRow,
} from './convergence';
export {
  iterationScaling,
  summarizeItersVsCondition,
  summarizeEscapeTimes,
  summarizeConditionGrid,
  escapeTable,
  summarizeGafProfiles,
} from './summary';
export type { ScalingRow } from './summary';
export {
  layerProfiles,
  profileSpread,
  sgdDeepMethod,
  gafDeepMethod,
  steepnessSweep,
  describeSteepness,
  trainSideBySide,
  describeComparison,
  layerNormRows,
  sweepWinners,
  describeSpread,
  describeSideBySide,
} from './vanishing';
export type {
  NetCase,
  LabelledGaf,
  LayerProfileOptions,
  LayerProfileRow,
  SpreadRow,
  DeepMethodOptions,
  SteepnessSweepOptions,
  SteepnessRow,
  SteepnessSweepResult,
  SideBySideMethod,
  SideBySideOptions,
  MethodLossRow,
  TinyFractionRow,
  SideBySideResult,
  DescribeComparisonOptions,
  LayerNormRow,
} from './vanishing';
export { cnnLossCurves, describeCnnCurves } from './cnn-curves';
export type { CnnMethod, CnnLossOptions, CnnLossRow, CnnRunSummary, CnnLossResult } from './cnn-curves';
