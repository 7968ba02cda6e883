/**
 * Whole-file writes that a crash or a full disk cannot leave half done: the data goes to a
 * temporary file in the target's folder, is flushed to disk, and is renamed over the target;
 * the folder is flushed too, so the rename itself survives a power loss.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Flushes a folder's entries (renames, new files) to disk. Some platforms and file systems
 * cannot open a folder for syncing; there the rename is still atomic, only its durability
 * across a power loss is up to the system, so the failure is ignored.
 */
export function syncFolder(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // see above: not every file system syncs folders
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a fix for an output folder goes, for the advice of {@link writeError}. */
const CHOOSE_FOLDER = 'choose another output folder (--out on the command line, outDir in a config)';

/**
 * An error for a failed write of `file` that says what to do about it, keeping the system
 * error's `code` and the error itself as `cause`. `action` is the verb of the message
 * (`Cannot write FILE`, `Cannot create folder DIR`, ...). For a folder that cannot be made, the
 * folder named as not writable is the parent of the one the system refused to create.
 */
export function writeError(file: string, e: unknown, action = 'write'): Error {
  e = recursiveMkdirCause(e) ?? e;
  const sys = e as NodeJS.ErrnoException | undefined;
  const code = sys?.code;
  const detail = e instanceof Error ? e.message : String(e);
  const dir = sys?.syscall === 'mkdir' && typeof sys.path === 'string' ? path.dirname(sys.path) : path.dirname(file);
  let advice: string;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      advice = `disk full: free space on the disk of ${dir} or ${CHOOSE_FOLDER}`;
      break;
    case 'EROFS':
      advice = `${dir} is not writable (read-only file system): ${CHOOSE_FOLDER}`;
      break;
    case 'EACCES':
    case 'EPERM':
      advice = `${dir} is not writable (permission denied): ${CHOOSE_FOLDER}`;
      break;
    case 'ENOTDIR':
    case 'EEXIST':
      advice = `a part of ${dir} is a file, not a folder: ${CHOOSE_FOLDER}`;
      break;
    case 'EISDIR':
      advice = `${file} is a folder: choose a file name that is not taken by a folder`;
      break;
    default:
      advice = detail;
  }
  const err = new Error(`Cannot ${action} ${file}: ${advice}${advice === detail ? '' : ` (${detail})`}.`, { cause: e });
  if (code !== undefined) (err as NodeJS.ErrnoException).code = code;
  return err;
}

/**
 * The real cause behind the ENOENT of a recursive mkdir (`fs.mkdirSync(dir, {recursive: true})`
 * says ENOENT when a parent cannot be made, e.g. on a read-only file system): the nearest
 * existing folder is asked whether it is writable, and its answer is returned as the error the
 * mkdir of its first missing child would have given. Undefined when that is not the case.
 */
function recursiveMkdirCause(e: unknown): NodeJS.ErrnoException | undefined {
  const sys = e as NodeJS.ErrnoException | undefined;
  if (sys?.code !== 'ENOENT' || sys.syscall !== 'mkdir' || typeof sys.path !== 'string') return undefined;
  let missing = path.resolve(sys.path);
  let existing = path.dirname(missing);
  while (!fs.existsSync(existing)) {
    const up = path.dirname(existing);
    if (up === existing) return undefined;
    missing = existing;
    existing = up;
  }
  try {
    fs.accessSync(existing, fs.constants.W_OK);
    return undefined;
  } catch (a) {
    const code = (a as NodeJS.ErrnoException).code;
    if (code === undefined) return undefined;
    const reason = (a as Error).message.replace(/, access .*$/, '');
    return Object.assign(new Error(`${reason}, mkdir '${missing}'`, { cause: e }), { code, syscall: 'mkdir', path: missing });
  }
}

/**
 * Creates `dir` and its missing parents one at a time, throwing the system's error. Node's
 * recursive mkdir reports ENOENT when a parent cannot be made (e.g. on a read-only file
 * system); making each level separately keeps the real cause (EROFS, EACCES, ENOSPC, ENOTDIR)
 * and the path of the level that failed.
 */
function mkdirs(dir: string): void {
  const missing: string[] = [];
  let d = path.resolve(dir);
  while (!fs.existsSync(d)) {
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const m of missing.reverse()) {
    try {
      fs.mkdirSync(m);
    } catch (e) {
      // Made meanwhile by another process: fine as long as it is a folder.
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(m).isDirectory()) continue;
      throw e;
    }
  }
}

/**
 * Creates the folder `dir` with its missing parents (nothing happens when it exists). The error
 * names the folder and the fix: `Cannot create folder DIR: /out is not writable (read-only file
 * system): choose another output folder ...` (see {@link writeError}).
 */
export function makeDirs(dir: string): void {
  try {
    mkdirs(dir);
  } catch (e) {
    throw writeError(dir, e, 'create folder');
  }
}

function writeAndSync(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'wx');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `data` atomically and durably: a reader, a process killed at any moment
 * or a power loss sees either the old content or the new, never a mix. Creates the folder if
 * needed. On failure no temporary file is left behind and the error names `file` and the fix
 * (see {@link writeError}).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirs(dir);
    writeAndSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the temporary file was never created (e.g. the folder could not be made)
    }
    throw writeError(file, e);
  }
  syncFolder(dir);
}

/** JSON text of `v` with non-finite numbers written as null (JSON has no NaN or Infinity). */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), indent);
}

/** Replaces `file` with the indented JSON of `v` (non-finite numbers as null) via {@link writeFileAtomic}. */
export function writeJsonAtomic(file: string, v: unknown): void {
  writeFileAtomic(file, toJson(v, 2) + '\n');
}
