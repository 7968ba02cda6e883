/**
 * Versions of installed packages, for the records that say what produced a number or figure.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from './package-root';

/**
 * The installed version of each package, null when it is not installed. Found by walking up
 * the node_modules folders as Node's resolution does (ES-only packages hide their package.json
 * from `require`). A package installed under another's name (an npm alias, as danfojs-node's
 * tfjs-node is here) is reported as `name@version (alias)`.
 */
export function packageVersions(names: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of names) {
    out[name] = null;
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
      try {
        const p = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
          name?: string;
          version?: string;
        };
        out[name] = p.name === name || p.name === undefined ? (p.version ?? null) : `${p.name}@${p.version} (alias)`;
        break;
      } catch {
        if (path.dirname(dir) === dir) break;
      }
    }
  }
  return out;
}

/** gaf-lab's own version, from its package.json; null when it cannot be read. */
export function ownVersion(): string | null {
  try {
    return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}
