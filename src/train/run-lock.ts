/**
 * The run lock: a run folder is trained by one process at a time. The lock is a file next to
 * the folder, `<runDir>.lock` (outside it, so that a start can clear a half-made folder while
 * holding the lock), holding `{format, runId, token, pid, hostname, startedAt, heartbeatAt}`.
 *
 * - Taking it is atomic: the content is written to a temporary file that is then hard-linked
 *   to the lock's name, which fails when the name exists (on file systems without hard links,
 *   `open(..., 'wx')`), so no reader ever sees a half-written lock.
 * - While held, `heartbeatAt` is refreshed every few seconds (an atomic rewrite), after
 *   checking that the lock is still this process's.
 * - A lock whose holder is gone may be taken over: on the same host when its process no
 *   longer exists, from another host when its heartbeat is older than the staleness limit
 *   (10 minutes; `GAF_LOCK_STALE_SECONDS`). A takeover happens under a guard lock named after
 *   the stale lock's token (`<lock>.takeover-<token>`, taken the same way, recursively), and
 *   the lock is replaced only if it still carries that token, so two processes can never both
 *   take over one dead lock.
 * - It is released when the holder is done, and on process exit (also `process.exit` after a
 *   second Ctrl-C); a process killed outright leaves it for a takeover.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../provenance/index';
import { writeError, writeFileAtomic } from '../run-format/index';

/** The `format` of a lock file. */
export const RUN_LOCK_FORMAT = 'gaf-lab-run-lock/1';

/** What a run lock file holds. */
export interface RunLockInfo {
  format: typeof RUN_LOCK_FORMAT;
  /** The run folder's name. */
  runId: string;
  /** Random, per taking of the lock: a takeover checks that the lock it replaces is the one it judged stale. */
  token: string;
  pid: number;
  hostname: string;
  startedAt: string;
  /** Refreshed while the holder lives (every {@link RunLockOptions.heartbeatMs}). */
  heartbeatAt: string;
}

/** Options of {@link lockRun} and {@link tryLockRun}. */
export interface RunLockOptions {
  /**
   * A lock from another host whose heartbeat is older than this is taken over (default: the
   * environment variable `GAF_LOCK_STALE_SECONDS`, else 10 minutes). Locks of this host are
   * judged by whether their process exists.
   */
  staleAfterMs?: number;
  /** How often the holder refreshes `heartbeatAt` (default 15 s, at most a quarter of the staleness limit). */
  heartbeatMs?: number;
}

/** The environment variable that sets the staleness limit of other hosts' locks, in seconds. */
export const LOCK_STALE_ENV = 'GAF_LOCK_STALE_SECONDS';
const DEFAULT_STALE_MS = 10 * 60_000;
const DEFAULT_HEARTBEAT_MS = 15_000;
/** An unreadable lock (a file system that lost it, or the non-link fallback mid-write) is stale after this. */
const UNREADABLE_STALE_MS = 60_000;
/** Guards of guards: each level only exists when a process died in the middle of a takeover. */
const MAX_GUARD_DEPTH = 4;

/** The lock file of a run folder: `<runDir>.lock`, with the parent folder's real path (so that two spellings of one folder share a lock). */
export function runLockFile(runDir: string): string {
  const abs = path.resolve(runDir);
  let parent = path.dirname(abs);
  try {
    parent = fs.realpathSync(parent);
  } catch {
    // the parent does not exist yet: nobody can hold a lock in it
  }
  return path.join(parent, `${path.basename(abs)}.lock`);
}

function staleLimitMs(options: RunLockOptions): number {
  if (options.staleAfterMs !== undefined) {
    if (!(options.staleAfterMs > 0))
      throw new Error(`run lock: staleAfterMs must be a positive number of milliseconds, got ${options.staleAfterMs}.`);
    return options.staleAfterMs;
  }
  const env = process.env[LOCK_STALE_ENV];
  if (env === undefined || env === '') return DEFAULT_STALE_MS;
  const s = Number(env);
  if (!(s > 0))
    throw new Error(
      `${LOCK_STALE_ENV}=${env} is not a positive number of seconds (how old another host's lock heartbeat may get before the lock is taken over).`,
    );
  return s * 1000;
}

/** A lock file as found: its content, or `unreadable` with the file's identity. */
type Found = { info: RunLockInfo } | { unreadable: string; mtimeMs: number } | undefined;

function isLockInfo(v: unknown): v is RunLockInfo {
  const o = v as Partial<RunLockInfo> | null;
  return (
    !!o && typeof o.pid === 'number' && typeof o.token === 'string' && typeof o.hostname === 'string' && typeof o.heartbeatAt === 'string'
  );
}

function readFound(file: string): Found {
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v: unknown = JSON.parse(text);
    if (isLockInfo(v)) return { info: v };
  } catch {
    // unreadable: judged by its age below
  }
  return { unreadable: `x${st.ino}-${Math.floor(st.mtimeMs)}`, mtimeMs: st.mtimeMs };
}

/** The identity a takeover checks: the token, or for an unreadable file its inode and time. */
const idOf = (f: Found): string | undefined => (f === undefined ? undefined : 'info' in f ? f.info.token : f.unreadable);

/** The content of a run's lock, or undefined when it is not locked (or the lock cannot be read). */
export function readRunLock(runDir: string): RunLockInfo | undefined {
  const f = readFound(runLockFile(runDir));
  return f && 'info' in f ? f.info : undefined;
}

/**
 * Whether a lock's holder may still be at work: on this host, whether its process exists;
 * from another host, whether its heartbeat is younger than the staleness limit.
 */
export function lockHolderAlive(info: RunLockInfo, options: RunLockOptions = {}): boolean {
  if (info.hostname === os.hostname()) return processAlive(info.pid);
  const beat = Date.parse(info.heartbeatAt);
  return Number.isFinite(beat) && Date.now() - beat <= staleLimitMs(options);
}

function isStale(f: Found, options: RunLockOptions): boolean {
  if (f === undefined) return false;
  if ('info' in f) return !lockHolderAlive(f.info, options);
  return Date.now() - f.mtimeMs > UNREADABLE_STALE_MS;
}

const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** Creates `file` holding `text` if no file of that name exists; false when one does. */
function createExclusive(file: string, text: string): boolean {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.new`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'wx');
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (!code || !LINK_UNSUPPORTED.has(code)) throw e;
    }
    // No hard links here: exclusive create, then write (a reader may briefly see it empty).
    let fd2: number;
    try {
      fd2 = fs.openSync(file, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      fs.writeFileSync(fd2, text);
      fs.fsyncSync(fd2);
    } finally {
      fs.closeSync(fd2);
    }
    return true;
  } catch (e) {
    throw writeError(file, e);
  } finally {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // nothing to clean up: the temporary file was never made
    }
  }
}

/** Removes `file` if it still holds `token`. */
function removeIfMine(file: string, token: string): void {
  const f = readFound(file);
  if (f && 'info' in f && f.info.token === token) fs.rmSync(file, { force: true });
}

function newInfo(runId: string): RunLockInfo {
  const now = new Date().toISOString();
  return {
    format: RUN_LOCK_FORMAT,
    runId,
    token: randomBytes(8).toString('hex'),
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: now,
    heartbeatAt: now,
  };
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

type Attempt = { held: RunLockInfo; tookOver?: Found } | { holder: Found };

/** One attempt at `file`: create it, or take over a stale holder under a guard named after it. */
function attempt(file: string, runId: string, options: RunLockOptions, depth: number): Attempt {
  const mine = newInfo(runId);
  const text = JSON.stringify(mine, null, 2) + '\n';
  for (let tries = 0; tries < 3; tries++) {
    if (createExclusive(file, text)) return { held: mine };
    const holder = readFound(file);
    if (holder === undefined) continue; // released between our create and our read: try again
    if (!isStale(holder, options) || depth >= MAX_GUARD_DEPTH) return { holder };
    const guardFile = `${file}.takeover-${idOf(holder)}`;
    const guard = attempt(guardFile, runId, options, depth + 1);
    if (!('held' in guard)) {
      // Another process is taking this stale lock over: it is theirs. Look again in a moment,
      // so that a refusal names the new holder rather than the dead one.
      Atomics.wait(pauseCell, 0, 0, 50);
      continue;
    }
    try {
      const now = readFound(file);
      if (idOf(now) !== idOf(holder)) {
        if (now === undefined) continue;
        return { holder: now };
      }
      fs.rmSync(file, { force: true });
      if (createExclusive(file, text)) return { held: mine, tookOver: holder };
      return { holder: readFound(file) };
    } finally {
      removeIfMine(guardFile, guard.held.token);
    }
  }
  return { holder: readFound(file) };
}

/**
 * Removes what dead processes left next to a lock this process now holds: guards named after
 * other tokens (a token never comes back, so a process holding such a guard finds the lock
 * changed and gives up) and temporary files of lock writes older than a minute.
 */
function cleanDebris(file: string, token: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    try {
      if (name.startsWith(`${base}.takeover-`) && !name.startsWith(`${base}.takeover-${token}`)) fs.rmSync(p, { force: true });
      else if (name.startsWith(`.${base}.`) && name.endsWith('.new') && Date.now() - fs.statSync(p).mtimeMs > UNREADABLE_STALE_MS)
        fs.rmSync(p, { force: true });
    } catch {
      // gone already, or not ours to remove: it does no harm
    }
  }
}

/** The locks this process holds, released on exit. */
const held = new Map<string, RunLock>();
let exitHook = false;

function releaseAllOnExit(): void {
  for (const lock of [...held.values()]) lock.release();
}

/** A held run lock (see the module's description). */
export class RunLock {
  readonly runDir: string;
  readonly file: string;
  readonly info: RunLockInfo;
  /** The lock this one replaced: a holder that had died. */
  readonly tookOver?: RunLockInfo | 'unreadable';
  /** Aborted when the lock turns out to be another process's now (taken over while this one was frozen). */
  readonly lost: AbortSignal;
  private readonly lostController = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  /** @internal Use {@link lockRun} or {@link tryLockRun}. */
  constructor(runDir: string, file: string, info: RunLockInfo, tookOver: RunLockInfo | 'unreadable' | undefined, heartbeatMs: number) {
    this.runDir = path.resolve(runDir);
    this.file = file;
    this.info = info;
    if (tookOver) this.tookOver = tookOver;
    this.lost = this.lostController.signal;
    this.timer = setInterval(() => this.heartbeat(), heartbeatMs);
    this.timer.unref();
    held.set(file, this);
    if (!exitHook) {
      exitHook = true;
      process.on('exit', releaseAllOnExit);
    }
  }

  /** True until {@link release} (or the lock was lost). */
  get held(): boolean {
    return !this.released && !this.lost.aborted;
  }

  /** Refreshes `heartbeatAt`, if the lock is still this process's. */
  heartbeat(): void {
    if (!this.held) return;
    let now: Found;
    try {
      now = readFound(this.file);
    } catch {
      return; // unreadable for a moment (e.g. a network file system): the next beat tries again
    }
    if (idOf(now) !== this.info.token) {
      this.stopBeating();
      const by = now && 'info' in now ? `pid ${now.info.pid} on host ${now.info.hostname}` : 'nobody (the lock file is gone)';
      process.stderr.write(
        `gaf-lab: the lock of run ${this.info.runId} (${this.file}) is now held by ${by}; this process stops training it.\n`,
      );
      this.lostController.abort();
      return;
    }
    try {
      writeFileAtomic(this.file, JSON.stringify({ ...this.info, heartbeatAt: new Date().toISOString() }, null, 2) + '\n');
    } catch (e) {
      // A full disk must not stop the training; the lock stays valid on this host by its pid.
      process.stderr.write(`gaf-lab: could not refresh the lock's heartbeat: ${(e as Error).message}\n`);
    }
  }

  /** Removes the lock if it is still this process's. Safe to call more than once. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.stopBeating();
    held.delete(this.file);
    try {
      removeIfMine(this.file, this.info.token);
    } catch {
      // a lock that cannot be removed (folder gone or read-only) is judged stale by its dead pid later
    }
  }

  private stopBeating(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** Thrown by {@link lockRun} when another live process holds the run. */
export class RunLockedError extends Error {
  /** The holder, or undefined when the lock file cannot be read. */
  readonly holder: RunLockInfo | undefined;
  readonly lockFile: string;
  constructor(runDir: string, lockFile: string, holder: RunLockInfo | undefined) {
    const runId = path.basename(path.resolve(runDir));
    super(
      holder
        ? `Run ${runId} is being trained by pid ${holder.pid} on host ${holder.hostname} since ${holder.startedAt} (last heartbeat ${holder.heartbeatAt}). ` +
            `Wait for it to end, or stop that process; its lock ${lockFile} is taken over automatically once the process is gone` +
            (holder.hostname === os.hostname()
              ? '.'
              : ' (from another host: once its heartbeat is older than the staleness limit, GAF_LOCK_STALE_SECONDS).')
        : `Run ${runId} is locked by ${lockFile}, which cannot be read (it may be being written). If no process trains the run, delete that file.`,
    );
    this.name = 'RunLockedError';
    this.holder = holder;
    this.lockFile = lockFile;
  }
}

function describeStale(f: Found): string {
  if (!f || !('info' in f)) return 'an unreadable lock file';
  const i = f.info;
  return i.hostname === os.hostname()
    ? `pid ${i.pid} on this host (${i.hostname}), which no longer runs`
    : `pid ${i.pid} on host ${i.hostname}, whose last heartbeat was at ${i.heartbeatAt}`;
}

/**
 * Takes the lock of `runDir` (whose parent folder is created if needed), or returns undefined
 * when another live process holds it. A dead holder's lock is taken over, said on stderr.
 */
export function tryLockRun(runDir: string, options: RunLockOptions = {}): RunLock | undefined {
  const r = lockOrHolder(runDir, options);
  return r instanceof RunLock ? r : undefined;
}

/** Takes the lock of `runDir` like {@link tryLockRun}; throws a {@link RunLockedError} naming the holder when it is busy. */
export function lockRun(runDir: string, options: RunLockOptions = {}): RunLock {
  const r = lockOrHolder(runDir, options);
  if (r instanceof RunLock) return r;
  throw r;
}

function lockOrHolder(runDir: string, options: RunLockOptions): RunLock | RunLockedError {
  const stale = staleLimitMs(options);
  const file = runLockFile(runDir);
  const runId = path.basename(path.resolve(runDir));
  const r = attempt(file, runId, options, 0);
  if (!('held' in r)) return new RunLockedError(runDir, file, r.holder && 'info' in r.holder ? r.holder.info : undefined);
  cleanDebris(file, r.held.token);
  if (r.tookOver) process.stderr.write(`gaf-lab: run ${runId}: took over the lock left by ${describeStale(r.tookOver)}.\n`);
  const heartbeat = Math.max(1, Math.min(options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, stale / 4));
  const tookOver = r.tookOver ? ('info' in r.tookOver ? r.tookOver.info : 'unreadable') : undefined;
  return new RunLock(runDir, file, r.held, tookOver, heartbeat);
}
