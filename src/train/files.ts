/**
 * Writing files so that a process killed at any moment leaves them readable: whole files are
 * written under a temporary name and renamed; JSON-lines files grow one complete line per
 * append, and readers ignore a last line without its newline.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes a file and flushes it to disk before returning. */
export function writeFileDurable(file: string, data: string | Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** JSON text of `v` with non-finite numbers written as null (JSON has no NaN or Infinity). */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), indent);
}

/** Replaces `file` with the JSON of `v` atomically (temporary file in the same folder, then rename). */
export function writeJsonAtomic(file: string, v: unknown): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  writeFileDurable(tmp, toJson(v, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Appends one JSON object as one complete line (a single write). */
export function appendJsonLine(file: string, v: unknown): void {
  fs.appendFileSync(file, toJson(v) + '\n');
}

/** Appends several JSON objects, one line each, in a single write. */
export function appendJsonLines(file: string, vs: readonly unknown[]): void {
  if (vs.length > 0) fs.appendFileSync(file, vs.map((v) => toJson(v)).join('\n') + '\n');
}

/**
 * The objects of a JSON-lines file, in order. A last line without a newline (a write cut short)
 * is ignored; an unparsable complete line is an error naming the file and line. A missing file
 * gives an empty list.
 */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  lines.pop(); // the part after the last newline: empty, or an incomplete line
  return lines
    .map((line, i) => ({ line, i }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, i }) => {
      try {
        return JSON.parse(line) as T;
      } catch (e) {
        throw new Error(`${file}, line ${i + 1}: not valid JSON (${(e as Error).message}).`);
      }
    });
}

/** Rewrites a JSON-lines file atomically keeping only the complete lines that pass `keep`. */
export function filterJsonLines<T>(file: string, keep: (v: T) => boolean): void {
  if (!fs.existsSync(file)) return;
  const kept = readJsonLines<T>(file).filter(keep);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileDurable(tmp, kept.map((v) => toJson(v) + '\n').join(''));
  fs.renameSync(tmp, file);
}

/** Reads and parses a JSON file, with an error that names it. */
export function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`);
  }
}
