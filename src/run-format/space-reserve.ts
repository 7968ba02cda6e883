/**
 * Room on the disk kept for a run's last words. A run folder holds a small file of
 * incompressible bytes while the run trains; when a write fails because the disk is full, the
 * runner deletes it and writes the final manifest (status `failed` and the message) into the
 * space it leaves. Without it, a full disk would also stop the failure from being recorded,
 * leaving the run `running` with its reason lost.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeError } from './atomic-write';
import { RUN_FILES } from './run-files';

/**
 * Size of the reserve: a manifest is a few kilobytes, and writing it atomically needs room for
 * a second copy beside the old one, rounded up to the file system's blocks; 64 KiB leaves a
 * wide margin on file systems with blocks of up to 16 KiB.
 */
export const RESERVE_BYTES = 64 * 1024;

/** A held reserve: {@link SpaceReserve.release} frees it once. */
export interface SpaceReserve {
  /** The reserve file. */
  readonly file: string;
  /** Deletes the reserve; true when this call freed it, false when it was already gone. */
  release(): boolean;
}

/**
 * Writes `<runDir>/.space-reserve` with `bytes` random bytes and flushes it, so the blocks are
 * really taken (zeros could be stored as a hole or compressed away). A reserve left by a killed
 * process is overwritten. Throws, naming the file and the fix, when the disk is already too
 * full for it.
 */
export function reserveSpace(runDir: string, bytes = RESERVE_BYTES): SpaceReserve {
  const file = path.join(runDir, RUN_FILES.reserve);
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'w');
    fs.writeFileSync(fd, randomBytes(bytes));
    fs.fsyncSync(fd);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fd = undefined;
    fs.rmSync(file, { force: true });
    throw writeError(file, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  let held = true;
  return {
    file,
    release: () => {
      if (!held) return false;
      held = false;
      try {
        fs.rmSync(file, { force: true });
      } catch {
        // a folder that turned read-only: nothing is freed, and the caller's retry will say why
        return false;
      }
      return true;
    },
  };
}
