import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What a figure was drawn from, as the caller knows it. */
export interface ProvenanceInput {
  /**
   * The runs the figure was drawn from: run ids, or a table / rows with a `runId` column (the
   * output of `loadRuns`, `loadGradStats`), from which the distinct runs are taken.
   */
  runs?: readonly string[] | { objects(): object[] } | readonly object[];
  /** Where the runs were read from (e.g. `runs/main`). */
  source?: string;
  /** One line on what the figure shows. */
  description?: string;
  /** Anything else worth keeping (settings, filters); must be JSON-serialisable. */
  extra?: Record<string, unknown>;
}

/** One run a figure was drawn from. */
export interface ProvenanceRun {
  runId: string;
  gitCommit?: string | null;
  runDir?: string | null;
  status?: string | null;
}

/** The `<name>.provenance.json` sidecar written next to each figure. */
export interface Provenance {
  figure: string;
  title: string | null;
  createdAt: string;
  files: { name: string; bytes: number; sha256: string }[];
  gitCommit: string | null;
  gitDirty: boolean | null;
  runCount: number;
  runs: ProvenanceRun[];
  source: string | null;
  description: string | null;
  command: string;
  packages: Record<string, string | null>;
  extra?: Record<string, unknown>;
}

/** The folder of the gaf-lab package (for its git commit and version); falls back to the working directory. */
export function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    try {
      if (JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gaf-lab') return dir;
    } catch {
      // not here; keep walking up
    }
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/**
 * HEAD's commit and whether tracked files differ from it; nulls when git or the repository is
 * absent. The committed figures in `figures/` are left out: redrawing them must not make the
 * figures drawn after the first one claim that the code was modified.
 */
export function gitState(cwd: string = packageRoot()): { commit: string | null; dirty: boolean | null } {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', args, { cwd, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git(['rev-parse', 'HEAD']);
  if (commit === null) return { commit: null, dirty: null };
  const status = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':(exclude)figures']);
  return { commit, dirty: status === null ? null : status !== '' };
}

/** The installed version of each package, found by walking up node_modules folders (ES-only packages hide their package.json from require). */
export function packageVersions(names: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of names) {
    out[name] = null;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
      try {
        out[name] = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version ?? null;
        break;
      } catch {
        if (path.dirname(dir) === dir) break;
      }
    }
  }
  return out;
}

function runsOf(input: ProvenanceInput['runs']): ProvenanceRun[] {
  if (input === undefined) return [];
  const items: unknown[] =
    typeof (input as { objects?: unknown }).objects === 'function' ? (input as { objects(): object[] }).objects() : [...(input as readonly unknown[])];
  const byId = new Map<string, ProvenanceRun>();
  for (const it of items) {
    if (typeof it === 'string') {
      if (!byId.has(it)) byId.set(it, { runId: it });
      continue;
    }
    const r = it as Record<string, unknown>;
    if (typeof r.runId !== 'string') throw new Error('saveFigure: provenance.runs must be run ids or rows with a runId column (e.g. the table of loadRuns).');
    if (!byId.has(r.runId)) {
      const s = (k: string): string | null => (typeof r[k] === 'string' ? (r[k] as string) : null);
      byId.set(r.runId, { runId: r.runId, gitCommit: s('gitCommit'), runDir: s('runDir'), status: s('status') });
    }
  }
  return [...byId.values()].sort((a, b) => a.runId.localeCompare(b.runId));
}

/** Builds the provenance record of a figure whose files are already written. */
export function buildProvenance(figure: string, title: string | null, files: string[], input: ProvenanceInput = {}): Provenance {
  const runs = runsOf(input.runs);
  const git = gitState();
  const root = packageRoot();
  let own: string | null = null;
  try {
    own = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version ?? null;
  } catch {
    own = null;
  }
  return {
    figure,
    title,
    createdAt: new Date().toISOString(),
    files: files.map((f) => {
      const bytes = fs.readFileSync(f);
      return { name: path.basename(f), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    }),
    gitCommit: git.commit,
    gitDirty: git.dirty,
    runCount: runs.length,
    runs,
    source: input.source ?? null,
    description: input.description ?? null,
    command: process.argv.map((a) => path.relative(root, a).startsWith('..') ? a : path.relative(root, a) || '.').join(' '),
    packages: { 'gaf-lab': own, ...packageVersions(['vega', 'vega-lite', '@resvg/resvg-js', 'arquero']), node: process.version },
    ...(input.extra ? { extra: input.extra } : {}),
  };
}
