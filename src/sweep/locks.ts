/**
 * Run claims in a sweep folder: a run is claimed with a lock file `locks/<runId>.lock` created
 * exclusively (`open(..., 'wx')`), so no two workers train the same run; a lock left by a dead
 * process on this host is taken over. Every claim, takeover and release is logged to
 * `claims.jsonl`.
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendJsonLine, readJsonLines, type RunStatus } from '../run-format/index';
import { processAlive } from '../provenance/index';

/** What a lock file holds. */
export interface LockInfo {
  runId: string;
  pid: number;
  hostname: string;
  startedAt: string;
}

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

const lockFile = (sweepDir: string, runId: string): string => path.join(sweepDir, 'locks', `${runId}.lock`);

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function createLock(file: string, runId: string): LockInfo | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw e;
  }
  const info: LockInfo = { runId, pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  try {
    fs.writeFileSync(fd, JSON.stringify(info));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return info;
}

/** A lock whose holder is certainly gone: same host and dead pid, or unreadable and older than a minute. */
function isStale(file: string, info: LockInfo | undefined): boolean {
  if (info) return info.hostname === os.hostname() && !processAlive(info.pid);
  try {
    return Date.now() - fs.statSync(file).mtimeMs > 60_000;
  } catch {
    return false;
  }
}

/**
 * Claims a run for this process. Returns the lock info, or undefined when another live
 * process holds it. A stale lock (its process is dead on this host) is taken over under a
 * second exclusive lock (`.takeover`), so that two workers cannot both take it over.
 */
export function claimRun(sweepDir: string, runId: string): LockInfo | undefined {
  const file = lockFile(sweepDir, runId);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const mine = createLock(file, runId);
  if (mine) return mine;
  const holder = readLock(file);
  if (!isStale(file, holder)) return undefined;
  const guard = `${file}.takeover`;
  const guardInfo = createLock(guard, runId);
  if (!guardInfo) {
    // A takeover in progress, or one whose process died: clear the latter for the next try.
    if (isStale(guard, readLock(guard))) fs.rmSync(guard, { force: true });
    return undefined;
  }
  try {
    const now = readLock(file);
    // Someone else may have replaced the stale lock since we read it.
    if (now?.pid !== holder?.pid || now?.startedAt !== holder?.startedAt) return undefined;
    fs.rmSync(file, { force: true });
    const taken = createLock(file, runId);
    if (taken) logClaim(sweepDir, { event: 'takeover', runId, previousPid: holder?.pid });
    return taken;
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Releases a run claimed by this process. */
export function releaseRun(sweepDir: string, runId: string, status?: RunStatus): void {
  const file = lockFile(sweepDir, runId);
  const holder = readLock(file);
  if (holder && holder.pid !== process.pid) throw new Error(`releaseRun: ${runId} is held by process ${holder.pid}, not by this one (${process.pid}).`);
  if (status !== undefined) logClaim(sweepDir, { event: 'release', runId, status });
  fs.rmSync(file, { force: true });
}

/** Appends one record of this process to `claims.jsonl`. */
export function logClaim(sweepDir: string, r: Omit<ClaimRecord, 'pid' | 'hostname' | 'at'>): void {
  appendJsonLine(path.join(sweepDir, 'claims.jsonl'), { ...r, pid: process.pid, hostname: os.hostname(), at: new Date().toISOString() });
}

/** The records of `claims.jsonl`. */
export function readClaims(sweepDir: string): ClaimRecord[] {
  return readJsonLines<ClaimRecord>(path.join(sweepDir, 'claims.jsonl'));
}
