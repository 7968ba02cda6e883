/**
 * Every notebook in notebooks/ runs headless under the tslab kernel in smoke mode
 * (GAF_NOTEBOOK_MODE=smoke), against the built package, without a failing cell, shows at least
 * one figure and has its parameter cell; notebooks listed in EXPECTED also show what they should.
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
import { ROOT } from './repo-root';

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

interface DisplayOutput extends Output {
  data?: Record<string, string | string[]>;
}

/** The text/html payloads a cell displayed (tables from showTable). */
function htmlOf(cell: Cell): string[] {
  return (cell.outputs ?? [])
    .map((o) => (o as DisplayOutput).data?.['text/html'])
    .filter((h): h is string | string[] => h !== undefined)
    .map(joinText);
}

/** Whether a cell displayed an image (a figure). */
function hasImage(cell: Cell): boolean {
  return (cell.outputs ?? []).some((o) => {
    const d = (o as DisplayOutput).data;
    return d !== undefined && ('image/png' in d || 'image/svg+xml' in d);
  });
}

/**
 * What specific notebooks must show, per cell id. Expected facts are derived here from closed
 * forms, independently of gaf-lab.
 */
const EXPECTED: Record<string, (cells: Map<string, Cell>) => void> = {
  '00-tour.ipynb': (cells) => {
    const cell = (id: string): Cell => {
      const c = cells.get(id);
      assert.ok(c, `00-tour.ipynb has no cell with id "${id}" (renamed? update test/notebooks.test.ts)`);
      return c;
    };
    assert.match(streamText(cell('backend'), 'stdout'), /^backend: (wasm|tensorflow)/m, 'the backend report names the chosen backend');
    assert.ok(hasImage(cell('gaf')), 'the GAF cell shows the curves figure');
    // The condition table: 0.1*atan(20x) and 0.2*tanh(10x) have g'(0) = alpha*beta = 2 > 1 and are
    // bounded (0.1*pi/2, 0.2), so all four conditions hold (4 "holds" each); 0.05*atan(20x) has
    // g'(0) = 0.05*20 = 1, not > 1, so it fails "enlarges tiny gradients" (condition 3) only.
    const table = htmlOf(cell('gaf')).join('');
    const rows = [...table.matchAll(/<tr><td[^>]*>([^<]+)<\/td><td[^>]*>(\d)<\/td><td[^>]*>[^<]*<\/td><td[^>]*>(holds|fails)<\/td>/g)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    );
    const want = ['0.1*atan(20x)', '0.2*tanh(10x)', '0.05*atan(20x)'].flatMap((g) =>
      [1, 2, 3, 4].map((n) => `${g} ${n} ${g === '0.05*atan(20x)' && n === 3 ? 'fails' : 'holds'}`),
    );
    assert.deepEqual(rows, want, `condition table rows:\n${table}`);
    // Two optimizers were trained and summarised; the curves figure is shown.
    const summary = htmlOf(cell('results'))[0] ?? '';
    assert.match(summary, /<td[^>]*>sgd<\/td>/);
    assert.match(summary, /<td[^>]*>sgd \+ 0\.1\*atan\(20x\)<\/td>/);
    assert.ok(hasImage(cell('curves')), 'the training curves figure is shown');
  },
  '10-voc-detection.ipynb': (cells) => {
    const cell = (id: string): Cell => {
      const c = cells.get(id);
      assert.ok(c, `10-voc-detection.ipynb has no cell with id "${id}" (renamed? update test/notebooks.test.ts)`);
      return c;
    };
    assert.ok(hasImage(cell('data')), 'the synthetic images are drawn with their boxes');
    // Both methods trained and compared: the paper-style table has a column for each.
    const table = htmlOf(cell('results')).join('');
    assert.match(table, /reference SGD_ori/);
    assert.match(table, /reference SGD_atan \(alpha 0\.1, beta 20\)/);
    assert.ok(hasImage(cell('detections')), 'detections are drawn on test images');
    assert.ok(hasImage(cell('pr')), 'the precision-recall figure is shown');
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
      env: { ...process.env, GAF_NOTEBOOK_MODE: 'smoke', NOTEBOOK_CELL_TIMEOUT: process.env.NOTEBOOK_CELL_TIMEOUT ?? '120' },
      timeout: 300_000,
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
    assert.ok(code.some(hasImage), `${name} shows no figure: every notebook of the series shows its results as figures`);
    // The series convention: one parameter cell, read through notebookParams (smoke mode).
    const params = nb.cells.find((c) => c.id === 'params');
    assert.ok(params, `${name} has no cell with id "params" (the one parameter cell)`);
    assert.match(
      streamText(params, 'stdout'),
      /SMOKE mode/,
      `${name}'s params cell did not switch to smoke mode (call notebookParams there)`,
    );

    const check = EXPECTED[name];
    if (check) check(new Map(nb.cells.filter((c) => c.id !== undefined).map((c) => [c.id as string, c])));
  });
}
