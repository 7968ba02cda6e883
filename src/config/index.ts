/**
 * The experiment config: its schema, readable errors, reading files, resolving, run ids and
 * presets. The optimizer section's schema and defaults belong to `optim/settings`.
 * @packageDocumentation
 */
export { experimentConfigSchema, DATASET_NAMES, CONFIG_BACKENDS, COSINE_STEPS } from './schema';
export type { ExperimentConfig, ExperimentConfigInput, CosineStep } from './schema';
export { ConfigError, formatIssues, validateWith } from './issues';
export type { ConfigIssue } from './issues';
export { readConfigFile } from './read-file';
export { parseConfig, resolveConfig, datasetGeometry } from './resolve';
export type { ResolvedConfig } from './resolve';
export { canonicalJson, configHash, configSlug, runIdOf, runDirOf } from './run-id';
export { referenceCifarRecipe } from './presets';
export type { ReferenceRecipeOptions } from './presets';
