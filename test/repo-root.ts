/** The repository root for tests: the gaf-lab checkout the compiled tests belong to. */
import { packageRoot } from '../src/provenance/index';

/** Absolute path of the gaf-lab checkout. */
export const ROOT = packageRoot();
