export { gafs, gafFromJSON, DEFAULT_GAF_PARAMS, GAF_KINDS, GAF_PARAM_RULE, BUILTIN_GAFS } from './gaf';
export type { Gaf, GafJSON, GafKind, BuiltinGafKind, GafParams, CustomGafOptions } from './gaf';
export { checkConditions, formatConditionReport } from './conditions';
export type { ConditionId, ConditionResult, ConditionReport, CheckOptions } from './conditions';
export { gafKnee } from './knee';
