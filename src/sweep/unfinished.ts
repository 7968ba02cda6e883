/**
 * The runs of a sweep that have not ended, with what holds each up: for the end-of-sweep
 * message that says which runs are not done and how to continue.
 * @module
 */
import * as path from 'node:path';
import { readManifest, type RunStatus } from '../run-format/index';
import type { RunLockInfo } from '../train/run-lock';
import { sweepStatus } from './folder';
import { liveHolder } from './locks';

/** A run of a sweep that is not completed or diverged. */
export interface UnfinishedRun {
  runId: string;
  status: RunStatus | 'pending';
  epochsDone: number;
  /** The live process training it now, if any. */
  holder?: RunLockInfo;
  /** The manifest's message (why it failed or was interrupted). */
  message?: string;
}

/** Every run of the sweep that has not reached a final state (completed or diverged). */
export function unfinishedRuns(sweepDir: string): UnfinishedRun[] {
  const dir = path.resolve(sweepDir);
  return sweepStatus(dir)
    .filter((r) => r.status !== 'completed' && r.status !== 'diverged')
    .map((r) => {
      const u: UnfinishedRun = { ...r };
      const holder = liveHolder(dir, r.runId);
      if (holder) u.holder = holder;
      if (r.status !== 'pending') {
        const message = readManifest(path.join(dir, r.runId)).message;
        if (message !== undefined) u.message = message;
      }
      return u;
    });
}
