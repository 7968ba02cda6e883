/**
 * Rendering to PNG (resvg), text and fonts, saveFigure's files and provenance sidecar, and
 * display() outside a notebook. Also writes one PNG per figure kind to build/figures-preview/
 * for a person to look at.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { gafs } from '../src/gaf/gaf';
import { loadRuns, summarizeRuns } from '../src/results/index';
import {
  accuracyBarsSpec,
  display,
  findSystemFonts,
  gafCurvesSpec,
  gradNormSpec,
  readProvenance,
  renderPng,
  renderSvg,
  saveFigure,
  sensitivityHeatmapSpec,
  svgToPng,
  trainingCurvesSpec,
  type VlSpec,
} from '../src/plots/index';
import { readFontMetrics } from '../src/plots/font-metrics';
import { curve, standardSweep, tempDir, writeRun } from './results-fixtures';
import { ROOT } from './repo-root';

type Row = Record<string, unknown>;

const PREVIEW = path.join(ROOT, 'build', 'figures-preview');
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which must come first after the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Decodes with sharp (an independent PNG decoder) and counts non-white pixels and distinct colours. */
async function inkStats(png: Buffer): Promise<{ ink: number; colours: number; width: number; height: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (r < 250 || g < 250 || b < 250) ink++;
    if (colours.size < 5000) colours.add((r << 16) | (g << 8) | b);
  }
  return { ink, colours: colours.size, width: info.width, height: info.height };
}

const svgSize = (svg: string): { width: number; height: number } => {
  const m = /^<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"/.exec(svg)!;
  return { width: Number(m[1]), height: Number(m[2]) };
};

let root = '';
before(() => {
  root = tempDir('render');
  standardSweep(root);
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('this machine has a font for resvg (else text silently vanishes: apt-get install fonts-dejavu-core)', () => {
  const fonts = findSystemFonts();
  assert.ok(fonts.length > 0, 'no font files: install fonts-dejavu-core');
  assert.ok(
    fonts.some((f) => /DejaVuSans\.ttf$/.test(f)),
    'DejaVu Sans (fonts-dejavu-core) not found; figures are laid out for it',
  );
});

test('text is drawn: an SVG with a word gives ink, the same SVG without it gives none', async () => {
  const svg = (t: string): string =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><text x="10" y="40" font-family="sans-serif" font-size="30">${t}</text></svg>`;
  const withText = await inkStats(svgToPng(svg('Accuracy'), { scale: 1 }));
  const without = await inkStats(svgToPng(svg(''), { scale: 1 }));
  assert.equal(without.ink, 0);
  assert.ok(withText.ink > 300, `only ${withText.ink} dark pixels for a 30 px word`);
});

test('font metrics used for layout agree with the width resvg draws (within 3%)', async () => {
  const file = findSystemFonts().find((f) => /DejaVuSans\.ttf$/.test(f))!;
  const m = readFontMetrics(file);
  // DejaVu Sans digits are 1303/2048 em wide (a property of the font, checkable in any font editor).
  assert.ok(Math.abs(m.width('0', 2048) - 1303) < 1e-9);
  const text = 'Test top-1 accuracy (%) 0123';
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(
    `<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="200"><text x="10" y="150" font-family="DejaVu Sans" font-size="100">${text}</text></svg>`,
  );
  const ink = r.innerBBox()!.width; // ink extent: the advance width less the outer side bearings
  const advance = m.width(text, 100);
  assert.ok(Math.abs(advance - ink) / ink < 0.03, `advance ${advance} vs drawn ${ink}`);
});

test('renderPng: a valid PNG of the SVG size times the scale, with real content', async () => {
  const spec = gafCurvesSpec([gafs.atan({ alpha: 0.1, beta: 20 })], { range: [-0.5, 0.5] });
  const svg = await renderSvg(spec);
  const { width, height } = svgSize(svg);
  const png = await renderPng(spec, { scale: 2 });
  const size = pngSize(png);
  assert.equal(size.width, Math.ceil(width * 2));
  assert.equal(size.height, Math.ceil(height * 2));
  const stats = await inkStats(png);
  assert.ok(stats.ink > 0.01 * stats.width * stats.height, `only ${stats.ink} non-white pixels`);
  assert.ok(stats.colours > 20, `only ${stats.colours} colours: lines and anti-aliased text expected`);
  await assert.rejects(renderPng(spec, { scale: 0 }), /scale must be in \(0, 10\]/);
});

test('one PNG per figure kind under build/figures-preview/, each valid and non-trivial', async () => {
  const runs = loadRuns(root);
  const summary = summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] });
  const heatDir = tempDir('preview-heat');
  for (const alpha of [0.05, 0.1, 0.2]) {
    for (const beta of [5, 10, 20]) {
      for (const seed of [1, 2, 3])
        writeRun(heatDir, { seed, gaf: { kind: 'atan', alpha, beta }, testTop1: curve(0.8 + alpha / 2 + beta / 500 + seed / 200) });
    }
  }
  const grad: Row[] = [];
  for (const variable of ['conv2d/kernel', 'conv2d/bias', 'dense/kernel', 'dense/bias']) {
    for (let epoch = 1; epoch <= 5; epoch++) {
      for (let s = 0; s < 4; s++) {
        const rawL2 = (variable.endsWith('bias') ? 0.02 : 0.5) * Math.exp(-epoch / 3) * (1 + 0.3 * Math.sin(3 * s + epoch));
        grad.push({
          variable,
          epoch,
          step: (epoch - 1) * 4 + s,
          rawL2,
          actL2: 0.3 * Math.atan(20 * rawL2),
          rawTinyFraction: 0.3 / epoch,
          actTinyFraction: 0.02 / epoch,
        });
      }
    }
  }
  const figures: Record<string, VlSpec> = {
    'gaf-curves': gafCurvesSpec(
      [gafs.atan({ alpha: 0.1, beta: 20 }), gafs.tanh({ alpha: 0.1, beta: 20 }), gafs.log({ alpha: 0.1, beta: 20 })],
      { range: [-0.5, 0.5] },
    ),
    'training-curves-test-top1': trainingCurvesSpec(runs, { metric: 'testTop1', facet: 'model.name' }),
    'training-curves-train-loss': trainingCurvesSpec(
      runs.filter((d: Row) => d['model.name'] === 'small-cnn'),
      { metric: 'trainLoss' },
    ),
    'accuracy-bars': accuracyBarsSpec(summary),
    'accuracy-points': accuracyBarsSpec(summary, { style: 'points' }),
    'sensitivity-heatmap': sensitivityHeatmapSpec(summarizeRuns(loadRuns(heatDir), { by: ['optimizer.gaf.alpha', 'optimizer.gaf.beta'] })),
    'grad-norm-l2': gradNormSpec(grad),
    'grad-norm-tiny': gradNormSpec(grad, { stat: 'TinyFraction' }),
  };
  fs.mkdirSync(PREVIEW, { recursive: true });
  for (const [name, spec] of Object.entries(figures)) {
    const png = await renderPng(spec, { onWarning: (m) => assert.fail(`${name}: ${m}`) });
    pngSize(png);
    const stats = await inkStats(png);
    assert.ok(stats.ink > 0.01 * stats.width * stats.height && stats.colours > 20, `${name} looks empty`);
    fs.writeFileSync(path.join(PREVIEW, `${name}.png`), png);
  }
  fs.rmSync(heatDir, { recursive: true, force: true });
});

test('saveFigure: PNG, SVG and a provenance sidecar naming runs, commit, date, versions and hashes', async () => {
  const runs = loadRuns(root);
  const out = tempDir('save');
  const started = Date.now();
  const saved = await saveFigure(
    accuracyBarsSpec(summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] })),
    path.join(out, 'figs', 'accuracy.png'),
    {
      provenance: { runs, source: root, description: 'fixture sweep' },
      writeSpec: true,
    },
  );
  assert.deepEqual(fs.readdirSync(path.join(out, 'figs')).sort(), [
    'accuracy.png',
    'accuracy.provenance.json',
    'accuracy.svg',
    'accuracy.vl.json',
  ]);
  pngSize(fs.readFileSync(saved.png));
  assert.match(fs.readFileSync(saved.svg, 'utf8'), /^<svg/);
  const p = readProvenance(saved.png);
  assert.deepEqual(p, JSON.parse(fs.readFileSync(saved.provenance, 'utf8')));
  assert.equal(p.figure, 'accuracy');
  assert.equal(p.title, 'Final test top-1 accuracy per model');
  assert.equal(p.source, root);
  assert.equal(p.description, 'fixture sweep');
  // The 12 distinct runs of the sweep, with their commit and folder.
  const ids = [...new Set((runs.objects() as Row[]).map((r) => r.runId as string))].sort();
  assert.equal(p.runCount, 12);
  assert.deepEqual(
    p.runs.map((r) => r.runId),
    ids,
  );
  assert.ok(p.runs.every((r) => r.gitCommit === '1e5a0c3d9b' && r.status === 'completed' && String(r.runDir).startsWith('sweep-a/')));
  // git commit of this checkout, asked of git independently.
  let head: string | null = null;
  try {
    head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    head = null;
  }
  assert.equal(p.gitCommit, head);
  const created = Date.parse(p.createdAt);
  assert.ok(created >= started - 1000 && created <= Date.now() + 1000, `createdAt ${p.createdAt}`);
  for (const f of p.files) {
    const bytes = fs.readFileSync(path.join(out, 'figs', f.name));
    assert.equal(f.bytes, bytes.length);
    assert.equal(f.sha256, createHash('sha256').update(bytes).digest('hex'));
  }
  assert.deepEqual(
    p.files.map((f) => f.name),
    ['accuracy.png', 'accuracy.svg', 'accuracy.vl.json'],
  );
  const version = (name: string): string =>
    JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
  assert.equal(p.packages.vega, version('vega'));
  assert.equal(p.packages['vega-lite'], version('vega-lite'));
  assert.equal(p.packages['@resvg/resvg-js'], version('@resvg/resvg-js'));
  assert.equal(p.packages.arquero, version('arquero'));
  assert.equal(p.packages['gaf-lab'], JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  assert.equal(p.packages.node, process.version);
  await assert.rejects(
    saveFigure(accuracyBarsSpec(summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] })), path.join(out, '.png')),
    /has no figure name/,
  );
  fs.rmSync(out, { recursive: true, force: true });
});

test('display() outside a tslab notebook says where it works and what to use instead', async () => {
  const spec = gafCurvesSpec([gafs.atan({ alpha: 0.1, beta: 20 })]);
  await assert.rejects(
    display(spec),
    /display\(\) works only inside a running tslab notebook cell .*saveFigure\(spec, path\) or renderSvg\(spec\)/,
  );
  await assert.rejects(display(spec, { format: 'gif' as 'png' }), /format must be 'png' or 'svg'/);
});
