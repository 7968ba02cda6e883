/**
 * Where datasets live. One place decides the search order so that every loader looks in the
 * same folders and reports the same list when nothing is found.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../provenance/package-root';
import { DatasetNotFoundError } from './errors';

/** Environment variable naming the root folder of all datasets (overrides `<repo>/data`). */
export const DATA_DIR_ENV = 'GAF_DATA_DIR';

/**
 * The root folder datasets are downloaded to and looked up in by default:
 * `$GAF_DATA_DIR` when set, else `<repo>/data`.
 */
export function defaultDataDir(): string {
  const env = process.env[DATA_DIR_ENV];
  return env !== undefined && env !== '' ? path.resolve(env) : path.join(packageRoot(), 'data');
}

/** One place to look for a dataset, with the reason it is on the list (shown in errors). */
export interface SearchPlace {
  dir: string;
  /** e.g. `dataDir argument`, `$GAF_DATA_DIR`, `Debian package dataset-fashion-mnist`. */
  origin: string;
}

/**
 * The folders to search for dataset `folder` (e.g. `fashion-mnist`; `''` for datasets whose
 * official archive brings its own folder, like CIFAR), in order.
 *
 * An explicit `dataDir` is authoritative: only `dataDir` and `dataDir/<folder>` are searched,
 * because silently reading a different copy when the caller named one hides mistakes.
 * Without it: `$GAF_DATA_DIR/<folder>`, `<repo>/data/<folder>`, then `systemDirs` (e.g. the
 * Debian package's folder).
 */
export function searchPlaces(folder: string, dataDir?: string, systemDirs: readonly SearchPlace[] = []): SearchPlace[] {
  if (dataDir !== undefined) {
    if (typeof dataDir !== 'string' || dataDir === '') {
      throw new Error(`dataDir must be a non-empty path string, got ${JSON.stringify(dataDir)}.`);
    }
    const d = path.resolve(dataDir);
    const places = [{ dir: d, origin: 'dataDir argument' }];
    if (folder !== '') places.push({ dir: path.join(d, folder), origin: 'dataDir argument' });
    return places;
  }
  const places: SearchPlace[] = [];
  const env = process.env[DATA_DIR_ENV];
  if (env !== undefined && env !== '') {
    places.push({ dir: path.join(path.resolve(env), folder), origin: `$${DATA_DIR_ENV}` });
  }
  places.push({ dir: path.join(packageRoot(), 'data', folder), origin: 'repository data/ folder' });
  places.push(...systemDirs);
  return places;
}

/** What a probe says about one folder: the dataset found there, or why not. */
export type ProbeResult<T> = { found: T } | { missing: string };

/**
 * Returns the first place where `probe` finds the dataset, or throws a
 * {@link DatasetNotFoundError} listing every place searched (with what was missing there)
 * and how to get the data.
 */
export function findInPlaces<T>(
  dataset: string,
  places: readonly SearchPlace[],
  probe: (dir: string) => ProbeResult<T>,
  howToGet: string,
  wanted?: string,
): { dir: string; found: T } {
  const searched: string[] = [];
  for (const p of places) {
    if (!isDirectory(p.dir)) {
      searched.push(`${p.dir} (${p.origin}): no such folder`);
      continue;
    }
    const r = probe(p.dir);
    if ('found' in r) return { dir: p.dir, found: r.found };
    searched.push(`${p.dir} (${p.origin}): ${r.missing}`);
  }
  throw new DatasetNotFoundError(dataset, searched, howToGet, wanted);
}

/** The first of `names` that is a regular file in `dir`, or undefined. */
export function firstFile(dir: string, names: readonly string[]): string | undefined {
  for (const n of names) {
    const p = path.join(dir, n);
    if (isFile(p)) return p;
  }
  return undefined;
}

/** True when `p` exists and is a directory. */
export function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** True when `p` exists and is a regular file. */
export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
