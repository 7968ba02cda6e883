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

/**
 * An error for a failed write of `file` that says what to do about it, keeping the system
 * error's `code` and the error itself as `cause`.
 */
export function writeError(file: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const detail = e instanceof Error ? e.message : String(e);
  const dir = path.dirname(file);
  let advice: string;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      advice = 'disk full: free space or choose another output folder';
      break;
    case 'EROFS':
    case 'EACCES':
    case 'EPERM':
      advice = `${dir} is not writable: choose a writable folder`;
      break;
    case 'ENOTDIR':
    case 'EEXIST':
      advice = `a part of ${dir} is a file, not a folder: choose another output folder`;
      break;
    case 'EISDIR':
      advice = `${file} is a folder: choose a file name that is not taken by a folder`;
      break;
    default:
      advice = detail;
  }
  const err = new Error(`Cannot write ${file}: ${advice}${advice === detail ? '' : ` (${detail})`}.`, { cause: e });
  if (code !== undefined) (err as NodeJS.ErrnoException).code = code;
  return err;
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
    fs.mkdirSync(dir, { recursive: true });
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
