/**
 * `gaf-lab serve`: the local, read-only dashboard over run and sweep folders.
 * @packageDocumentation
 */
export { startServer, DEFAULT_HOST, DEFAULT_PORT } from './server';
export type { ServeOptions, RunningServer } from './server';
export { resolveInside } from './safe-path';
export type { RunSummary, ShownStatus } from './run-summary';
