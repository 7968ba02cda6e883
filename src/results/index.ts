export { loadRuns, loadGradStats, optimizerLabel, hasGaf, tableFromRecords, METRIC_COLUMNS } from './load';
export type { LoadRunsOptions, GradStatsRow } from './load';
export { flattenObject } from './flatten';
export type { Cell } from './flatten';
export { summarizeRuns } from './summarize';
export type { SummarizeOptions } from './summarize';
export { defaultGroupBy, mixedFields, describeMixedFields, DEFAULT_GROUP_COLUMNS } from './grouping';
export type { MixedField } from './grouping';
export { findDuplicateRuns, describeDuplicates } from './duplicates';
export type { DuplicateRuns } from './duplicates';
export { CONFIG_FIELDS, NON_TRAINING_FIELDS, isConfigColumn, isTrainingColumn, trainingColumns } from './run-config';
export { compareToBaseline } from './compare';
export type { CompareOptions, RowFilter } from './compare';
export {
  mean,
  sampleSd,
  meanCi,
  welchCi,
  studentTCdf,
  studentTQuantile,
  studentTTwoSidedP,
  pValueOfDiff,
  incompleteBeta,
  logGamma,
} from './stats';
export { pairedDifference, seedValuesByGroup } from './paired';
export type { PairedDifference, SeedValue, SeedValuesOptions } from './paired';
export { holmAdjust, bhAdjust, bonferroniLevel } from './multiplicity';
export { normalCdf, normalQuantile, pairsNeeded, seedsPerArmNeeded, pooledSd } from './power';
export type { SampleSizeOptions, SampleSize } from './power';
export type { MeanCi, WelchCi, GroupStats } from './stats';
export {
  formatMeanCi,
  formatDiff,
  formatP,
  formatSummary,
  formatComparison,
  formatComparisonTests,
  markdownTable,
  shortColumnNames,
} from './format';
export type { FormatOptions } from './format';
export { writeCsv, writeArrow, readCsv, readArrow, toDanfo } from './export';
export { runsFrame, frameRows } from './frame';
export type { RunsFrameOptions, FrameRowsOptions } from './frame';
export { arquero } from './arquero';
export type { ColumnTable } from './arquero';
export { selectByValidation, formatValidationSelection } from './select-by-validation';
export type { SelectByValidationOptions, ValidationSelection, MethodChoice, Candidate } from './select-by-validation';
