import * as fs from 'node:fs';
import * as path from 'node:path';

/** The statuses a run's manifest may carry (docs/run-format.md). */
export const RUN_STATUSES = ['running', 'completed', 'diverged', 'failed', 'interrupted'] as const;
/** Status of a run. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The fields of `manifest.json` that the results code reads; others are kept as they are. */
export interface RunManifest {
  runId: string;
  status: RunStatus;
  config: Record<string, unknown>;
  seed?: number;
  gitCommit?: string | null;
  backend?: string;
  packages?: Record<string, string>;
  host?: Record<string, unknown>;
  startedAt?: string;
  endedAt?: string;
  epochsDone?: number;
  message?: string;
  [key: string]: unknown;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Reads and checks `<runDir>/manifest.json`; errors name the file and the field. */
export function readManifest(runDir: string): RunManifest {
  const file = path.join(runDir, 'manifest.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not readable JSON (${(e as Error).message}). A manifest is rewritten atomically, so this file was edited or damaged by hand.`);
  }
  if (!isObject(parsed)) throw new Error(`${file}: expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}.`);
  if (typeof parsed.runId !== 'string' || parsed.runId === '') {
    throw new Error(`${file}: field "runId" must be a non-empty string, got ${JSON.stringify(parsed.runId)}.`);
  }
  if (!RUN_STATUSES.includes(parsed.status as RunStatus)) {
    throw new Error(`${file}: field "status" is ${JSON.stringify(parsed.status)}; allowed: ${RUN_STATUSES.join(', ')}.`);
  }
  if (!isObject(parsed.config)) {
    throw new Error(`${file}: field "config" must be the resolved config object, got ${JSON.stringify(parsed.config)}.`);
  }
  return parsed as RunManifest;
}

/**
 * Parses a JSON-lines file written one complete line at a time. A last line without its
 * newline is a write in progress (or cut by a crash) and is ignored; a complete line that is
 * not a JSON object is an error naming the file and line. A missing file gives no records.
 */
export function readJsonLines(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unfinished line: either way not a record
  const out: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}): ${line.slice(0, 120)}`);
    }
    if (!isObject(rec)) throw new Error(`${file}:${i + 1}: expected a JSON object per line, got ${line.slice(0, 120)}`);
    out.push(rec);
  });
  return out;
}

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
    throw new Error(`results: folder ${root} does not exist. Pass the outDir of a run or sweep (e.g. runs/).`);
  }
  if (!st.isDirectory()) throw new Error(`results: ${root} is not a folder. Pass the outDir of a run or sweep, not a file.`);
  const found: string[] = [];
  const walk = (dir: string): void => {
    if (fs.existsSync(path.join(dir, 'manifest.json'))) {
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
