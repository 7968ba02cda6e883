/**
 * Every notebook in notebooks/ runs headless under the tslab kernel, against the built package,
 * without a failing cell; notebooks listed in EXPECTED also print what they should.
 *
 * Needs `npm run build` (notebooks import dist/ through the package name) and
 * `bash scripts/setup-jupyter.sh` (Jupyter + the project-local tslab kernel). When either is
 * missing this test fails with the command to run; it never skips.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root: the nearest folder above this file whose package.json is gaf-lab's. */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'gaf-lab') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no gaf-lab package.json above ${__dirname}`);
  }
}

const ROOT = findRoot();
const NOTEBOOK_DIR = path.join(ROOT, 'notebooks');
const OUT_DIR = path.join(ROOT, 'build', 'notebooks');

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
}
interface Cell {
  id?: string;
  cell_type: string;
  metadata?: { execution?: Record<string, string> };
  outputs?: Output[];
}
interface Notebook {
  cells: Cell[];
}

const joinText = (t: string | string[] | undefined): string => (Array.isArray(t) ? t.join('') : (t ?? ''));

/** All stream text a cell wrote to `stream` (stdout or stderr). */
function streamText(cell: Cell, stream: 'stdout' | 'stderr'): string {
  return (cell.outputs ?? [])
    .filter((o) => o.output_type === 'stream' && o.name === stream)
    .map((o) => joinText(o.text))
    .join('');
}

/**
 * What specific notebooks must print, per cell id. Expected numbers are computed here from
 * closed forms, independently of gaf-lab.
 */
const EXPECTED: Record<string, (cells: Map<string, Cell>) => void> = {
  '00-quickstart.ipynb': (cells) => {
    const cell = (id: string): Cell => {
      const c = cells.get(id);
      assert.ok(c, `00-quickstart.ipynb has no cell with id "${id}" (renamed? update test/notebooks.test.ts)`);
      return c;
    };
    assert.equal(streamText(cell('make-gaf'), 'stdout'), '0.1*atan(20x)\n');

    // g(x) = 0.1 atan(20x), g'(x) = 0.1*20 / (1 + (20x)^2):
    // g(1) = 0.1 atan(20) = 0.1 * 1.5208379... = 0.152084; g'(1) = 2/401 = 0.004988;
    // g'(0) = 2; g(0.01) = 0.1 atan(0.2) = 0.019740; g'(0.1) = 2/(1+4) = 0.4.
    const values = streamText(cell('values'), 'stdout');
    const line = (x: number): string => {
      const g = 0.1 * Math.atan(20 * x);
      const dg = 2 / (1 + 400 * x * x);
      return `g(${x}) = ${g.toFixed(6)}   g'(${x}) = ${dg.toFixed(6)}`;
    };
    for (const x of [-1, 0, 0.01, 0.1, 1]) assert.ok(values.includes(line(x)), `missing "${line(x)}" in:\n${values}`);

    // The tensor cell applies g to these inputs; results must match the closed form to 6 digits,
    // and the cell must dispose everything it created.
    const tensorOut = streamText(cell('tensor'), 'stdout');
    const inputs = [-5, -0.05, -0.001, 0, 0.001, 0.05, 5];
    const wanted = inputs.map((x) => (0.1 * Math.atan(20 * x)).toFixed(6)).join(' ');
    assert.ok(tensorOut.includes(`activated: ${wanted}`), `expected "activated: ${wanted}" in:\n${tensorOut}`);
    const counts = /tensors before: (\d+), after: (\d+)/.exec(tensorOut);
    assert.ok(counts, `no tensor count line in:\n${tensorOut}`);
    assert.equal(counts[2], counts[1], 'the tensor cell leaked tensors');
  },
};

/** Fails (never skips) when dist/ is missing or older than src/: notebooks would test stale code. */
function assertDistIsBuilt(): void {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const js = path.join(ROOT, 'dist', path.relative(path.join(ROOT, 'src'), p)).replace(/\.ts$/, '.js');
        if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(p).mtimeMs) stale.push(path.relative(ROOT, p));
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  assert.deepEqual(stale, [], `dist/ is missing or older than these sources; run 'npm run build' first`);
}

const notebooks = fs
  .readdirSync(NOTEBOOK_DIR)
  .filter((f) => f.endsWith('.ipynb'))
  .sort();

test('notebooks/ has notebooks, including every one EXPECTED names', () => {
  assert.ok(notebooks.length > 0, `no .ipynb files in ${NOTEBOOK_DIR}`);
  for (const name of Object.keys(EXPECTED)) assert.ok(notebooks.includes(name), `EXPECTED names ${name}, which is not in notebooks/`);
});

for (const name of notebooks) {
  test(`notebook ${name} runs headless without errors`, () => {
    assertDistIsBuilt();
    const out = path.join(OUT_DIR, name);
    fs.rmSync(out, { force: true });
    const run = spawnSync('bash', [path.join(ROOT, 'scripts', 'run-notebook.sh'), path.join(NOTEBOOK_DIR, name), out], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NOTEBOOK_CELL_TIMEOUT: process.env.NOTEBOOK_CELL_TIMEOUT ?? '60' },
      timeout: 180_000,
    });
    assert.equal(run.error, undefined, `could not run scripts/run-notebook.sh: ${run.error?.message}`);
    // On a failing cell run-notebook.sh prints that cell's source and output (where tslab puts
    // the real message); when Jupyter is not set up it names scripts/setup-jupyter.sh.
    assert.equal(run.status, 0, `scripts/run-notebook.sh ${name} failed (exit ${run.status}):\n${run.stderr.slice(-4000)}`);

    const nb = JSON.parse(fs.readFileSync(out, 'utf8')) as Notebook;
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    for (const c of code) {
      // tslab leaves execution_count null (it sends no execute_input), so "executed" is read
      // from the reply time nbclient records per cell.
      assert.ok(c.metadata?.execution?.['shell.execute_reply'], `cell ${c.id} of ${name} was not executed`);
      const errors = (c.outputs ?? []).filter((o) => o.output_type === 'error');
      assert.deepEqual(errors, [], `cell ${c.id} of ${name} has error outputs`);
      // tslab reports TypeScript errors as "line:col - message" on stderr (and an empty <Error>).
      const stderr = streamText(c, 'stderr');
      assert.doesNotMatch(stderr, /^\d+:\d+ - /m, `cell ${c.id} of ${name} has TypeScript errors:\n${stderr}`);
    }
    assert.ok(
      code.some((c) => (c.outputs ?? []).length > 0),
      `${name} produced no output at all: a notebook should show something`,
    );

    const check = EXPECTED[name];
    if (check) check(new Map(nb.cells.filter((c) => c.id !== undefined).map((c) => [c.id as string, c])));
  });
}
