export { gafs, gafFromJSON, DEFAULT_GAF_PARAMS } from './gaf';
export type { Gaf, GafJSON, GafKind, GafParams, CustomGafOptions } from './gaf';
