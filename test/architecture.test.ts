/**
 * The layout rules of docs/architecture.md, checked on the source: folders import only from
 * their floor or below, with no loop between folders; tfjs is changed in one place; the GAF
 * kinds are spelled in one place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './repo-root';

/** The floors of docs/architecture.md ('.' is src/ itself: index.ts, internals.ts). */
const FLOORS: Record<string, number> = {
  'run-format': 0,
  provenance: 0,
  gaf: 1,
  data: 1,
  models: 1,
  backend: 1,
  optim: 2,
  config: 3,
  train: 4,
  sweep: 5,
  results: 5,
  plots: 5,
  detect: 5,
  reports: 6,
  theory: 6,
  ablations: 6,
  notebook: 6,
  serve: 6,
  cli: 7,
  '.': 7,
};

const SRC = path.join(ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const folderOf = (file: string): string => {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : '.';
};

/** Every import between two different folders of src/, as [from folder, to folder, file]. */
function folderImports(): [string, string, string][] {
  const out: [string, string, string][] = [];
  for (const file of sourceFiles(SRC)) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']*)'/g)) {
      const target = path.resolve(path.dirname(file), m[1]!);
      const from = folderOf(file);
      const to = folderOf(target);
      if (from !== to) out.push([from, to, path.relative(ROOT, file)]);
    }
  }
  return out;
}

test('every folder of src/ has a floor, and imports only from its floor or below', () => {
  const imports = folderImports();
  for (const dir of fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    assert.ok(dir.name in FLOORS, `src/${dir.name} has no floor in docs/architecture.md`);
  }
  const upward = imports.filter(([from, to]) => FLOORS[to]! > FLOORS[from]!).map(([from, to, file]) => `${file}: ${from} -> ${to}`);
  assert.deepEqual(upward, []);
});

test('no two folders import each other (directly)', () => {
  const edges = new Set(folderImports().map(([from, to]) => `${from}>${to}`));
  const loops = [...edges].filter((e) => edges.has(e.split('>').reverse().join('>')));
  assert.deepEqual(loops, []);
});

test('only backend/fast-training.ts switches the replacements of tfjs internals', () => {
  const switches =
    /\b(setLeanBackprop|setLeanBatchNorm|registerFastGradients|restoreTfjsGradients|registerWasmFastKernels|unregisterWasmFastKernels|setFastTraining)\(/;
  const callers = sourceFiles(SRC)
    .filter(
      (f) =>
        !/backend[/\\](fast-training|lean-backprop|gradients[/\\]index|gradients[/\\]batch-norm-training|wasm-kernels[/\\]fast-kernels)\.ts$/.test(
          f,
        ),
    )
    .filter((f) =>
      fs
        .readFileSync(f, 'utf8')
        .split('\n')
        .some((line) => !/^\s*(\*|\/\/)/.test(line) && switches.test(line)),
    );
  assert.deepEqual(
    callers.map((f) => path.relative(ROOT, f)),
    ['src/backend/init.ts'],
    'initBackend is the one caller (its fastTraining step)',
  );
});

test('the built-in GAF kinds are listed once, in gaf/gaf.ts', () => {
  const spelled = sourceFiles(SRC).filter((f) => /'atan'\s*\|\s*'tanh'|\['atan',\s*'tanh'/.test(fs.readFileSync(f, 'utf8')));
  assert.deepEqual(
    spelled.map((f) => path.relative(ROOT, f)),
    ['src/gaf/gaf.ts'],
  );
});

test('docs/api.md names every value the package root and gaf-lab/internals export', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const entries = [require('../src/index') as object, require('../src/internals') as object];
  const missing = entries.flatMap((e) => Object.keys(e)).filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, []);
});
