/**
 * The figure set of the main job: the GAF functions and the (alpha, beta) region where they
 * meet the paper's conditions (needing no runs), and, from a folder of runs, training curves,
 * final accuracy per optimizer, per-layer gradient norms raw vs activated, and the tables in
 * `results.md` / `results.csv`. Every figure is a PNG and an SVG with a provenance sidecar
 * naming the runs and the commit it was drawn from.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gafs } from '../gaf/gaf';
import { gafCurvesSpec } from '../plots/gaf-curves';
import { trainingCurvesSpec } from '../plots/training-curves';
import { accuracyBarsSpec } from '../plots/accuracy-bars';
import { gradNormSpec } from '../plots/grad-norm';
import { saveFigure, type SaveFigureOptions } from '../plots/save';
import { gitState } from '../provenance/index';
import { FIGURE_CONFIG, VL_SCHEMA, type VlSpec } from '../plots/spec';
import type { ColumnTable } from '../results/arquero';
import { writeCsv } from '../results/export';
import { findRunDirs, writeFileAtomic } from '../run-format/index';
import { loadGradStats, loadRuns } from '../results/load';
import { summarizeRuns } from '../results/summarize';
import { conditionGrid, gafConditionsSpec } from './gaf-conditions';
import { formatHeadline, formatResultsTables, resultsTables, type ResultsTables } from './results-tables';

/** Options of {@link regenerateFigures}. */
export interface FigureSetOptions {
  /** Folder of runs (a sweep folder or any folder holding run folders); absent: only the GAF figures. */
  runsDir?: string;
  /** Where the figures go (created if needed). */
  outDir: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Added to every figure's provenance `extra` (e.g. `{notebook: '09-paper-figures'}`: who drew it). */
  provenanceExtra?: Record<string, unknown>;
}

/** What {@link regenerateFigures} did. */
export interface FigureSetResult {
  /** Figure names written (each as .png, .svg and .provenance.json). */
  figures: string[];
  /** Other files written (results.md, results.csv, ...), as paths. */
  files: string[];
  /** Figures left out, with the reason (e.g. no gradient statistics in the runs). */
  skipped: { figure: string; reason: string }[];
  /** Runs found under runsDir. */
  runCount: number;
  /** The summary and comparison tables, when there were runs. */
  tables?: ResultsTables;
}

/** The GAFs of the function figure: the paper's settings (alpha*beta = 2) and one that is not a GAF (alpha*beta < 1). */
export function figureGafs() {
  return [
    gafs.atan({ alpha: 0.1, beta: 20 }),
    gafs.tanh({ alpha: 0.2, beta: 10 }),
    gafs.log({ alpha: 0.1, beta: 20 }),
    gafs.atan({ alpha: 0.5, beta: 1 }),
  ];
}

/** The settings marked on the conditions figure: the paper's CIFAR SGD runs, the reference code's default, its MindSpore LeNet/MNIST example. */
export const PAPER_SETTINGS = [
  { alpha: 0.1, beta: 20, label: 'SGD' },
  { alpha: 0.2, beta: 10, label: 'SGD' },
  { alpha: 0.3, beta: 4.5, label: 'default' },
  { alpha: 0.05, beta: 20, label: 'LeNet' },
];

/** The alpha and beta grid of the conditions figure (the paper's values among them). */
export const CONDITION_GRID = { alphas: [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2], betas: [0.5, 1, 2, 4.5, 10, 20, 50] };

/**
 * Side-by-side panels from complete specs: their own titles become panel titles; one title
 * above; the colour legend is shared (same field and values).
 */
export function concatSpecs(specs: VlSpec[], title: { text: string; subtitle?: string | string[] }): VlSpec {
  const panels = specs.map((s) => {
    const { $schema: _s, config: _c, ...rest } = s as unknown as Record<string, unknown>;
    return rest;
  });
  return {
    $schema: VL_SCHEMA,
    title,
    config: FIGURE_CONFIG,
    hconcat: panels,
    resolve: { scale: { color: 'shared' } },
  } as unknown as VlSpec;
}

const distinct = (t: ColumnTable, col: string): unknown[] =>
  t.columnNames().includes(col) ? [...new Set(Array.from(t.array(col) as ArrayLike<unknown>))] : [];

const DATASET_TITLES: Record<string, string> = {
  'fashion-mnist': 'Fashion-MNIST',
  mnist: 'MNIST',
  cifar10: 'CIFAR-10',
  cifar100: 'CIFAR-100',
  imagenet: 'ImageNet',
};

/** "Fashion-MNIST, smallcnn" from the runs. */
function settingTitle(t: ColumnTable): string {
  const ds = distinct(t, 'dataset.name').map((d) => DATASET_TITLES[String(d)] ?? String(d));
  const models = distinct(t, 'model.name').map(String);
  return [ds.join(' / '), models.join(' / ')].filter(Boolean).join(', ');
}

/** The config columns that describe the setting in results.md, with readable names. */
const SETTING_COLUMNS: [string, string][] = [
  ['dataset.name', 'dataset'],
  ['dataset.subset.perClass', 'training images per class'],
  ['dataset.subset.first', 'first training images'],
  ['dataset.testSubset.perClass', 'test images per class'],
  ['dataset.testSubset.first', 'first test images'],
  ['model.name', 'model'],
  ['epochs', 'epochs'],
  ['batchSize', 'batch size'],
  ['optimizer.options.learningRate', 'learning rate'],
  ['optimizer.options.momentum', 'momentum'],
  ['optimizer.options.weightDecay', 'weight decay'],
  ['schedule.kind', 'schedule'],
  ['schedule.warmupEpochs', 'warm-up epochs'],
  ['seed', 'seeds'],
  ['backend', 'backend'],
];

/** results.md: where the numbers come from, the setting, the tables and the figures. */
export function resultsMarkdown(runs: ColumnTable, tables: ResultsTables, o: { runsDir: string; figures: string[] }): string {
  const git = gitState();
  const headline = formatHeadline(tables);
  const statuses = new Map<string, number>();
  const perRun = new Map<string, string>();
  (runs.objects() as Record<string, unknown>[]).forEach((r) => perRun.set(String(r.runId), String(r.status)));
  for (const s of perRun.values()) statuses.set(s, (statuses.get(s) ?? 0) + 1);
  const setting = SETTING_COLUMNS.flatMap(([col, name]) => {
    const vals = distinct(runs, col).filter((v) => v !== null && v !== undefined);
    if (vals.length === 0) return [];
    const shown = vals
      .sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))
      .map(String);
    return [`- ${name}: ${shown.join(', ')}`];
  });
  const optimizers = distinct(runs, 'optimizerLabel')
    .map(String)
    .sort()
    .map((l) => `\`${l}\``);
  const speeds = (runs.objects() as Record<string, unknown>[])
    .map((r) => r.imagesPerSecond)
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const epochTimes = (runs.objects() as Record<string, unknown>[])
    .map((r) => r.epochSeconds)
    .filter((v): v is number => typeof v === 'number')
    .sort((a, b) => a - b);
  const median = (v: number[]): number => v[Math.floor((v.length - 1) / 2)]!;
  const trainedAt =
    distinct(runs, 'gitCommit')
      .map((c) => (c === null ? 'unknown' : String(c).slice(0, 10)))
      .join(', ') || 'unknown';
  const lines = [
    `# Results: ${settingTitle(runs)}`,
    '',
    `Drawn from ${perRun.size} runs in \`${o.runsDir}\` ` +
      `(${[...statuses].map(([s, n]) => `${n} ${s}`).join(', ')}; trained at commit ${trainedAt}), ` +
      `at commit ${git.commit ?? 'unknown'}${git.dirty ? ' with uncommitted changes' : ''}, ${new Date().toISOString()}.`,
    '',
    `Regenerate the tables and figures with \`npx gaf-lab figures --runs ${o.runsDir}\`; every figure's \`.provenance.json\` lists its runs.`,
    '',
    ...(headline.length
      ? [
          '## Headline: paired differences and power',
          '',
          'Each arm minus plain SGD, from runs that share a seed (same initial weights, same batches) where every SGD seed has a partner, with the p-value adjusted over the family of comparisons and the seeds 80% power needs:',
          '',
          ...headline,
          '',
        ]
      : []),
    '## Setting',
    '',
    ...setting,
    `- optimizers: ${optimizers.join(', ')}`,
    ...(speeds.length
      ? [
          `- speed: median ${median(epochTimes).toFixed(1)} s per epoch (training and evaluation), ${Math.round(median(speeds))} training images/s per run`,
        ]
      : []),
    '',
    `## ${tables.metric === 'testTop1' ? 'Final test top-1 accuracy' : tables.metric} across seeds`,
    '',
    formatResultsTables(tables, { headline: false }),
    '',
  ];
  if (o.figures.length) {
    lines.push('## Figures', '');
    for (const f of o.figures) lines.push(`### ${f}`, '', `![${f}](${f}.png)`, '');
  }
  return lines.join('\n');
}

/**
 * Writes the figure set into `outDir`: `gaf-functions`, `gaf-conditions`, and from the runs in
 * `runsDir` `training-curves`, `final-accuracy`, `grad-norms` (when the runs recorded gradient
 * statistics), `results.md`, `results.csv` and, with a comparison, `results-comparison.csv`.
 * A figure that the runs cannot support is skipped with the reason, not drawn empty.
 */
export async function regenerateFigures(o: FigureSetOptions): Promise<FigureSetResult> {
  const log = o.log ?? (() => undefined);
  fs.mkdirSync(o.outDir, { recursive: true });
  const result: FigureSetResult = { figures: [], files: [], skipped: [], runCount: 0 };
  const save = async (name: string, spec: VlSpec, provenance: SaveFigureOptions['provenance']): Promise<void> => {
    const extra = o.provenanceExtra ? { ...(provenance?.extra ?? {}), ...o.provenanceExtra } : provenance?.extra;
    const saved = await saveFigure(spec, path.join(o.outDir, name), { provenance: { ...provenance, ...(extra ? { extra } : {}) } });
    result.figures.push(name);
    log(`wrote ${saved.png} (+ .svg, .provenance.json)`);
  };

  const curves = figureGafs();
  const fnSpec = gafCurvesSpec(curves, { range: [-0.5, 0.5], title: 'Gradient activation functions g and their gain g′' }) as unknown as {
    title: { text: string; subtitle: string };
  };
  // The last GAF is the counter-example; say so where the reader looks first.
  fnSpec.title = {
    ...fnSpec.title,
    subtitle: [fnSpec.title.subtitle, `${curves[3]!.name}: αβ = 0.5 < 1, shrinks tiny gradients instead (not a GAF by condition 3)`],
  } as unknown as typeof fnSpec.title;
  await save('gaf-functions', fnSpec as unknown as VlSpec, {
    description:
      "g(x) and g'(x) of the GAFs used in the main job and the paper, and one with alpha*beta < 1 that does not enlarge tiny gradients",
    extra: { gafs: curves.map((g) => g.toJSON()) },
  });
  const grid = conditionGrid({ kind: 'atan', ...CONDITION_GRID });
  await save('gaf-conditions', gafConditionsSpec(grid, { highlight: PAPER_SETTINGS }), {
    description: 'checkConditions verdict on the four GAF conditions for alpha*atan(beta*x) over an alpha x beta grid',
    extra: { kind: 'atan', ...CONDITION_GRID, highlighted: PAPER_SETTINGS },
  });

  const skipAll = (reason: string): FigureSetResult => {
    for (const f of ['training-curves', 'final-accuracy', 'grad-norms', 'results.md']) result.skipped.push({ figure: f, reason });
    return result;
  };
  if (o.runsDir === undefined) return skipAll('no runs folder given');
  if (!fs.existsSync(o.runsDir)) return skipAll(`${o.runsDir} does not exist`);
  if (findRunDirs(o.runsDir).length === 0) return skipAll(`no run folders (with manifest.json) under ${o.runsDir}`);
  const runs = loadRuns(o.runsDir);
  const source = o.runsDir;
  const tables = resultsTables(runs);
  result.tables = tables;
  result.runCount = tables.runCount;
  const title = settingTitle(runs);

  try {
    const acc = trainingCurvesSpec(runs, { metric: 'testTop1', title: 'Test top-1 accuracy', width: 360, height: 260 });
    const loss = trainingCurvesSpec(runs, { metric: 'trainLoss', title: 'Training loss', width: 360, height: 260 });
    await save('training-curves', concatSpecs([acc, loss], { text: `${title}: training curves per optimizer` }), {
      runs,
      source,
      description: 'test top-1 and training loss per epoch, mean across seeds with a ±1 sd band, per optimizer (completed runs)',
    });
  } catch (e) {
    result.skipped.push({ figure: 'training-curves', reason: (e as Error).message });
  }

  try {
    const summary = summarizeRuns(runs, { by: ['model.name', 'optimizerLabel'] });
    const step = { step: 60 } as unknown as number;
    // Bars from zero keep the scale honest; the zoomed points show whether the intervals overlap.
    const bars = accuracyBarsSpec(summary, { allowSingleSeed: true, title: 'Bars from zero', width: step });
    const points = accuracyBarsSpec(summary, { allowSingleSeed: true, style: 'points', title: 'Zoomed', width: step });
    await save('final-accuracy', concatSpecs([bars, points], { text: `${title}: final test top-1 per optimizer` }), {
      runs,
      source,
      description: 'final test top-1 per optimizer: mean across seeds with the 95% t-interval (completed runs), from zero and zoomed',
    });
  } catch (e) {
    result.skipped.push({ figure: 'final-accuracy', reason: (e as Error).message });
  }

  const grads = loadGradStats(o.runsDir);
  if (grads.length === 0) {
    result.skipped.push({ figure: 'grad-norms', reason: 'the runs recorded no gradient statistics (set gradStats in the config)' });
  } else {
    try {
      // Weight matrices and kernels: the layers' gradients; biases and batch-norm scales would double the panels.
      const vars = [...new Set(grads.map((g) => g.variable))];
      const kernels = vars.filter((v) => /kernel$/.test(v));
      await save(
        'grad-norms',
        gradNormSpec(grads, {
          by: 'optimizerLabel',
          x: 'step',
          variables: kernels.length ? kernels : undefined,
          columns: 3,
          width: 260,
          height: 170,
          title: `${title}: per-layer gradient L2 norm, raw vs activated`,
        }),
        {
          runs: grads,
          source,
          description:
            'per-layer L2 norm of the raw gradient (dashed) and of the activated gradient g(gradient) (solid), median across seeds at each observed step',
        },
      );
    } catch (e) {
      result.skipped.push({ figure: 'grad-norms', reason: (e as Error).message });
    }
  }

  const md = path.join(o.outDir, 'results.md');
  writeFileAtomic(md, resultsMarkdown(runs, tables, { runsDir: source, figures: result.figures }));
  const csv = path.join(o.outDir, 'results.csv');
  writeCsv(tables.summary, csv);
  result.files.push(md, csv);
  if (tables.comparison) {
    const cmp = path.join(o.outDir, 'results-comparison.csv');
    writeCsv(tables.comparison, cmp);
    result.files.push(cmp);
  }
  log(`wrote ${result.files.join(', ')}`);
  return result;
}
