/**
 * Where results come from: the gaf-lab checkout, its git state, package versions and the host.
 * Runs and figures record these; nothing here depends on the rest of gaf-lab.
 * @packageDocumentation
 */
export { packageRoot } from './package-root';
export { gitState } from './git';
export type { GitState } from './git';
export { packageVersions, ownVersion } from './packages';
export { hostInfo, processAlive } from './host';
