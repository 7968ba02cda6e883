/**
 * Each SGD+GAF variant against its controls: the paired difference GAF - control over the
 * seeds both ran, with Holm's adjustment over every such comparison of the table. A GAF's
 * controls are the control runs whose settings are what that GAF's control would train (so
 * the one lr-matched run of two GAFs with the same slope at zero serves both).
 * @module
 */
import type { ColumnTable } from '../results/arquero';
import type { Cell } from '../results/flatten';
import { formatDiff, formatP, markdownTable } from '../results/format';
import { holmAdjust } from '../results/multiplicity';
import { pairedDifference, seedValuesByGroup } from '../results/paired';
import { gafs, GAF_KINDS, type BuiltinGafKind } from '../gaf/gaf';
import { controlEffect, CONTROL_KINDS, type ControlKind } from '../optim/controls';

/** One GAF-vs-control comparison. */
export interface GafControlRow {
  /** The values of the matched columns, e.g. `fashion-mnist/smallcnn`. */
  group: string;
  gaf: string;
  control: string;
  controlKind: ControlKind;
  /** Seed pairs, mean of GAF - control over them, its Student-t interval and two-sided p. */
  pairs: number;
  diff: number;
  low: number;
  high: number;
  p: number;
  /** Holm-adjusted over every row of the table. */
  pHolm: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

/** Whether the control run `c` trains what control `kind` of the GAF run `g` would. */
function isControlOf(g: Record<string, unknown>, c: Record<string, unknown>, kind: ControlKind): boolean {
  const gafKind = g['optimizer.gaf.kind'];
  if (!GAF_KINDS.includes(gafKind as BuiltinGafKind)) return false;
  const gaf = gafs[gafKind as BuiltinGafKind]({ alpha: num(g['optimizer.gaf.alpha']), beta: num(g['optimizer.gaf.beta']) });
  let effect;
  try {
    effect = controlEffect(kind, gaf, num(g['optimizer.options.learningRate']));
  } catch {
    return false; // an unbounded GAF has no clip or sign control
  }
  const clip = effect.clip;
  return (
    same(effect.learningRate, num(c['optimizer.effective.learningRate'])) &&
    (clip === null
      ? c['optimizer.effective.clip.kind'] == null
      : c['optimizer.effective.clip.kind'] === clip.kind &&
        same(
          clip.kind === 'value' ? clip.value : clip.kind === 'rms' ? clip.maxRms : clip.maxNorm,
          num(c[`optimizer.effective.clip.${clip.kind === 'value' ? 'value' : clip.kind === 'rms' ? 'maxRms' : 'maxNorm'}`]),
        )) &&
    (effect.signScale === undefined
      ? c['optimizer.effective.signScale'] == null
      : same(effect.signScale, num(c['optimizer.effective.signScale'])) && c['optimizer.placement'] === g['optimizer.placement'])
  );
}

/**
 * The GAF-vs-control comparisons of a runs table (`loadRuns`), within each group of `by`
 * columns (those that describe the experiment, not the optimizer). Only plain-SGD GAF runs have
 * controls. Empty when the table has no control runs.
 */
export function gafVsControls(runs: ColumnTable, by: string[], options: { metric?: string; level?: number } = {}): GafControlRow[] {
  const names = runs.columnNames();
  if (!names.includes('optimizer.control.kind')) return [];
  const metric = options.metric ?? 'testTop1';
  const level = options.level ?? 0.95;
  const rows = runs.objects() as Record<string, unknown>[];
  const keyBy = (r: Record<string, unknown>): string => JSON.stringify(by.map((c) => (r[c] ?? null) as Cell));
  // One representative row per (group, label): every run of a label shares its optimizer settings.
  const labels = new Map<string, Record<string, unknown>>();
  for (const r of rows) {
    const k = JSON.stringify([keyBy(r), r.optimizerLabel]);
    if (!labels.has(k)) labels.set(k, r);
  }
  const reps = [...labels.values()];
  const seeds = seedValuesByGroup(runs, [...by, 'optimizerLabel'], { metric });
  const seedsOf = (r: Record<string, unknown>) =>
    seeds.get(JSON.stringify([...by.map((c) => (r[c] ?? null) as Cell), r.optimizerLabel ?? null])) ?? [];
  const out: Omit<GafControlRow, 'pHolm'>[] = [];
  const gafRuns = reps.filter(
    (r) => r['optimizer.name'] === 'sgd' && r['optimizer.gaf.kind'] != null && r['optimizer.control.kind'] == null,
  );
  for (const g of gafRuns) {
    for (const c of reps) {
      const kind = c['optimizer.control.kind'];
      if (keyBy(c) !== keyBy(g) || !CONTROL_KINDS.includes(kind as ControlKind)) continue;
      if (!isControlOf(g, c, kind as ControlKind)) continue;
      const d = pairedDifference(seedsOf(c), seedsOf(g), level);
      out.push({
        group: by.map((col) => String(g[col] ?? '')).join('/'),
        gaf: String(g.optimizerLabel),
        control: String(c.optimizerLabel),
        controlKind: kind as ControlKind,
        pairs: d.nPairs,
        diff: d.mean,
        low: d.low,
        high: d.high,
        p: d.p,
      });
    }
  }
  const finite = out.map((r, i) => [r.p, i] as const).filter(([p]) => Number.isFinite(p));
  const holm = holmAdjust(finite.map(([p]) => p));
  const pHolm = new Map(finite.map(([, i], j) => [i, holm[j]!]));
  return out.map((r, i) => ({ ...r, pHolm: pHolm.get(i) ?? NaN }));
}

/** The comparisons as a Markdown table with its legend (accuracy metrics in points). */
export function formatGafVsControls(rows: readonly GafControlRow[], options: { percent?: boolean } = {}): string {
  const o = { percent: options.percent ?? true };
  const unit = o.percent ? ' (points)' : '';
  const table = markdownTable(
    ['group', 'GAF', 'control', 'pairs', `GAF - control${unit} [95% CI]`, 'p', 'Holm p'],
    rows.map((r) => [r.group, r.gaf, r.control, String(r.pairs), formatDiff(r.diff, r.low, r.high, o), formatP(r.p), formatP(r.pHolm)]),
  );
  return [
    table,
    '',
    `GAF - control: mean over seed pairs of the GAF run minus the control run with the same seed, 95% Student-t interval; ` +
      `Holm p: adjusted over these ${rows.length} comparisons. A difference near zero means the control's one property ` +
      '(the larger step at small gradients, or the cap) accounts for what the GAF does.',
  ].join('\n');
}
