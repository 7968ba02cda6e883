/**
 * The files of a run folder and how to find run folders under a root.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Names of the files and folders inside a run folder. */
export const RUN_FILES = {
  manifest: 'manifest.json',
  metrics: 'metrics.jsonl',
  gradstats: 'gradstats.jsonl',
  /** One line every `stepMetrics.every` optimizer steps (step-metrics.ts). */
  steps: 'steps.jsonl',
  checkpoints: 'checkpoints',
  /** Space kept free while a run trains, for its final status on a full disk (see space-reserve.ts). */
  reserve: '.space-reserve',
} as const;

/**
 * Every run folder (a folder holding `manifest.json`) under `root`, which may itself be a run.
 * Sweeps nest runs, so the walk is recursive; it does not descend into a run folder (its
 * checkpoints are not runs), into hidden folders, or through symbolic links. Sorted by path.
 */
export function findRunDirs(root: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(root);
  } catch {
    throw new Error(`The folder ${root} does not exist. Pass the outDir of a run or sweep (e.g. runs/).`);
  }
  if (!st.isDirectory()) throw new Error(`${root} is not a folder. Pass the outDir of a run or sweep, not a file.`);
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (fs.existsSync(path.join(dir, RUN_FILES.manifest))) {
      found.push(dir);
      return;
    }
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name));
    }
  };
  walk(root);
  return found.sort();
}
