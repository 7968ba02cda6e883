/**
 * The git state of the gaf-lab checkout, recorded with every run and figure.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { packageRoot } from './package-root';

/** HEAD's commit and whether tracked files differ from it. */
export interface GitState {
  /** `git rev-parse HEAD`; null outside a git checkout (or without git). */
  commit: string | null;
  /** Whether tracked files other than `figures/` differ from HEAD; null when unknown. */
  dirty: boolean | null;
}

/**
 * The checkout's git state. The committed figures in `figures/` do not count as changes:
 * redrawing them must not make what is drawn or trained next claim that the code was modified.
 */
export function gitState(cwd: string = packageRoot()): GitState {
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
