/**
 * Turns a URL path into a file inside one of the served folders, or refuses it. The one place
 * the server decides what may be read.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The real path of `urlPath` (the part of a URL after `/files/<root>/`, still percent-encoded)
 * inside `root`, or null when it is not a file or folder inside it. Refused: segments that are
 * `.` or `..` after decoding (so `%2e%2e` too), segments that decode to a slash, a backslash or a
 * NUL, malformed percent-encodings, and anything whose real path (symbolic links followed) is
 * outside the real path of `root`.
 */
export function resolveInside(root: string, urlPath: string): string | null {
  const segments: string[] = [];
  for (const raw of urlPath.split('/')) {
    if (raw === '') continue;
    let s: string;
    try {
      s = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (s === '.' || s === '..' || /[/\\\0]/.test(s)) return null;
    segments.push(s);
  }
  let realRoot: string;
  let real: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(path.join(realRoot, ...segments));
  } catch {
    return null;
  }
  return real === realRoot || real.startsWith(realRoot + path.sep) ? real : null;
}
