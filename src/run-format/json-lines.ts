/**
 * JSON-lines files that grow one complete line per append, so a process killed mid-write leaves
 * at most an unfinished last line, which readers ignore; and plain JSON files read with errors
 * that name them.
 * @module
 */
import * as fs from 'node:fs';
import { toJson, writeError, writeFileAtomic } from './atomic-write';

/**
 * Appends `text` in one write. A write that fails part-way (a full disk) is cut back to the
 * file's size before it, so the file never keeps half a line that a later append would glue
 * onto.
 */
function append(file: string, text: string): void {
  let fd: number | undefined;
  let size = 0;
  try {
    fd = fs.openSync(file, 'a');
    size = fs.fstatSync(fd).size;
    fs.writeFileSync(fd, text);
  } catch (e) {
    if (fd !== undefined) {
      try {
        fs.ftruncateSync(fd, size);
      } catch {
        // the write error below is what the caller needs to see; a torn last line is ignored by readers anyway
      }
    }
    throw writeError(file, e);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Appends one JSON object as one complete line, in a single write (non-finite numbers as null). */
export function appendJsonLine(file: string, v: unknown): void {
  append(file, toJson(v) + '\n');
}

/** Appends several JSON objects, one line each, in a single write. Nothing is written for none. */
export function appendJsonLines(file: string, vs: readonly unknown[]): void {
  if (vs.length > 0) append(file, vs.map((v) => toJson(v) + '\n').join(''));
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The objects of a JSON-lines file, in order. A last line without its newline is a write in
 * progress (or cut short by a crash) and is ignored; blank lines are skipped; a complete line
 * that is not a JSON object is an error naming `file:line`. A missing file gives no records.
 */
export function readJsonLines<T = Record<string, unknown>>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const lines = text.split('\n');
  lines.pop(); // '' after the last newline, or an unfinished line: either way not a record
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}): ${line.slice(0, 120)}`);
    }
    if (!isObject(rec)) throw new Error(`${file}:${i + 1}: expected a JSON object per line, got ${line.slice(0, 120)}`);
    out.push(rec as T);
  });
  return out;
}

/**
 * Rewrites a JSON-lines file atomically ({@link writeFileAtomic}), keeping the complete lines
 * that pass `keep`; an unfinished last line is dropped. A missing file stays missing.
 */
export function filterJsonLines<T = Record<string, unknown>>(file: string, keep: (v: T) => boolean): void {
  if (!fs.existsSync(file)) return;
  const kept = readJsonLines<T>(file).filter(keep);
  writeFileAtomic(file, kept.map((v) => toJson(v) + '\n').join(''));
}

/** Reads and parses a JSON file; the error names the file. */
export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}).`, { cause: e });
  }
}
