/**
 * Preload for child processes of test/run-disk-errors.test.ts (`node --require fs-faults.js`):
 * makes node:fs behave like a small disk or a read-only file system under one folder, where
 * the test cannot mount one. Production code carries no test hooks; this wraps the fs module
 * the child's code calls.
 *
 * - GAF_FAULT_DISK=DIR, GAF_FAULT_DISK_BYTES=N: the files under DIR share N bytes. A write that
 *   does not fit writes the part that does and fails with ENOSPC, as a real full disk does;
 *   deleting files frees their bytes (usage is the sum of the file sizes under DIR).
 * - GAF_FAULT_READONLY=DIR: creating, writing, renaming or deleting anything under DIR fails
 *   with EROFS.
 * - GAF_FAULT_HOLD=DIR: once a `manifest.json` is renamed into place with `epochsDone` >= 1, the
 *   child writes DIR/held and blocks until DIR/go exists, so the test can change the disk at
 *   exactly that point instead of racing the training that goes on.
 */
import fs from 'node:fs';
import * as path from 'node:path';

const disk = process.env['GAF_FAULT_DISK'] ? path.resolve(process.env['GAF_FAULT_DISK']) : undefined;
const capacity = Number(process.env['GAF_FAULT_DISK_BYTES'] ?? 'NaN');
const readonly = process.env['GAF_FAULT_READONLY'] ? path.resolve(process.env['GAF_FAULT_READONLY']) : undefined;
const hold = process.env['GAF_FAULT_HOLD'] ? path.resolve(process.env['GAF_FAULT_HOLD']) : undefined;

const under = (root: string | undefined, p: fs.PathLike | number): boolean => {
  if (root === undefined || typeof p === 'number') return false;
  const r = path.resolve(String(p));
  return r === root || r.startsWith(root + path.sep);
};

function failure(code: 'ENOSPC' | 'EROFS', syscall: string, p: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'read-only file system';
  // As node words them: a failed write(2) on a descriptor names no path, a call on a path names it.
  const where = syscall === 'write' ? '' : ` '${p}'`;
  return Object.assign(new Error(`${code}: ${text}, ${syscall}${where}`), {
    code,
    errno: code === 'ENOSPC' ? -28 : -30,
    syscall,
    ...(syscall === 'write' ? {} : { path: p }),
  });
}

/** Bytes of the regular files under `dir`. */
function usage(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += usage(p);
    else if (e.isFile()) total += fs.statSync(p).size;
  }
  return total;
}

const real = {
  openSync: fs.openSync,
  closeSync: fs.closeSync,
  writeFileSync: fs.writeFileSync,
  appendFileSync: fs.appendFileSync,
  mkdirSync: fs.mkdirSync,
  renameSync: fs.renameSync,
  rmSync: fs.rmSync,
  unlinkSync: fs.unlinkSync,
};
const fdPaths = new Map<number, string>();

const writesFlag = (flags: fs.OpenMode | undefined): boolean =>
  typeof flags === 'number'
    ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT)) !== 0
    : flags !== undefined && /[wa+]/.test(flags);

const pathOf = (target: fs.PathOrFileDescriptor): string | undefined => (typeof target === 'number' ? fdPaths.get(target) : String(target));

function checkReadonly(syscall: string, ...paths: (fs.PathLike | undefined)[]): void {
  for (const p of paths) if (p !== undefined && under(readonly, p)) throw failure('EROFS', syscall, String(p));
}

/** The bytes of `data` that still fit on the simulated disk; throws after writing them when not all do. */
function limitedWrite(
  target: fs.PathOrFileDescriptor,
  data: string | NodeJS.ArrayBufferView,
  write: (d: string | NodeJS.ArrayBufferView) => void,
): void {
  const p = pathOf(target);
  if (p === undefined || !under(disk, p)) return write(data);
  const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const free = Math.max(0, capacity - usage(disk!));
  if (bytes.byteLength <= free) return write(data);
  if (free > 0) write(bytes.subarray(0, free));
  throw failure('ENOSPC', 'write', p);
}

const patched = {
  openSync(p: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null): number {
    if (writesFlag(flags)) checkReadonly('open', p);
    const fd = real.openSync(p, flags ?? 'r', mode);
    fdPaths.set(fd, path.resolve(String(p)));
    return fd;
  },
  closeSync(fd: number): void {
    fdPaths.delete(fd);
    real.closeSync(fd);
  },
  writeFileSync(target: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions): void {
    if (typeof target !== 'number') checkReadonly('open', target as fs.PathLike);
    limitedWrite(target, data, (d) => real.writeFileSync(target, d, options));
  },
  appendFileSync(target: fs.PathOrFileDescriptor, data: string | Uint8Array, options?: fs.WriteFileOptions): void {
    if (typeof target !== 'number') checkReadonly('open', target as fs.PathLike);
    limitedWrite(target, data, (d) => real.appendFileSync(target, d as string | Uint8Array, options));
  },
  mkdirSync(p: fs.PathLike, options?: fs.MakeDirectoryOptions | fs.Mode | null): string | undefined {
    if (!fs.existsSync(p)) checkReadonly('mkdir', p);
    return real.mkdirSync(p, options as fs.MakeDirectoryOptions & { recursive: true });
  },
  renameSync(from: fs.PathLike, to: fs.PathLike): void {
    checkReadonly('rename', from, to);
    real.renameSync(from, to);
    if (hold !== undefined && path.basename(String(to)) === 'manifest.json') holdAfterEpoch(String(to));
  },
  rmSync(p: fs.PathLike, options?: fs.RmOptions): void {
    if (fs.existsSync(p)) checkReadonly('rm', p);
    real.rmSync(p, options);
  },
  unlinkSync(p: fs.PathLike): void {
    checkReadonly('unlink', p);
    real.unlinkSync(p);
  },
};

/** Blocks (the whole child: training is synchronous between awaits) after the first checkpointed epoch until the test says go. */
function holdAfterEpoch(manifest: string): void {
  const go = path.join(hold!, 'go');
  if (fs.existsSync(go) || fs.existsSync(path.join(hold!, 'held'))) return;
  const done = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { epochsDone?: number }).epochsDone ?? 0;
  if (done < 1) return;
  real.writeFileSync(path.join(hold!, 'held'), String(process.pid));
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!fs.existsSync(go)) Atomics.wait(nap, 0, 0, 10);
}

if (disk !== undefined || readonly !== undefined || hold !== undefined) Object.assign(fs, patched);
