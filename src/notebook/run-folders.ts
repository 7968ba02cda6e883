/**
 * Which results folders exist and how far their runs got: for a notebook that draws from
 * folders other notebooks or commands fill, and has to say which ones are missing.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findRunDirs, readManifest } from '../run-format/index';

/** One results folder to look at, and what fills it. */
export interface RunFolderEntry {
  dir: string;
  /** The notebook or command that makes the runs, e.g. `npm run main`. */
  madeBy: string;
}

/** One row of {@link runFoldersTable}. */
export type RunFolderRow = {
  folder: string;
  exists: boolean;
  runs: number;
  completed: number;
  /** Runs with any other status (running, interrupted, diverged, failed). */
  other: number;
  madeBy: string;
};

/** One row per folder: whether it exists, its runs (folders with a manifest.json, at any depth) and how many completed. */
export function runFoldersTable(entries: readonly RunFolderEntry[], root: string = process.cwd()): RunFolderRow[] {
  return entries.map(({ dir, madeBy }) => {
    const folder = path.relative(root, path.resolve(root, dir)) || '.';
    if (!fs.existsSync(path.resolve(root, dir))) return { folder, exists: false, runs: 0, completed: 0, other: 0, madeBy };
    const runs = findRunDirs(path.resolve(root, dir));
    const completed = runs.filter((d) => readManifest(d).status === 'completed').length;
    return { folder, exists: true, runs: runs.length, completed, other: runs.length - completed, madeBy };
  });
}
