/**
 * Where the gaf-lab package is: its git checkout, its package.json, its default data folder.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let cachedRoot: string | undefined;

/**
 * The gaf-lab package root: the nearest folder above this file whose package.json is named
 * `gaf-lab`. Found by walking up because the compiled file sits at different depths in
 * `dist/` and in the test build.
 */
export function packageRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const name = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
        if (name === 'gaf-lab') {
          cachedRoot = dir;
          return dir;
        }
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      // Not inside the package (bundled or copied): the working directory is the best guess.
      cachedRoot = process.cwd();
      return cachedRoot;
    }
    dir = parent;
  }
}
