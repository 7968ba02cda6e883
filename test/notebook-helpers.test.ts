/**
 * The notebook helpers outside a kernel: the smoke-mode switch and parameter cell
 * (src/notebook/mode.ts), table formatting (show.ts), progress lines (progress.ts) and the line
 * chart builder (src/plots/line-chart.ts). Expected strings are written out by hand below.
 */
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { notebookMode, notebookParams, NOTEBOOK_MODE_ENV } from '../src/notebook/mode';
import { formatCell, tableHtml, tableText } from '../src/notebook/show';
import { formatProgress, progressLine } from '../src/train/progress-line';
import { lineChartSpec } from '../src/plots/line-chart';
import { compileSpec, renderSvg } from '../src/plots/render';
import { ROOT } from './repo-root';
import { powerTable } from '../src/notebook/power-table';
import { loadRuns } from '../src/results/load';
import { resultsTables, tableRows } from '../src/reports/results-tables';
import { tempDir, writeRun } from './results-fixtures';

// ---------------------------------------------------------------------------------------------
// notebookMode / notebookParams

test('notebookMode: unset or empty is normal; normal and smoke are read case- and space-insensitively', () => {
  assert.equal(NOTEBOOK_MODE_ENV, 'GAF_NOTEBOOK_MODE');
  assert.equal(notebookMode({}), 'normal');
  assert.equal(notebookMode({ GAF_NOTEBOOK_MODE: '' }), 'normal');
  assert.equal(notebookMode({ GAF_NOTEBOOK_MODE: '  ' }), 'normal');
  assert.equal(notebookMode({ GAF_NOTEBOOK_MODE: 'normal' }), 'normal');
  assert.equal(notebookMode({ GAF_NOTEBOOK_MODE: 'smoke' }), 'smoke');
  assert.equal(notebookMode({ GAF_NOTEBOOK_MODE: ' SMOKE ' }), 'smoke');
});

test('notebookMode: an unknown value is an error naming the variable, the value and the fix', () => {
  assert.throws(
    () => notebookMode({ GAF_NOTEBOOK_MODE: 'fast' }),
    (e: Error) =>
      e.message.includes('GAF_NOTEBOOK_MODE="fast"') && e.message.includes('GAF_NOTEBOOK_MODE=smoke') && /leave it unset/.test(e.message),
  );
});

test('notebookMode reads process.env by default', () => {
  const saved = process.env.GAF_NOTEBOOK_MODE;
  try {
    process.env.GAF_NOTEBOOK_MODE = 'smoke';
    assert.equal(notebookMode(), 'smoke');
    delete process.env.GAF_NOTEBOOK_MODE;
    assert.equal(notebookMode(), 'normal');
  } finally {
    if (saved === undefined) delete process.env.GAF_NOTEBOOK_MODE;
    else process.env.GAF_NOTEBOOK_MODE = saved;
  }
});

const normal = { epochs: 10, seeds: [1, 2, 3], lr: 0.1 };

test('notebookParams: normal mode keeps the normal settings; figures and runs go to the committed folders', () => {
  const p = notebookParams({ name: '06-ablations', normal, smoke: { epochs: 1 }, env: {}, announce: false });
  assert.equal(p.mode, 'normal');
  assert.equal(p.epochs, 10);
  assert.deepEqual(p.seeds, [1, 2, 3]);
  assert.equal(p.lr, 0.1);
  assert.equal(p.figuresDir, path.join(ROOT, 'figures'));
  assert.equal(p.runsDir, path.join(ROOT, 'runs', 'notebooks', '06-ablations'));
});

test('notebookParams: smoke mode overrides only what smoke sets; outputs go under build/smoke/', () => {
  const p = notebookParams({
    name: '06-ablations',
    normal,
    smoke: { epochs: 1, seeds: [1] },
    env: { GAF_NOTEBOOK_MODE: 'smoke' },
    announce: false,
  });
  assert.equal(p.mode, 'smoke');
  assert.equal(p.epochs, 1);
  assert.deepEqual(p.seeds, [1]);
  assert.equal(p.lr, 0.1, 'a setting smoke does not mention keeps its normal value');
  assert.equal(p.figuresDir, path.join(ROOT, 'build', 'smoke', 'figures'));
  assert.equal(p.runsDir, path.join(ROOT, 'build', 'smoke', 'runs', '06-ablations'));
  assert.equal(normal.epochs, 10, 'the normal settings object is not modified');
});

test('notebookParams: the result is frozen, so a later cell cannot change a parameter', () => {
  const p = notebookParams({ name: 'x', normal, smoke: {}, env: {}, announce: false });
  assert.ok(Object.isFrozen(p));
  // Test files are compiled as strict-mode modules: assigning to a frozen property throws.
  assert.throws(() => {
    (p as { epochs: number }).epochs = 99;
  }, TypeError);
  assert.equal(p.epochs, 10);
});

test('notebookParams: a smoke key the normal settings lack is an error listing the allowed keys', () => {
  const typo = { epoch: 1 } as unknown as Partial<typeof normal>;
  assert.throws(
    () => notebookParams({ name: '03-theory', normal, smoke: typo, env: {}, announce: false }),
    (e: Error) =>
      e.message.includes('notebookParams(03-theory)') && e.message.includes('"epoch"') && e.message.includes('allowed: epochs, seeds, lr'),
  );
});

test('notebookParams: settings named like its own fields (mode, figuresDir, runsDir) are refused, not overwritten', () => {
  assert.throws(
    () => notebookParams({ name: 'x', normal: { mode: 'fast', epochs: 1 }, smoke: {}, env: {}, announce: false }),
    /"mode" is set by notebookParams itself/,
  );
});

test('notebookParams: a name that is not a plain folder name is refused', () => {
  assert.throws(
    () => notebookParams({ name: '../x', normal, smoke: {}, env: {}, announce: false }),
    /name "\.\.\/x" must be a plain folder name/,
  );
});

test('notebookParams: a bad GAF_NOTEBOOK_MODE in the given env is reported', () => {
  assert.throws(
    () => notebookParams({ name: 'x', normal, smoke: {}, env: { GAF_NOTEBOOK_MODE: 'tiny' }, announce: false }),
    /GAF_NOTEBOOK_MODE="tiny"/,
  );
});

test('notebookParams announces the mode on one line (and only when asked)', () => {
  const log = mock.method(console, 'log', () => undefined);
  try {
    notebookParams({ name: '02-x', normal, smoke: {}, env: { GAF_NOTEBOOK_MODE: 'smoke' } });
    notebookParams({ name: '02-x', normal, smoke: {}, env: {} });
    notebookParams({ name: '02-x', normal, smoke: {}, env: {}, announce: false });
    const lines = log.mock.calls.map((c) => String(c.arguments[0]));
    assert.equal(lines.length, 2);
    assert.equal(
      lines[0],
      `02-x: SMOKE mode (GAF_NOTEBOOK_MODE=smoke): tiny settings, numbers are not results; figures -> ${path.join('build', 'smoke', 'figures')}/`,
    );
    assert.equal(lines[1], '02-x: normal mode (set GAF_NOTEBOOK_MODE=smoke for a quick check); figures -> figures/');
  } finally {
    log.mock.restore();
  }
});

// ---------------------------------------------------------------------------------------------
// formatCell / tableHtml / tableText

test('formatCell: integers as they are, others to 4 significant digits, tiny/huge in exponent form', () => {
  assert.equal(formatCell(42), '42');
  assert.equal(formatCell(-7), '-7');
  assert.equal(formatCell(3.14159265), '3.142');
  assert.equal(formatCell(0.5), '0.5');
  assert.equal(formatCell(0.000123456), '1.235e-4'); // |v| < 1e-3
  assert.equal(formatCell(1234567.5), '1.235e+6'); // |v| >= 1e6
  assert.equal(formatCell(2.71828, 2), '2.7');
  assert.equal(formatCell(NaN), 'NaN');
  assert.equal(formatCell(Infinity), 'Infinity');
  assert.equal(formatCell(null), '');
  assert.equal(formatCell(undefined), '');
  assert.equal(formatCell('text'), 'text');
  assert.equal(formatCell(true), 'true');
  assert.equal(formatCell({ a: 1 }), '{"a":1}');
});

test('tableHtml escapes text, right-aligns numeric columns and carries the gaf-lab class', () => {
  const html = tableHtml([
    { name: '<b>bold</b>', acc: 0.91234, note: 'a & "b"' },
    { name: 'plain', acc: null, note: 'x' },
  ]);
  assert.ok(html.startsWith('<table class="gaf-lab-table">'));
  assert.ok(html.includes('<td style="text-align:left">&lt;b&gt;bold&lt;/b&gt;</td>'), html);
  assert.ok(!html.includes('<b>bold</b>'), 'raw HTML from a cell must not reach the page');
  assert.ok(html.includes('<td style="text-align:left">a &amp; &quot;b&quot;</td>'), html);
  // acc holds only numbers (and null): right-aligned header and cells; name is text: left.
  assert.ok(
    html.includes(
      '<thead><tr><th style="text-align:left">name</th><th style="text-align:right">acc</th><th style="text-align:left">note</th></tr></thead>',
    ),
    html,
  );
  assert.ok(html.includes('<td style="text-align:right">0.9123</td>'), html);
  assert.ok(html.includes('<td style="text-align:right"></td>'), 'null shows as an empty cell');
  assert.equal((html.match(/<tr>/g) ?? []).length, 3, 'header row + 2 body rows');
  assert.ok(!html.includes('<caption'), 'no caption without title or cut');
});

test('tableHtml: a column mixing numbers and text is not right-aligned; column headers are escaped', () => {
  const html = tableHtml([{ '<x>': 1 }, { '<x>': 'two' }]);
  assert.ok(html.includes('<th style="text-align:left">&lt;x&gt;</th>'), html);
  assert.ok(html.includes('<td style="text-align:left">1</td>') && html.includes('<td style="text-align:left">two</td>'), html);
});

test('tableHtml: limit cuts the rows and the caption says how many were left out', () => {
  const rows = [1, 2, 3, 4, 5].map((i) => ({ i }));
  const html = tableHtml(rows, { limit: 2, title: 'Runs <all>' });
  assert.ok(html.includes('<caption style="caption-side:top;text-align:left">Runs &lt;all&gt; (first 2 of 5 rows)</caption>'), html);
  assert.equal((html.match(/<tr>/g) ?? []).length, 3, 'header + 2 rows');
  assert.ok(!html.includes('>3</td>'));
});

test('tableHtml: columns picks and orders the columns', () => {
  const html = tableHtml([{ a: 1, b: 2, c: 3 }], { columns: ['c', 'a'] });
  assert.ok(html.includes('<thead><tr><th style="text-align:right">c</th><th style="text-align:right">a</th></tr></thead>'), html);
  assert.ok(!html.includes('>b<'));
});

test('tableText aligns columns under their headers, with title and cut note', () => {
  const text = tableText(
    [
      { a: 1, b: 'xy' },
      { a: 22, b: 'z' },
      { a: 3, b: 'w' },
    ],
    { title: 'T', limit: 2 },
  );
  // Widths: a = max(1, 1, 2) = 2, b = max(1, 2, 1) = 2; two spaces between columns; trailing spaces trimmed.
  assert.equal(text, ['T', 'a   b', '--  --', '1   xy', '22  z', '(first 2 of 3 rows)'].join('\n'));
});

test('tableHtml and tableText refuse input that is not rows', () => {
  assert.throws(() => tableHtml('nope' as unknown as []), /expected an arquero table or an array of row objects/);
  assert.throws(() => tableText(42 as unknown as []), /expected an arquero table or an array of row objects/);
});

// ---------------------------------------------------------------------------------------------
// formatProgress / progressLine

test('formatProgress: bar, percentage and the ETA from the mean time per unit', () => {
  // 10 of 40 done after 20 s: 2 s per unit, 30 left -> 60 s = "1 min 00 s"; bar 25% of 20 = 5 #.
  assert.equal(formatProgress('train', 10, 40, 20), 'train [#####...............] 10/40 (25%), 1 min 00 s left');
  // Nothing done yet: no ETA can be given.
  assert.equal(formatProgress('train', 0, 40, 3), 'train [....................] 0/40 (0%)');
  // Finished: the total time instead of an ETA; 75 s = "1 min 15 s".
  assert.equal(formatProgress('train', 40, 40, 75, 'done'), 'train [####################] 40/40 (100%), 1 min 15 s - done');
  // 1 of 3 after 4 s: 8 s left; 1/3 of 20 cells = 6.67 -> 7 #, 33%.
  assert.equal(formatProgress('x', 1, 3, 4, 'seed 1'), 'x [#######.............] 1/3 (33%), 8 s left - seed 1');
});

test('progressLine prints at most every minSeconds outside a notebook, and always on done()', () => {
  let t = 1000; // ms
  const lines: string[] = [];
  const bar = progressLine('sweep', 8, { now: () => t, log: (s) => lines.push(s), minSeconds: 10 });
  assert.deepEqual(lines, ['sweep [....................] 0/8 (0%)'], 'the start is printed at once');
  t += 5000;
  bar.update(2);
  assert.equal(lines.length, 1, '5 s after the last line: nothing printed');
  t += 5000;
  bar.update(4, 'run 4');
  // 10 s since the last line: printed. 4 of 8 after 10 s: 2.5 s per unit, 4 left -> 10 s.
  assert.equal(lines.length, 2);
  assert.equal(lines[1], 'sweep [##########..........] 4/8 (50%), 10 s left - run 4');
  t += 2000;
  bar.update(5);
  assert.equal(lines.length, 2, '2 s after the last line: nothing printed');
  t += 1000;
  bar.done();
  // done() prints even 3 s after the last line, with the total time (13 s) and the full bar.
  assert.equal(lines.length, 3);
  assert.equal(lines[2], 'sweep [####################] 8/8 (100%), 13 s');
});

test('progressLine refuses a total that is not a whole number >= 0', () => {
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(() => progressLine('p', bad, { log: () => undefined }), /progressLine\(p\): total must be a whole number >= 0/);
  }
});

// ---------------------------------------------------------------------------------------------
// lineChartSpec

const rows = [
  { step: 1, gap: 1, method: 'SGD' },
  { step: 10, gap: 0.1, method: 'SGD' },
  { step: 100, gap: 0.01, method: 'SGD' },
  { step: 1, gap: 0.5, method: 'SGD + GAF' },
  { step: 10, gap: 0.02, method: 'SGD + GAF' },
  { step: 100, gap: 0.001, method: 'SGD + GAF' },
];

test('lineChartSpec: a missing field is an error naming it and the columns there are', () => {
  assert.throws(() => lineChartSpec(rows, { x: 'step', y: 'loss' }), /lineChartSpec: no column "loss". Columns are: step, gap, method\./);
  assert.throws(() => lineChartSpec(rows, { x: 'step', y: 'gap', color: 'optimizer' }), /no column "optimizer"/);
  assert.throws(() => lineChartSpec([], { x: 'step', y: 'gap' }), /lineChartSpec: no rows to plot/);
});

test('lineChartSpec: a value <= 0 on a log axis is an error, not silently dropped', () => {
  const withZero = [...rows, { step: 1000, gap: 0, method: 'SGD' }];
  assert.throws(
    () => lineChartSpec(withZero, { x: 'step', y: 'gap', logY: true }),
    (e: Error) =>
      e.message.includes('y field "gap" must hold finite numbers > 0 (log axis); found 0') && e.message.includes('turn off logY'),
  );
  assert.throws(
    () => lineChartSpec([{ step: -1, gap: 1 }], { x: 'step', y: 'gap', logX: true }),
    /x field "step" must hold finite numbers > 0 \(log axis\); found -1/,
  );
  // The same rows are fine on a linear axis.
  assert.doesNotThrow(() => lineChartSpec(withZero, { x: 'step', y: 'gap' }));
});

test('lineChartSpec: non-numeric values and a bad rule are errors', () => {
  assert.throws(
    () => lineChartSpec([{ step: 'one', gap: 1 }], { x: 'step', y: 'gap' }),
    /x field "step" must hold finite numbers; found "one"/,
  );
  assert.throws(
    () => lineChartSpec(rows, { x: 'step', y: 'gap', logY: true, rule: { y: 0 } }),
    /rule\.y must be a finite number > 0 \(log y axis\); got 0/,
  );
});

test('lineChartSpec renders to SVG without warnings, with the titles, legend entries and rule label', async () => {
  const spec = lineChartSpec(rows, {
    x: 'step',
    y: 'gap',
    color: 'method',
    logX: true,
    logY: true,
    xTitle: 'iteration',
    yTitle: 'loss gap f(w) - f*',
    colorTitle: 'optimizer',
    title: 'Gap against iteration',
    rule: { y: 0.005, label: 'tolerance' },
  });
  const { warnings } = await compileSpec(spec);
  assert.deepEqual(warnings, []);
  const renderWarnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (m) => renderWarnings.push(m) });
  assert.deepEqual(renderWarnings, []);
  assert.match(svg, /^<svg/);
  for (const text of ['iteration', 'loss gap f(w) - f*', 'optimizer', 'Gap against iteration', 'SGD + GAF', 'tolerance']) {
    assert.ok(svg.includes(`>${text}<`), `the SVG lacks the text "${text}"`);
  }
});

test('lineChartSpec: default titles are the field names; column makes one panel per value', async () => {
  const spec = lineChartSpec(rows, { x: 'step', y: 'gap', column: 'method' });
  const svg = await renderSvg(spec, { onWarning: (m) => assert.fail(`render warning: ${m}`) });
  for (const text of ['step', 'gap', 'gap against step', 'SGD', 'SGD + GAF'])
    assert.ok(svg.includes(`>${text}<`), `the SVG lacks the text "${text}"`);
});

test('tableText / tableHtml: percent columns and renamed headers', () => {
  const rows = [{ opt: 'sgd', acc: 0.8512, lo: NaN }];
  // 0.8512 * 100 = 85.12 with two decimals; a non-finite percentage shows as a dash; columns are
  // padded to their widest entry ("mean top-1": 10) plus two spaces: 7 + 3 + 2.
  const text = tableText(rows, { percent: ['acc', 'lo'], headers: { acc: 'mean top-1' } });
  assert.deepEqual(text.split('\n'), ['opt  mean top-1  lo', '---  ----------  --', 'sgd  85.12 %     –']);
  const html = tableHtml(rows, { percent: ['acc'], headers: { acc: 'mean top-1' } });
  assert.ok(html.includes('<th style="text-align:right">mean top-1</th>'), html);
  assert.ok(html.includes('<td style="text-align:right">85.12 %</td>'), html);
});

test('powerTable: seeds per arm and pairs for the observed difference and a chosen one, as results computes them', () => {
  const root = tempDir('power-table');
  try {
    // SGD finals 0.80, 0.82, 0.81 and SGD+GAF 0.85, 0.86, 0.84 (seeds 1-3): paired differences 0.05, 0.04, 0.03,
    // mean 0.04, sd 0.01. Pairs to detect 0.005 with 80% power at two-sided alpha 0.05: the normal value
    // ((1.959964 + 0.841621) * 0.01 / 0.005)^2 = 31.4, then the smallest n with n >= ((t(.975, n-1) + t(.8, n-1)) * 2)^2:
    // n = 32: (2.0395 + 0.8534)^2 * 4 = 33.5; n = 33: (2.0369 + 0.8531)^2 * 4 = 33.4; n = 34: (2.0345 + 0.8527)^2 * 4 = 33.3 <= 34.
    [
      [0.8, 0.85],
      [0.82, 0.86],
      [0.81, 0.84],
    ].forEach(([sgd, gaf], i) => {
      writeRun(root, { seed: i + 1, testTop1: [sgd!] });
      writeRun(root, { seed: i + 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: [gaf!] });
    });
    const runs = loadRuns(root);
    const rows = powerTable(runs, { detect: 0.005 });
    assert.equal(rows.length, 1);
    const r = rows[0]!;
    assert.equal(r.treatment, 'sgd + 0.1*atan(20x)');
    assert.equal(r['difference (points)'], '+4.00');
    assert.equal(r.test, 'paired, 3 pairs');
    assert.equal(r['sd of pair differences (points)'], '1.00');
    const cmp = tableRows(resultsTables(runs, { detect: 0.005 }).comparison!)[0]!;
    assert.equal(r['pairs (0.50 pt)'], String(cmp.nPairsDetect));
    assert.equal(r['pairs (observed)'], String(cmp.nPairs));
    assert.equal(r['seeds per arm (0.50 pt)'], String(cmp.nPerArmDetect));
    assert.equal(r['pairs (0.50 pt)'], '34');
    const sgdOnly = tempDir('power-table-sgd');
    try {
      writeRun(sgdOnly, { seed: 1, testTop1: [0.8] });
      assert.throws(() => powerTable(loadRuns(sgdOnly)), /powerTable: no SGD vs SGD\+GAF comparison: no SGD\+GAF run/);
    } finally {
      fs.rmSync(sgdOnly, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
