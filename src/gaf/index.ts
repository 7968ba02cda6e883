export { gafs, gafFromJSON, DEFAULT_GAF_PARAMS } from './gaf';
export type { Gaf, GafJSON, GafKind, GafParams, CustomGafOptions } from './gaf';
export { checkConditions, formatConditionReport } from './conditions';
export type { ConditionId, ConditionResult, ConditionReport, CheckOptions } from './conditions';
