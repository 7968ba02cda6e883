/**
 * Each spec builder: the data it computes (checked against closed forms or hand-computed
 * values), vega-lite compiles it without a warning, and the rendered SVG carries the titles,
 * axis titles (with units) and legend entries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { gafs } from '../src/gaf/gaf';
import { loadRuns, summarizeRuns } from '../src/results/index';
import {
  accuracyBarsSpec,
  compileSpec,
  gafCurvesSpec,
  gradNormSpec,
  renderSvg,
  sensitivityHeatmapSpec,
  trainingCurvesSpec,
  type VlSpec,
} from '../src/plots/index';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';

type Row = Record<string, unknown>;
const close = (got: unknown, want: number, tol: number, what: string): void =>
  assert.ok(typeof got === 'number' && Math.abs(got - want) <= tol, `${what}: got ${String(got)}, want ${want}`);

/** SVG text is XML-escaped; compare against the escaped form. */
const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Compiles and renders `spec`, failing on any vega-lite or vega warning; returns the SVG. */
async function cleanSvg(spec: VlSpec): Promise<string> {
  const { warnings } = await compileSpec(spec);
  assert.deepEqual(warnings, [], 'vega-lite compile warnings');
  const viewWarnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (m) => viewWarnings.push(m) });
  assert.deepEqual(viewWarnings, [], 'render warnings');
  assert.match(svg, /^<svg[^>]*width="\d+(\.\d+)?"[^>]*height="\d+(\.\d+)?"/);
  return svg;
}

function assertTexts(svg: string, texts: string[]): void {
  for (const t of texts) assert.ok(svg.includes(xml(t)), `SVG lacks the text "${t}"`);
}

const dataOf = (spec: VlSpec): Row[] => (spec as { data: { values: Row[] } }).data.values;

let root = '';
let runs: ReturnType<typeof loadRuns>;
before(() => {
  root = tempDir('plots');
  standardSweep(root);
  runs = loadRuns(root);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test("gafCurvesSpec: g and g' sampled from the GAFs; two panels with titled axes and a legend", async () => {
  const atan = gafs.atan({ alpha: 0.1, beta: 20 });
  const tanh = gafs.tanh({ alpha: 0.1, beta: 20 });
  const spec = gafCurvesSpec([atan, tanh], { range: [-0.5, 0.5], samples: 101 });
  const curves = (spec as unknown as { datasets: { curves: Row[] } }).datasets.curves;
  assert.equal(curves.length, 202);
  // Closed forms: 0.1 atan(20 * 0.5) = 0.1 atan(10); d/dx at 0 = alpha * beta = 2;
  // tanh: 0.1 tanh(10), derivative at 0.5 = 2 / cosh(10)^2.
  const at = (gaf: string, x: number): Row => curves.find((r) => r.gaf === gaf && Math.abs((r.x as number) - x) < 1e-12)!;
  close(at(atan.name, 0.5).g, 0.1 * Math.atan(10), 1e-12, 'atan g(0.5)');
  close(at(atan.name, 0).dg, 2, 1e-12, "atan g'(0)");
  close(at(tanh.name, 0.5).g, 0.1 * Math.tanh(10), 1e-12, 'tanh g(0.5)');
  close(at(tanh.name, 0.5).dg, 2 / Math.cosh(10) ** 2, 1e-15, "tanh g'(0.5)");
  const svg = await cleanSvg(spec);
  assertTexts(svg, [
    'Gradient activation functions',
    'raw gradient component x',
    'activated gradient g(x)',
    'gain g′(x) = dg/dx',
    'GAF g(x)',
    '0.1*atan(20x)',
    '0.1*tanh(20x)',
  ]);
  assert.throws(() => gafCurvesSpec([]), /at least one GAF/);
  assert.throws(() => gafCurvesSpec([atan], { range: [1, -1] }), /lo < hi/);
  assert.throws(() => gafCurvesSpec([atan, gafs.atan({ alpha: 0.1, beta: 20 })]), /two GAFs are named "0.1\*atan\(20x\)"/);
});

test('trainingCurvesSpec: mean line and band across seeds per epoch, by hand', async () => {
  const cnn = runs.filter((d: Row) => d['model.name'] === 'small-cnn');
  const spec = trainingCurvesSpec(cnn, { metric: 'testTop1' });
  const last = dataOf(spec).find((r) => r.group === 'sgd' && r.epoch === 5)!;
  // SGD finals 0.90, 0.92, 0.94: mean 0.92, sd 0.02 -> band [0.90, 0.94].
  close(last.mean, 0.92, 1e-12, 'mean');
  close(last.low, 0.9, 1e-12, 'low');
  close(last.high, 0.94, 1e-12, 'high');
  assert.equal(last.n, 3);
  // The 95% band of the mean: 0.92 -/+ 4.302653 * 0.02 / sqrt(3) = 0.92 -/+ 0.049683.
  const ci = dataOf(trainingCurvesSpec(cnn, { band: 'ci95' })).find((r) => r.group === 'sgd' && r.epoch === 5)!;
  close(ci.low, 0.92 - 0.049683, 1e-6, 'ci low');
  // Epoch 1 of the same runs: 0.90 - 0.32 = 0.58, 0.60, 0.62; min-max band [0.58, 0.62].
  const mm = dataOf(trainingCurvesSpec(cnn, { band: 'minmax' })).find((r) => r.group === 'sgd' && r.epoch === 1)!;
  close(mm.low, 0.58, 1e-9, 'min');
  close(mm.high, 0.62, 1e-9, 'max');
  const svg = await cleanSvg(spec);
  assertTexts(svg, [
    'Test top-1 accuracy per epoch',
    'line: mean across seeds (n = 3 per curve); band: ±1 sd',
    'epoch',
    'test top-1 accuracy (%)',
    'optimizer',
    'sgd + 0.1*atan(20x)',
  ]);
  const loss = await cleanSvg(trainingCurvesSpec(runs, { metric: 'trainLoss', facet: 'model.name' }));
  assertTexts(loss, ['Training loss per epoch', 'training loss (cross-entropy, nats)', 'model', 'lenet', 'small-cnn']);
  assert.throws(() => trainingCurvesSpec(runs, { metric: 'accuracy' }), /no column "accuracy"\. Columns are: runId/);
});

test('trainingCurvesSpec: unfinished runs only with include all; a single seed is said to be one', async () => {
  const dir = tempDir('curves-running');
  writeRun(dir, { seed: 1, status: 'running', testTop1: [0.5, 0.6] });
  const t = loadRuns(dir);
  assert.throws(() => trainingCurvesSpec(t), /no completed run has a finite testTop1.*include: 'all'/);
  const spec = trainingCurvesSpec(t, { include: 'all' });
  assert.match(JSON.stringify((spec as { title: unknown }).title), /n = 1 per curve.*n = 1 curves have no band and are not results/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('accuracyBarsSpec: bars with CI per model; refuses a single seed unless asked', async () => {
  const summary = summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] });
  const spec = accuracyBarsSpec(summary);
  const cnn = dataOf(spec).find((r) => r.x === 'small-cnn' && r.group === 'sgd')!;
  close(cnn.mean, 0.92, 1e-12, 'mean');
  close(cnn.low, 0.92 - 0.049683, 1e-6, 'CI low');
  close(cnn.high, 0.92 + 0.049683, 1e-6, 'CI high');
  const svg = await cleanSvg(spec);
  assertTexts(svg, [
    'Final test top-1 accuracy per model',
    'final test top-1 accuracy (%)',
    'model',
    'optimizer',
    'lenet',
    'small-cnn',
    'sgd + 0.1*atan(20x)',
    '95% t-interval of the mean',
  ]);
  await cleanSvg(accuracyBarsSpec(summary, { style: 'points', measure: 'best' }));

  const dir = tempDir('bars-single');
  standardSweep(dir);
  writeRun(dir, { seed: 1, model: 'vgg', testTop1: curve(0.7) });
  const withSingle = summarizeRuns(loadRuns(dir), { by: ['model.name', 'optimizerLabel'] });
  assert.throws(
    () => accuracyBarsSpec(withSingle),
    /1 group\(s\) have fewer than 2 seeds: vgg \/ sgd \(n=1\)\. A single seed is not a result/,
  );
  const marked = accuracyBarsSpec(withSingle, { allowSingleSeed: true });
  const vgg = dataOf(marked).find((r) => r.x === 'vgg')!;
  assert.equal(vgg.single, true);
  assert.equal(vgg.low, null);
  assertTexts(await cleanSvg(marked), ['n=1, no CI', 'vgg']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('sensitivityHeatmapSpec: one labelled cell per (alpha, beta); duplicates refused', async () => {
  const dir = tempDir('heat');
  // Two seeds per cell, finals 0.70 + alpha + beta/1000 -/+ 0.01: the cell mean is 0.70 + alpha + beta/1000.
  for (const alpha of [0.1, 0.2]) {
    for (const beta of [10, 20]) {
      for (const [seed, d] of [
        [1, -0.01],
        [2, 0.01],
      ] as const)
        writeRun(dir, { seed, gaf: { kind: 'atan', alpha, beta }, testTop1: [0.5, 0.7 + alpha + beta / 1000 + d] });
    }
  }
  writeRun(dir, { seed: 1, testTop1: [0.5, 0.7] }); // SGD without GAF: no alpha/beta, left out
  const summary = summarizeRuns(loadRuns(dir), { by: ['optimizer.gaf.alpha', 'optimizer.gaf.beta'] });
  const spec = sensitivityHeatmapSpec(summary);
  const cells = dataOf(spec);
  assert.equal(cells.length, 4);
  const c = cells.find((r) => r.x === 0.2 && r.y === 20)!;
  // (0.2, 20): 0.70 + 0.2 + 0.02 = 0.92.
  close(c.value, 0.92, 1e-12, 'cell mean');
  assert.equal(c.label, '92.0%\nn=2');
  const svg = await cleanSvg(spec);
  assertTexts(svg, [
    'Sensitivity to α and β',
    'α (output scale of g)',
    'β (input scale of g)',
    'mean final test top-1 accuracy',
    '(%)',
    'n=2',
  ]);
  const byKind = summarizeRuns(loadRuns(dir), { by: ['optimizer.gaf.alpha', 'optimizer.gaf.beta', 'seed'] });
  assert.throws(() => sensitivityHeatmapSpec(byKind), /two summary rows share optimizer\.gaf\.alpha=0\.1, optimizer\.gaf\.beta=10/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('gradNormSpec: median and 10-90% quantiles per layer and epoch, raw vs activated', async () => {
  const rows: Row[] = [];
  // Epoch 1 of conv/kernel: raw L2 1..5 over five steps, activated = 10 x raw.
  [1, 2, 3, 4, 5].forEach((v, i) => rows.push({ variable: 'conv/kernel', epoch: 1, step: i, rawL2: v, actL2: 10 * v }));
  rows.push(
    { variable: 'dense/bias', epoch: 1, step: 0, rawL2: 0.01, actL2: null },
    { variable: 'dense/bias', epoch: 2, step: 5, rawL2: 0.02, actL2: 0 },
  );
  const spec = gradNormSpec(rows);
  const raw = dataOf(spec).find((r) => r.variable === 'conv/kernel' && r.kind === 'raw gradient')!;
  // Sorted 1..5, quantile q at position 4q (linear interpolation): median 3, q10 = 1 + 0.4 = 1.4, q90 = 4 + 0.6 = 4.6.
  close(raw.median, 3, 1e-12, 'median');
  close(raw.q10, 1.4, 1e-12, 'q10');
  close(raw.q90, 4.6, 1e-12, 'q90');
  close(
    dataOf(spec).find((r) => r.variable === 'conv/kernel' && r.kind === 'activated g(gradient)')!.median,
    30,
    1e-12,
    'activated median',
  );
  // A null or zero activated norm (no GAF, or nothing on a log axis) is left out, not plotted as 0.
  assert.equal(dataOf(spec).filter((r) => r.variable === 'dense/bias' && r.kind !== 'raw gradient').length, 0);
  const svg = await cleanSvg(spec);
  assertTexts(svg, [
    'Per-layer gradient L2 norm: raw vs activated',
    'gradient L2 norm (log scale)',
    'epoch',
    'conv/kernel',
    'dense/bias',
    'raw gradient',
    'activated g(gradient)',
    'layer variable',
  ]);
  // Compared by optimizer: a run without a GAF shows only its raw gradient (its act* repeat raw*).
  const byOpt = gradNormSpec(
    [
      { variable: 'w', epoch: 1, step: 1, rawL2: 0.5, actL2: 0.5, hasGaf: false, optimizerLabel: 'sgd' },
      { variable: 'w', epoch: 1, step: 1, rawL2: 0.5, actL2: 1.5, hasGaf: true, optimizerLabel: 'sgd + 0.1*atan(20x)' },
    ],
    { by: 'optimizerLabel', x: 'step' },
  );
  assert.deepEqual(
    dataOf(byOpt).map((r) => [r.group, r.kind]),
    [
      ['sgd', 'raw gradient'],
      ['sgd + 0.1*atan(20x)', 'raw gradient'],
      ['sgd + 0.1*atan(20x)', 'activated g(gradient)'],
    ],
  );
  assertTexts(await cleanSvg(byOpt), ['optimizer', 'gradient', 'training step', 'line: median across seeds at each observed step']);
  const tiny = await cleanSvg(
    gradNormSpec(
      rows.map((r) => ({ ...r, rawTinyFraction: 0.2, actTinyFraction: 0.01 })),
      { stat: 'TinyFraction', x: 'step' },
    ),
  );
  assertTexts(tiny, ['tiny gradient components (% of layer)', 'training step']);
  assert.throws(
    () => gradNormSpec(rows, { variables: ['nope'] }),
    /no statistics for variable\(s\) nope\. Variables seen: conv\/kernel, dense\/bias/,
  );
});
