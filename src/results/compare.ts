import { arquero, isTable, type ColumnTable } from './arquero';
import type { Cell } from './flatten';
import { compareKeys } from './summarize';
import { welchCi } from './stats';

/** Picks summary rows: column values to match (`null` matches a missing value), or a predicate. */
export type RowFilter = Record<string, Cell> | ((row: Record<string, unknown>) => boolean);

/** Options of {@link compareToBaseline}. */
export interface CompareOptions {
  /** The baseline rows, e.g. `{'optimizer.gaf.kind': null}` or `{optimizerLabel: 'sgd'}`; one per `by` group. */
  baseline: RowFilter;
  /** The treatment rows, e.g. `{'optimizer.gaf.kind': 'atan'}`; several per group give one comparison each. */
  treatment: RowFilter;
  /** Columns matched between baseline and treatment, e.g. `['model.name']`. */
  by: string[];
  /** Compare the final (default) or best accuracy. */
  measure?: 'final' | 'best';
  /** Column naming each side in the output; default `optimizerLabel` when the summary has it. */
  labelColumn?: string;
  /** Confidence level of the difference's interval; default: the summary's `level`, else 0.95. */
  level?: number;
}

function matcher(f: RowFilter, what: string): (row: Record<string, unknown>) => boolean {
  if (typeof f === 'function') return f;
  if (typeof f !== 'object' || f === null)
    throw new Error(`compareToBaseline: ${what} must be an object of column values or a function (row) => boolean.`);
  const entries = Object.entries(f);
  return (row) => entries.every(([k, v]) => (row[k] ?? null) === (v ?? null));
}

const describeFilter = (f: RowFilter): string => (typeof f === 'function' ? 'the given function' : JSON.stringify(f));

/**
 * A paper-like comparison table from a {@link summarizeRuns} summary: per `by` group (e.g. per
 * model), the baseline (e.g. SGD) and each treatment (e.g. SGD+GAF) with mean, sd and n, the
 * difference `treatment - baseline` and its Welch confidence interval.
 *
 * When either side has fewer than two seeds the interval is NaN, `singleSeed` is true and
 * `note` says so: a single seed is never presented as a result. A group with no baseline or no
 * treatment row gives a row whose `note` says which side is missing.
 */
export function compareToBaseline(summary: ColumnTable, options: CompareOptions): ColumnTable {
  if (!isTable(summary)) throw new Error('compareToBaseline: expected the table returned by summarizeRuns().');
  const names = summary.columnNames();
  for (const c of [...options.by, 'finalMean', 'n']) {
    if (!names.includes(c))
      throw new Error(
        `compareToBaseline: the summary has no column "${c}". Columns are: ${names.join(', ')}. Summarize with by: [...${JSON.stringify(options.by)}, <the columns the filters use>].`,
      );
  }
  for (const f of [options.baseline, options.treatment]) {
    if (typeof f === 'object' && f !== null) {
      for (const k of Object.keys(f))
        if (!names.includes(k))
          throw new Error(`compareToBaseline: filter column "${k}" is not in the summary. Columns are: ${names.join(', ')}.`);
    }
  }
  const m = options.measure ?? 'final';
  if (m !== 'final' && m !== 'best') throw new Error(`compareToBaseline: measure must be 'final' or 'best', got ${JSON.stringify(m)}.`);
  const labelColumn = options.labelColumn ?? (names.includes('optimizerLabel') ? 'optimizerLabel' : undefined);
  const rows = summary.objects() as Record<string, unknown>[];
  const isBase = matcher(options.baseline, 'baseline');
  const isTreat = matcher(options.treatment, 'treatment');
  const keyOf = (r: Record<string, unknown>): Cell[] => options.by.map((c) => (r[c] ?? null) as Cell);

  const groups = new Map<string, { key: Cell[]; base: Record<string, unknown>[]; treat: Record<string, unknown>[] }>();
  for (const r of rows) {
    const b = isBase(r);
    const t = isTreat(r);
    if (b && t)
      throw new Error(
        `compareToBaseline: a summary row matches both the baseline ${describeFilter(options.baseline)} and the treatment ${describeFilter(options.treatment)}; make the filters exclusive.`,
      );
    if (!b && !t) continue;
    const key = keyOf(r);
    const k = JSON.stringify(key);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { key, base: [], treat: [] }));
    (b ? g.base : g.treat).push(r);
  }
  const level = options.level ?? (typeof rows[0]?.level === 'number' ? (rows[0].level as number) : 0.95);
  const label = (r: Record<string, unknown> | undefined): Cell => (r && labelColumn ? ((r[labelColumn] ?? null) as Cell) : null);
  const num = (r: Record<string, unknown> | undefined, c: string): number => (r && typeof r[c] === 'number' ? (r[c] as number) : NaN);
  const out: Record<string, Cell>[] = [];
  for (const g of [...groups.values()].sort((a, b) => compareKeys(a.key, b.key))) {
    if (g.base.length > 1) {
      throw new Error(
        `compareToBaseline: ${g.base.length} summary rows match the baseline ${describeFilter(options.baseline)} for ${JSON.stringify(g.key)}; narrow the filter or add the distinguishing column to "by" of summarizeRuns.`,
      );
    }
    const base = g.base[0];
    for (const treat of g.treat.length ? g.treat : [undefined]) {
      const bs = { mean: num(base, `${m}Mean`), sd: num(base, `${m}Sd`), n: num(base, 'n') };
      const ts = { mean: num(treat, `${m}Mean`), sd: num(treat, `${m}Sd`), n: num(treat, 'n') };
      const w = base && treat ? welchCi(bs, ts, level) : { diff: NaN, df: NaN, halfWidth: NaN, low: NaN, high: NaN };
      const single = !(bs.n >= 2 && ts.n >= 2);
      const note = !base ? 'no baseline runs' : !treat ? 'no treatment runs' : single ? `n=${Math.min(bs.n, ts.n)} on one side, no CI` : '';
      const row: Record<string, Cell> = {};
      options.by.forEach((c, i) => (row[c] = g.key[i]!));
      Object.assign(row, {
        metric: typeof (base ?? treat)?.metric === 'string' ? ((base ?? treat)!.metric as string) : null,
        measure: m,
        baselineLabel: label(base),
        treatmentLabel: label(treat),
        baselineMean: bs.mean,
        baselineSd: bs.sd,
        baselineN: Number.isNaN(bs.n) ? 0 : bs.n,
        baselineCiHalfWidth: num(base, `${m}CiHalfWidth`),
        baselineDiverged: base ? num(base, 'diverged') : null,
        treatmentMean: ts.mean,
        treatmentSd: ts.sd,
        treatmentN: Number.isNaN(ts.n) ? 0 : ts.n,
        treatmentCiHalfWidth: num(treat, `${m}CiHalfWidth`),
        treatmentDiverged: treat ? num(treat, 'diverged') : null,
        diff: w.diff,
        diffCiLow: w.low,
        diffCiHigh: w.high,
        diffCiHalfWidth: w.halfWidth,
        welchDf: w.df,
        level,
        singleSeed: single,
        note,
      });
      out.push(row);
    }
  }
  const cols = out.length
    ? Object.keys(out[0]!)
    : [...options.by, 'baselineMean', 'treatmentMean', 'diff', 'diffCiLow', 'diffCiHigh', 'singleSeed', 'note'];
  const columns: Record<string, Cell[]> = {};
  for (const c of cols) columns[c] = out.map((r) => r[c] ?? null);
  return arquero().table(columns);
}
