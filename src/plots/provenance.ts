import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gitState, ownVersion, packageRoot, packageVersions } from '../provenance/index';

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

function runsOf(input: ProvenanceInput['runs']): ProvenanceRun[] {
  if (input === undefined) return [];
  const items: unknown[] =
    typeof (input as { objects?: unknown }).objects === 'function'
      ? (input as { objects(): object[] }).objects()
      : [...(input as readonly unknown[])];
  const byId = new Map<string, ProvenanceRun>();
  for (const it of items) {
    if (typeof it === 'string') {
      if (!byId.has(it)) byId.set(it, { runId: it });
      continue;
    }
    const r = it as Record<string, unknown>;
    if (typeof r.runId !== 'string')
      throw new Error('saveFigure: provenance.runs must be run ids or rows with a runId column (e.g. the table of loadRuns).');
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
    // Inside the repository the source is stored relative to it, so a committed record names no machine's folders.
    source:
      input.source == null
        ? null
        : path.isAbsolute(input.source) && !path.relative(root, input.source).startsWith('..')
          ? path.relative(root, input.source) || '.'
          : input.source,
    description: input.description ?? null,
    command: process.argv.map((a) => (path.relative(root, a).startsWith('..') ? a : path.relative(root, a) || '.')).join(' '),
    packages: { 'gaf-lab': ownVersion(), ...packageVersions(['vega', 'vega-lite', '@resvg/resvg-js', 'arquero']), node: process.version },
    ...(input.extra ? { extra: input.extra } : {}),
  };
}
