#!/usr/bin/env node
'use strict';
/*
 * Make `import ... from 'gaf-lab'` resolve inside this repository for tslab notebooks.
 *
 *   node scripts/link-self.js
 *
 * Creates node_modules/gaf-lab -> .. (a relative symlink to the repository root).
 *
 * Why: Node resolves the package's own name from inside the repo by package self-reference
 * (package.json "name" + "exports"), so `require('gaf-lab')` already works at run time. But
 * tslab type-checks every cell with TypeScript 5.0.4 and hard-coded compiler options
 * (moduleResolution "node10", no tsconfig read, so no `paths`), and node10 resolution knows
 * neither "exports" nor self-reference: the cell fails with
 * "Cannot find module 'gaf-lab' or its corresponding type declarations." and nothing runs.
 * With this link, node10 finds node_modules/gaf-lab/package.json, whose "types" and "main"
 * point at dist/. See notebooks/README.md.
 *
 * `npm install` prunes links it does not know about, so this runs from scripts/setup-jupyter.sh
 * and from package.json "prepare", which npm runs after `npm ci` and a plain `npm install` in
 * this repository (not after `npm install SOME-PACKAGE`). Not "postinstall": that also runs
 * where gaf-lab is installed as another project's dependency, which has nothing to link.
 * Idempotent.
 */
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(
    'usage: node scripts/link-self.js\n\nCreates node_modules/gaf-lab -> .. so tslab notebooks can import gaf-lab (idempotent; takes no options).',
  );
  process.exit(0);
}
if (args.length) {
  console.error(`[link-self] ERROR: unexpected argument ${args[0]} (it takes none; --help)`);
  process.exit(2);
}

const root = path.resolve(__dirname, '..');
const { name } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeModules = path.join(root, 'node_modules');
const link = path.join(nodeModules, name);

function fail(message) {
  console.error(`[link-self] ERROR: ${message}`);
  process.exit(1);
}

if (!fs.existsSync(nodeModules)) {
  fail(`${nodeModules} does not exist: run 'npm ci' first`);
}

let existing = null;
try {
  existing = fs.lstatSync(link);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}

if (existing) {
  if (existing.isSymbolicLink() && fs.realpathSync(link) === fs.realpathSync(root)) {
    console.log(`[link-self] ${path.relative(root, link)} already links to the repository root`);
    process.exit(0);
  }
  fail(`${link} exists and is not a link to ${root}; remove it and run 'node scripts/link-self.js' again`);
}

// 'junction' matters only on Windows, where plain directory symlinks need extra rights.
fs.symlinkSync(path.relative(nodeModules, root), link, 'junction');
console.log(`[link-self] created ${path.relative(root, link)} -> ${fs.readlinkSync(link)}`);
