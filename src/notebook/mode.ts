/**
 * Notebook parameters and the smoke mode: one environment variable shrinks every notebook's
 * data, epochs and grids so that the whole series runs in CI in minutes.
 * @module
 */
import * as path from 'node:path';
import { packageRoot } from '../provenance/index';

/** Environment variable that selects the notebooks' mode: `normal` (default) or `smoke`. */
export const NOTEBOOK_MODE_ENV = 'GAF_NOTEBOOK_MODE';

/** `normal`: the settings whose outputs are committed; `smoke`: tiny settings for CI. */
export type NotebookMode = 'normal' | 'smoke';

/** Reads {@link NOTEBOOK_MODE_ENV}; an unknown value is an error that names the allowed ones. */
export function notebookMode(env: NodeJS.ProcessEnv = process.env): NotebookMode {
  const raw = env[NOTEBOOK_MODE_ENV];
  if (raw === undefined || raw.trim() === '') return 'normal';
  const v = raw.trim().toLowerCase();
  if (v === 'normal' || v === 'smoke') return v;
  throw new Error(
    `${NOTEBOOK_MODE_ENV}=${JSON.stringify(raw)} is not a notebook mode; use ${NOTEBOOK_MODE_ENV}=smoke (tiny, for CI) or leave it unset (normal).`,
  );
}

/** What {@link notebookParams} returns: the chosen settings plus where outputs go. */
export type NotebookParams<T> = T & {
  /** The mode these settings are for. */
  readonly mode: NotebookMode;
  /** Folder for figures: `<repo>/figures` in normal mode, `<repo>/build/smoke/figures` in smoke mode (so CI never overwrites the committed figures). */
  readonly figuresDir: string;
  /** Folder for this notebook's training runs: `<repo>/runs/notebooks/<name>` or `<repo>/build/smoke/runs/<name>`. */
  readonly runsDir: string;
};

/** Options of {@link notebookParams}. */
export interface NotebookParamsOptions<T> {
  /** Short name of the notebook (names its runs folder), e.g. `06-ablations`. */
  name: string;
  /** The settings of a normal run (what the committed outputs were made with). */
  normal: T;
  /** What smoke mode changes; everything else keeps its normal value. */
  smoke: Partial<T>;
  /** Environment to read the mode from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Print one line saying which mode is active and how to change it (default true). */
  announce?: boolean;
}

/** Keys notebookParams adds to the settings; a setting of the same name would be overwritten. */
const RESERVED = ['mode', 'figuresDir', 'runsDir'] as const;

/**
 * The parameter cell's one call: returns the normal settings, or the normal settings overridden
 * by `smoke` when {@link NOTEBOOK_MODE_ENV} is `smoke`, together with the figure and run
 * folders for that mode. Edit the values in the cell to explore; the returned object is frozen
 * so a later cell cannot change a parameter behind the reader's back.
 */
export function notebookParams<T extends object>(options: NotebookParamsOptions<T>): NotebookParams<T> {
  const { name, normal, smoke } = options;
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new Error(`notebookParams: name ${JSON.stringify(name)} must be a plain folder name such as "06-ablations".`);
  for (const k of RESERVED) {
    if (k in normal)
      throw new Error(`notebookParams(${name}): "${k}" is set by notebookParams itself; rename that setting in the normal settings.`);
  }
  for (const k of Object.keys(smoke)) {
    if (!(k in normal))
      throw new Error(
        `notebookParams(${name}): smoke sets "${k}", which the normal settings do not have; allowed: ${Object.keys(normal).join(', ')}.`,
      );
  }
  const mode = notebookMode(options.env);
  const root = packageRoot();
  const chosen = mode === 'smoke' ? { ...normal, ...smoke } : { ...normal };
  const out = {
    ...chosen,
    mode,
    figuresDir: mode === 'smoke' ? path.join(root, 'build', 'smoke', 'figures') : path.join(root, 'figures'),
    runsDir: mode === 'smoke' ? path.join(root, 'build', 'smoke', 'runs', name) : path.join(root, 'runs', 'notebooks', name),
  } as NotebookParams<T>;
  if (options.announce ?? true) {
    console.log(
      mode === 'smoke'
        ? `${name}: SMOKE mode (${NOTEBOOK_MODE_ENV}=smoke): tiny settings, numbers are not results; figures -> ${path.relative(root, out.figuresDir)}/`
        : `${name}: normal mode (set ${NOTEBOOK_MODE_ENV}=smoke for a quick check); figures -> ${path.relative(root, out.figuresDir)}/`,
    );
  }
  return Object.freeze(out);
}
