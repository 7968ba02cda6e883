/**
 * Run claims in a sweep folder, layered on the run lock (train/run-lock.ts): a worker claims a
 * run by taking the lock of its run folder, `<sweep>/<runId>.lock`, the same lock that
 * `gaf-lab train` and `resume` take, so a sweep worker and a hand-started resume can never
 * train one run at once. A dead holder's lock is taken over. Every claim, takeover and release
 * is logged to `claims.jsonl`, which is also how the sweep's parent learns which run a dead
 * worker held.
 * @module
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { appendJsonLine, readJsonLines, type RunStatus } from '../run-format/index';
import { lockHolderAlive, readRunLock, tryLockRun, type RunLock, type RunLockInfo } from '../train/run-lock';

/** What a claim's lock file holds (the run lock's content). */
export type LockInfo = RunLockInfo;

/** One line of `claims.jsonl`. */
export interface ClaimRecord {
  event: 'claim' | 'takeover' | 'release';
  runId: string;
  pid: number;
  hostname: string;
  at: string;
  /** takeover: the dead holder; release: how the run stood. */
  previousPid?: number;
  status?: RunStatus;
}

/** The claims this process holds, by run folder. */
const claims = new Map<string, RunLock>();

/**
 * Claims a run for this process by taking its run lock. Returns the lock, or undefined when
 * another live process holds it. Taking over a dead holder's lock is logged as `takeover`.
 */
export function claimRun(sweepDir: string, runId: string): RunLock | undefined {
  const runDir = path.resolve(sweepDir, runId);
  const lock = tryLockRun(runDir);
  if (!lock) return undefined;
  if (lock.tookOver)
    logClaim(sweepDir, { event: 'takeover', runId, ...(lock.tookOver !== 'unreadable' ? { previousPid: lock.tookOver.pid } : {}) });
  claims.set(runDir, lock);
  return lock;
}

/** Releases a run claimed by this process (logged with `status` when given). */
export function releaseRun(sweepDir: string, runId: string, status?: RunStatus): void {
  const runDir = path.resolve(sweepDir, runId);
  const lock = claims.get(runDir);
  if (!lock) {
    const holder = readRunLock(runDir);
    throw new Error(
      `releaseRun: ${runId} is not claimed by this process (${process.pid})${holder ? `; pid ${holder.pid} on host ${holder.hostname} holds it` : ''}.`,
    );
  }
  if (status !== undefined) logClaim(sweepDir, { event: 'release', runId, status });
  claims.delete(runDir);
  lock.release();
}

/** The live holder of a run's lock, or undefined when the run is free (or its holder is gone). */
export function liveHolder(sweepDir: string, runId: string): RunLockInfo | undefined {
  const holder = readRunLock(path.resolve(sweepDir, runId));
  return holder && lockHolderAlive(holder) ? holder : undefined;
}

/** Appends one record of this process to `claims.jsonl`. */
export function logClaim(sweepDir: string, r: Omit<ClaimRecord, 'pid' | 'hostname' | 'at'>): void {
  appendJsonLine(path.join(sweepDir, 'claims.jsonl'), { ...r, pid: process.pid, hostname: os.hostname(), at: new Date().toISOString() });
}

/** The records of `claims.jsonl`. */
export function readClaims(sweepDir: string): ClaimRecord[] {
  return readJsonLines<ClaimRecord>(path.join(sweepDir, 'claims.jsonl'));
}

/** The runs that process `pid` on this host had claimed and not released, by `claims.jsonl`. */
export function unreleasedClaims(sweepDir: string, pid: number): string[] {
  const open = new Set<string>();
  for (const c of readClaims(sweepDir)) {
    if (c.pid !== pid || c.hostname !== os.hostname()) continue;
    if (c.event === 'claim') open.add(c.runId);
    else if (c.event === 'release') open.delete(c.runId);
  }
  return [...open];
}
