/**
 * The run folder format (docs/run-format.md) in one place: atomic and durable file writes,
 * JSON-lines files, the manifest and metrics records, and finding run folders. Depends on
 * nothing but Node, so the trainer, the results code, the plots and the CLI can all build on it.
 * @packageDocumentation
 */
export { writeFileAtomic, writeJsonAtomic, toJson, syncFolder, writeError, makeDirs } from './atomic-write';
export { reserveSpace, RESERVE_BYTES } from './space-reserve';
export type { SpaceReserve } from './space-reserve';
export { appendJsonLine, appendJsonLines, readJsonLines, filterJsonLines, readJson } from './json-lines';
export { RUN_FORMAT, RUN_STATUSES, FINAL_STATUSES, readManifest, writeManifest, readMetrics } from './manifest';
export type { RunStatus, EpochMetrics, HostInfo, RunManifest, CheckpointRecovery } from './manifest';
export { RUN_FILES, findRunDirs } from './run-files';
export { readStepLines, readStepLinesFrom, stepsFile } from './step-metrics';
export type { StepLine, StepGradient } from './step-metrics';
