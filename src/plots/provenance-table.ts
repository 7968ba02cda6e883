/**
 * Where every figure in a folder comes from, read from the `<name>.provenance.json` sidecars
 * that saveFigure writes: title, the commit it was drawn at, when, from how many runs, and
 * which notebook or command made it.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readProvenance } from './save';
import { packageRoot } from '../provenance/index';
import type { Provenance } from './provenance';

/** One row of {@link figureProvenanceTable}. */
export type FigureProvenanceRow = {
  figure: string;
  title: string;
  /** First 10 hex digits, `*` appended when the checkout had uncommitted changes. */
  commit: string;
  /** When it was drawn (UTC, to the minute). */
  date: string;
  /** Runs it was drawn from (0 for figures that need none). */
  runs: number;
  /** The folder the runs were read from. */
  source: string;
  /** The notebook or command that made it. */
  madeBy: string;
};

/** Options of {@link figureProvenanceTable}. */
export interface FigureProvenanceOptions {
  /** Only figures whose name starts with this (e.g. `06-`). */
  prefix?: string;
  /** Folder of the notebooks, to name the notebook of an `NN-...` figure (default: `<figuresDir>/../notebooks`). */
  notebooksDir?: string;
}

/**
 * Which notebook or command made a figure: the notebook recorded in its provenance (`extra.notebook`),
 * else the notebook whose number starts the figure's name (notebooks name their figures
 * `NN-...`; `notebook NN` when no such notebook is in `notebooks`), else the command line recorded (`npm run main` for the main job, `gaf-lab figures`).
 */
export function figureMaker(p: Pick<Provenance, 'figure' | 'command' | 'extra'>, notebooks: readonly string[] = []): string {
  const recorded = p.extra?.notebook;
  if (typeof recorded === 'string' && recorded !== '') return `notebooks/${recorded.endsWith('.ipynb') ? recorded : `${recorded}.ipynb`}`;
  const number = /^(\d\d)-/.exec(p.figure)?.[1];
  const nb = number ? notebooks.find((n) => n.startsWith(`${number}-`)) : undefined;
  if (nb) return `notebooks/${nb}`;
  if (number) return `notebook ${number}`;
  const cmd = p.command ?? '';
  if (/main-job\.js/.test(cmd)) return 'npm run main';
  if (/cli[\\/]main\.js figures|gaf-lab figures/.test(cmd)) return 'gaf-lab figures';
  if (/tslab/.test(cmd)) return 'a notebook (tslab kernel)';
  return cmd || 'unknown';
}

/** A path inside the repository relative to its root (sidecars written by notebooks may hold absolute ones). */
function shortPath(p: string): string {
  const rel = path.relative(packageRoot(), p);
  return path.isAbsolute(p) && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel || '.' : p;
}

/**
 * One row per `*.provenance.json` in `figuresDir` (sorted by figure name). A folder that does
 * not exist gives no rows.
 */
export function figureProvenanceTable(figuresDir: string, options: FigureProvenanceOptions = {}): FigureProvenanceRow[] {
  if (!fs.existsSync(figuresDir)) return [];
  const nbDir = options.notebooksDir ?? path.join(figuresDir, '..', 'notebooks');
  const notebooks = fs.existsSync(nbDir)
    ? fs
        .readdirSync(nbDir)
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
    : [];
  return fs
    .readdirSync(figuresDir)
    .filter((f) => f.endsWith('.provenance.json') && f.startsWith(options.prefix ?? ''))
    .sort()
    .map((f) => {
      const p = readProvenance(path.join(figuresDir, f));
      return {
        figure: p.figure,
        title: p.title ?? '',
        commit: p.gitCommit ? `${p.gitCommit.slice(0, 10)}${p.gitDirty ? '*' : ''}` : 'unknown',
        date: typeof p.createdAt === 'string' ? p.createdAt.slice(0, 16).replace('T', ' ') : '',
        runs: p.runCount ?? 0,
        source: p.source ? shortPath(p.source) : '',
        madeBy: figureMaker(p, notebooks),
      };
    });
}
