/** The repository root for tests: the nearest folder above this file whose package.json is gaf-lab's. */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gaf-lab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no gaf-lab package.json above ${__dirname}`);
  }
}

/** Absolute path of the gaf-lab checkout the compiled tests belong to. */
export const ROOT = findRoot();
