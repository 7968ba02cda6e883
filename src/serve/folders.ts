/**
 * What the served folders hold: run folders, sweep folders and figures, found by walking each
 * root (not through symbolic links, hidden folders or run folders' insides). A root that
 * vanishes or cannot be read gives a problem line instead of an error.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readJson, RUN_FILES } from '../run-format/index';

/** A served folder. */
export interface Root {
  /** Its index in URLs (`/files/<index>/...`). */
  index: number;
  /** As given on the command line, and resolved. */
  given: string;
  abs: string;
}

/** Everything found under the roots. */
export interface FolderScan {
  runs: { root: number; rel: string; dir: string }[];
  sweeps: { root: number; rel: string; dir: string }[];
  figures: { root: number; rel: string; file: string }[];
  problems: string[];
}

/** The depth below a root the walk goes (sweeps of sweeps of runs are three deep). */
const MAX_DEPTH = 8;

/** Walks every root once. */
export function scanFolders(roots: readonly Root[]): FolderScan {
  const scan: FolderScan = { runs: [], sweeps: [], figures: [], problems: [] };
  for (const root of roots) {
    const walk = (dir: string, depth: number): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (e) {
        if (dir === root.abs) scan.problems.push(`${root.given}: ${(e as Error).message}`);
        return; // a folder deleted while walking
      }
      const rel = path.relative(root.abs, dir);
      if (entries.some((e) => e.name === RUN_FILES.manifest && e.isFile())) {
        scan.runs.push({ root: root.index, rel, dir });
        return;
      }
      if (entries.some((e) => e.name === 'sweep.json' && e.isFile())) scan.sweeps.push({ root: root.index, rel, dir });
      for (const e of entries) {
        if (e.isFile() && e.name.endsWith('.provenance.json')) {
          scan.figures.push({ root: root.index, rel: path.join(rel, e.name), file: path.join(dir, e.name) });
        } else if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules' && depth < MAX_DEPTH) {
          walk(path.join(dir, e.name), depth + 1);
        }
      }
    };
    walk(root.abs, 0);
  }
  return scan;
}

/** A sweep's grid: each run's point (the grid values it stands for) and its state. */
export interface SweepGrid {
  root: number;
  rel: string;
  name: string | null;
  /** The grid's axes: the point keys that take more than one value. */
  axes: string[];
  cells: { runId: string; point: Record<string, unknown>; key: string | null }[];
  problem: string | null;
}

/** Reads a sweep folder's `sweep.json` into its grid (states are joined in by the caller, from the runs table). */
export function sweepGrid(s: { root: number; rel: string; dir: string }): SweepGrid {
  try {
    const f = readJson<{ name?: string | null; runs?: { runId: string; point?: Record<string, unknown> }[] }>(
      path.join(s.dir, 'sweep.json'),
    );
    const runs = Array.isArray(f.runs) ? f.runs : [];
    const keys = [...new Set(runs.flatMap((r) => Object.keys(r.point ?? {})))];
    const axes = keys.filter((k) => new Set(runs.map((r) => JSON.stringify(r.point?.[k]))).size > 1);
    return {
      root: s.root,
      rel: s.rel,
      name: f.name ?? null,
      axes,
      cells: runs.map((r) => ({ runId: r.runId, point: r.point ?? {}, key: `${s.root}:${path.join(s.rel, r.runId)}` })),
      problem: null,
    };
  } catch (e) {
    return { root: s.root, rel: s.rel, name: null, axes: [], cells: [], problem: (e as Error).message };
  }
}

/** A figure of the gallery with its provenance. */
export interface FigureEntry {
  root: number;
  /** The image to show (PNG, else SVG) relative to the root, or null when missing. */
  image: string | null;
  provenance: string;
  title: string | null;
  figure: string | null;
  createdAt: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  runCount: number | null;
  source: string | null;
  command: string | null;
  problem: string | null;
}

/** Reads a figure's provenance sidecar (as `plots/save.ts` writes it) for the gallery. */
export function figureEntry(f: { root: number; rel: string; file: string }): FigureEntry {
  const base = f.rel.replace(/\.provenance\.json$/, '');
  const image = ['.png', '.svg']
    .map((e) => base + e)
    .find((p) => fs.existsSync(f.file.replace(/\.provenance\.json$/, '') + path.extname(p)));
  const entry: FigureEntry = {
    root: f.root,
    image: image ?? null,
    provenance: f.rel,
    title: null,
    figure: null,
    createdAt: null,
    gitCommit: null,
    gitDirty: null,
    runCount: null,
    source: null,
    command: null,
    problem: null,
  };
  try {
    const p = readJson<Record<string, unknown>>(f.file);
    const s = (k: string): string | null => (typeof p[k] === 'string' ? (p[k] as string) : null);
    Object.assign(entry, {
      title: s('title'),
      figure: s('figure'),
      createdAt: s('createdAt'),
      gitCommit: s('gitCommit'),
      gitDirty: typeof p.gitDirty === 'boolean' ? p.gitDirty : null,
      runCount: typeof p.runCount === 'number' ? p.runCount : null,
      source: s('source'),
      command: s('command'),
    });
  } catch (e) {
    entry.problem = (e as Error).message;
  }
  return entry;
}
