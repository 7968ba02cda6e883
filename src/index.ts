/**
 * gaf-lab: gradient activation functions (GAF) for TensorFlow.js.
 *
 * The one public entry point: everything a notebook or script needs is re-exported here.
 * @packageDocumentation
 */
export * from './gaf/index';
