/**
 * Choosing the checkpoint a run resumes from: the newest one whose files check out. A damaged
 * checkpoint is passed over for the one before it and moved aside (kept for inspection, out of
 * the rotation, so the next save does not push the good one out); with none left the error
 * says how to restart the run.
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkpointCandidates, loadCheckpoint } from './checkpoint';
import { CheckpointDamagedError, isVerified, type CheckpointState } from './checkpoint-files';

/** A checkpoint that was found damaged and passed over. */
export interface DamagedCheckpoint {
  /** The folder as it was found. */
  dir: string;
  /** The file and what is wrong with it (`weights.bin sha256 mismatch: ...`). */
  problem: string;
  /** Where the folder was moved (`checkpoints/damaged-last-<time>`), null when it could not be moved. */
  movedTo: string | null;
}

/** The checkpoint a resume loaded, and what was passed over on the way. */
export interface RecoveredCheckpoint {
  dir: string;
  state: CheckpointState;
  /** False when the checkpoint predates checksums (format /1): it loaded, but nothing could be checked. */
  verified: boolean;
  /** Newer checkpoints that were damaged, newest first (empty in the normal case). */
  damaged: DamagedCheckpoint[];
}

/** A shell word for `p` (single-quoted), for commands in messages. */
function shellWord(p: string): string {
  return /^[\w./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

/**
 * Every checkpoint of a run is damaged. The message lists each with its problem and gives the
 * command that restarts the run from epoch 0 (deleting the checkpoints; the run's earlier
 * metrics lines are dropped on resume).
 */
export class NoIntactCheckpointError extends Error {
  constructor(
    readonly root: string,
    readonly damaged: readonly CheckpointDamagedError[],
  ) {
    const list = damaged.map((d) => `${d.dir} (${d.summary})`);
    const what =
      list.length === 1
        ? `Checkpoint ${list[0]} is damaged and there is no earlier checkpoint`
        : `Checkpoints ${list.join('; ')} are all damaged`;
    const runDir = path.dirname(root);
    super(
      `${what}. To restart the run from epoch 0, delete its checkpoints and resume it: ` +
        `rm -r ${shellWord(root)} && gaf-lab resume ${shellWord(runDir)} (or resumeRun in code).`,
    );
    this.name = 'NoIntactCheckpointError';
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

/** Moves a damaged checkpoint out of the rotation to `damaged-<name>-<time>`; null when that fails. */
function setAside(dir: string): string | null {
  const to = path.join(path.dirname(dir), `damaged-${path.basename(dir).replace(/^\./, '')}-${stamp()}`);
  try {
    fs.renameSync(dir, to);
    return to;
  } catch {
    return null;
  }
}

/**
 * Loads the newest intact checkpoint under `root` into `parts` (see {@link checkpointCandidates}
 * for the order; each is checked in full before anything is loaded). Damaged ones tried before
 * it are moved aside and returned in `damaged`; the caller reports them. Returns undefined when
 * `root` holds no checkpoint at all; throws {@link NoIntactCheckpointError} when every one is
 * damaged (nothing is moved then, so the next attempt reports the same). Errors that are not
 * damage (a checkpoint of another model) are thrown as they are.
 */
export async function loadLatestCheckpoint(
  root: string,
  parts: { model: tf.LayersModel; optimizer?: tf.Optimizer },
): Promise<RecoveredCheckpoint | undefined> {
  const candidates = checkpointCandidates(root);
  if (candidates.length === 0) return undefined;
  const damaged: CheckpointDamagedError[] = [];
  for (const dir of candidates) {
    let state: CheckpointState;
    try {
      state = await loadCheckpoint(dir, parts);
    } catch (e) {
      if (!(e instanceof CheckpointDamagedError)) throw e;
      damaged.push(e);
      continue;
    }
    return {
      dir,
      state,
      verified: isVerified(state),
      damaged: damaged.map((d) => ({ dir: d.dir, problem: d.summary, movedTo: setAside(d.dir) })),
    };
  }
  throw new NoIntactCheckpointError(root, damaged);
}
