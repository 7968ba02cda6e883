/**
 * The sweep folder, shared by every worker (one or several processes, possibly on several
 * machines sharing a filesystem):
 * - `sweep.json`: the sweep config and the list of run ids;
 * - `configs/<runId>.json`: each run's resolved config, trainable on its own
 *   (`gaf-lab train <sweep>/configs/<runId>.json`) by an external scheduler;
 * - `<runId>/`: the run folders (docs/run-format.md);
 * - `<runId>.lock`: the run lock (train/run-lock.ts), held while a process trains the run;
 * - `claims.jsonl`: one line per claim, takeover and release, for auditing.
 *
 * This module creates and reads the folder and the runs' status; `locks.ts` owns the claims
 * and `claims.jsonl`.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, readManifest, RUN_FILES, writeJsonAtomic, type RunStatus } from '../run-format/index';
import { expandSweep, parseSweepConfig, type SweepConfig, type SweepRun } from './grid';

/** `sweep.json`. */
export interface SweepFile {
  format: 'gaf-lab-sweep/1';
  name: string | null;
  createdAt: string;
  config: SweepConfig;
  runs: { runId: string; config: string; point: Record<string, unknown> }[];
}

const SWEEP_JSON = 'sweep.json';

/**
 * Creates (or checks) the sweep folder: `sweep.json` and one config file per run. Preparing
 * the same sweep again is harmless; a folder holding a different sweep is an error.
 * @returns the absolute sweep folder and its runs.
 */
export function prepareSweep(config: unknown): { sweepDir: string; runs: SweepRun[] } {
  const sweep = parseSweepConfig(config);
  const sweepDir = path.resolve(sweep.outDir);
  const runs = expandSweep({ ...sweep, outDir: sweepDir });
  const file = path.join(sweepDir, SWEEP_JSON);
  if (fs.existsSync(file)) {
    const existing = readJson<SweepFile>(file);
    const a = existing.runs.map((r) => r.runId).join(',');
    const b = runs.map((r) => r.runId).join(',');
    if (a !== b) {
      throw new Error(
        `${sweepDir} already holds a different sweep (${existing.runs.length} runs; this config expands to ${runs.length}). ` +
          'Use another outDir for the new sweep.',
      );
    }
    return { sweepDir, runs };
  }
  fs.mkdirSync(path.join(sweepDir, 'configs'), { recursive: true });
  for (const r of runs) writeJsonAtomic(path.join(sweepDir, 'configs', `${r.runId}.json`), r.config);
  const body: SweepFile = {
    format: 'gaf-lab-sweep/1',
    name: sweep.name,
    createdAt: new Date().toISOString(),
    config: sweep,
    runs: runs.map((r) => ({ runId: r.runId, config: `configs/${r.runId}.json`, point: r.point })),
  };
  writeJsonAtomic(file, body);
  return { sweepDir, runs };
}

/** Reads `sweep.json` of a sweep folder. */
export function readSweep(sweepDir: string): SweepFile {
  const file = path.join(sweepDir, SWEEP_JSON);
  if (!fs.existsSync(file))
    throw new Error(`${sweepDir} is not a sweep folder (no sweep.json). Create it with runSweep / gaf-lab sweep SWEEP_CONFIG.`);
  return readJson<SweepFile>(file);
}

/** The status in a run folder's manifest; undefined while the run has no manifest yet. */
export function statusOf(runDir: string): RunStatus | undefined {
  return fs.existsSync(path.join(runDir, RUN_FILES.manifest)) ? readManifest(runDir).status : undefined;
}

/** Status of every run of a sweep (`pending` when its folder does not exist yet). */
export function sweepStatus(sweepDir: string): { runId: string; status: RunStatus | 'pending'; epochsDone: number }[] {
  const dir = path.resolve(sweepDir);
  return readSweep(dir).runs.map(({ runId }) => {
    const runDir = path.join(dir, runId);
    if (!fs.existsSync(path.join(runDir, RUN_FILES.manifest))) return { runId, status: 'pending' as const, epochsDone: 0 };
    const m = readManifest(runDir);
    return { runId, status: m.status, epochsDone: m.epochsDone };
  });
}
