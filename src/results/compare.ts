import { arquero, isTable, type ColumnTable } from './arquero';
import type { Cell } from './flatten';
import { compareKeys } from './summarize';
import { bhAdjust, bonferroniLevel, holmAdjust } from './multiplicity';
import { pairedDifference, seedValuesByGroup, type PairedDifference, type SeedValue } from './paired';
import { pairsNeeded, pooledSd, seedsPerArmNeeded } from './power';
import { pValueOfDiff, studentTQuantile, welchCi } from './stats';

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
  /**
   * The runs table (`loadRuns`) the summary was made from. With it each comparison also gets
   * the paired difference over seeds that both sides ran, and the paired test becomes the
   * primary one where every baseline seed has a partner.
   */
  runs?: ColumnTable;
  /**
   * Which comparisons form one family for the Holm and Benjamini-Hochberg corrections:
   * `group` (default), those of one `by` group (e.g. every GAF variant against SGD on one model),
   * or `all`, every comparison of the table.
   */
  family?: 'group' | 'all';
  /** A difference to size the experiment for (metric units: 0.005 is half a point of accuracy), besides the observed one. */
  detect?: number;
  /** Power of the sample sizes; default 0.8 (two-sided alpha is 1 - level). */
  power?: number;
}

/** Columns of the summary that name its groups: those before its `metric` column. */
function summaryGroupColumns(names: string[]): string[] {
  const i = names.indexOf('metric');
  return i < 0 ? [] : names.slice(0, i);
}

/** Seeds as `4, 5`, a run without one as `no seed`. */
const seedList = (seeds: Cell[]): string => seeds.map((s) => (s === null ? 'no seed' : String(s))).join(', ');

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
 * With `runs`, each comparison also has the paired difference over the seeds both sides ran
 * (`paired*`: mean of the per-seed differences, Student-t interval with pairs - 1 df, p-value),
 * the seeds without a partner in `unpairedSeeds`, and `primary`: `paired` when every baseline
 * seed has a partner (and there are two pairs or more), else `welch`. `p` is the primary test's
 * two-sided p-value; `pHolm` and `qBH` adjust it within its `family` (see `options.family`),
 * and `simCiLow`/`simCiHigh` are the primary difference's Bonferroni interval at level
 * `simLevel` = 1 - (1 - level) / familySize, which holds for the whole family at once.
 * `nPerArm` (unpaired, pooled sd) and `nPairs` (paired, sd of the differences) are the seeds
 * needed to detect the observed difference with the given power at two-sided alpha = 1 - level;
 * `nPerArmDetect`/`nPairsDetect` the same for `options.detect` (see `seedsPerArmNeeded`).
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
  const family = options.family ?? 'group';
  if (family !== 'group' && family !== 'all')
    throw new Error(`compareToBaseline: family must be 'group' or 'all', got ${JSON.stringify(family)}.`);
  const detect = options.detect;
  if (detect !== undefined && !(Number.isFinite(detect) && detect !== 0))
    throw new Error(
      `compareToBaseline: detect must be a nonzero number in the metric's units (e.g. 0.005 for half a point), got ${String(detect)}.`,
    );
  const power = options.power ?? 0.8;
  if (!(power > 0 && power < 1)) throw new Error(`compareToBaseline: power must be in (0, 1), e.g. 0.8; got ${String(power)}.`);
  const rows = summary.objects() as Record<string, unknown>[];
  const groupColumns = summaryGroupColumns(names);
  let seedValues: Map<string, SeedValue[]> | null = null;
  if (options.runs !== undefined) {
    if (!isTable(options.runs)) throw new Error('compareToBaseline: runs must be the table returned by loadRuns().');
    const runNames = options.runs.columnNames();
    const lacking = groupColumns.filter((c) => !runNames.includes(c));
    if (lacking.length)
      throw new Error(
        `compareToBaseline: the runs table has no column ${lacking.map((c) => `"${c}"`).join(', ')} of the summary's groups; pass the table the summary was made from.`,
      );
    const metricName = typeof rows[0]?.metric === 'string' ? (rows[0].metric as string) : 'testTop1';
    seedValues = seedValuesByGroup(options.runs, groupColumns, { metric: metricName, measure: m });
  }
  const seedsOf = (r: Record<string, unknown> | undefined): SeedValue[] =>
    r && seedValues ? (seedValues.get(JSON.stringify(groupColumns.map((c) => (r[c] ?? null) as Cell))) ?? []) : [];
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
  // Per row, what the corrections need: the primary test's p, standard error and df, and its family.
  const tests: { p: number; diff: number; se: number; df: number; family: string; familyName: string }[] = [];
  const alpha = 1 - level;
  const sizes = (sdPaired: number, sdPooled: number, delta: number, deltaPaired = delta): [number, number] => [
    seedsPerArmNeeded({ sd: sdPooled, delta, alpha, power }).n,
    pairsNeeded({ sd: sdPaired, delta: deltaPaired, alpha, power }).n,
  ];
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
      const w = base && treat ? welchCi(bs, ts, level) : { diff: NaN, se: NaN, df: NaN, halfWidth: NaN, low: NaN, high: NaN };
      const welchP = pValueOfDiff(w.diff, w.se, w.df);
      const single = !(bs.n >= 2 && ts.n >= 2);
      const note = !base ? 'no baseline runs' : !treat ? 'no treatment runs' : single ? `n=${Math.min(bs.n, ts.n)} on one side, no CI` : '';
      const pd: PairedDifference | null = seedValues && base && treat ? pairedDifference(seedsOf(base), seedsOf(treat), level) : null;
      // Paired is primary when every baseline seed found its partner and there are two pairs or more.
      const paired = pd !== null && pd.nPairs >= 2 && pd.baselineOnly.length === 0 && pd.repeatedSeeds.length === 0;
      const unpaired = !pd
        ? ''
        : pd.repeatedSeeds.length
          ? `seed ${seedList(pd.repeatedSeeds)} repeated on one side, nothing paired`
          : [
              pd.baselineOnly.length ? `baseline only: ${seedList(pd.baselineOnly)}` : '',
              pd.treatmentOnly.length ? `treatment only: ${seedList(pd.treatmentOnly)}` : '',
            ]
              .filter(Boolean)
              .join('; ');
      const primary = paired ? { p: pd.p, diff: pd.mean, se: pd.se, df: pd.df } : { p: welchP, diff: w.diff, se: w.se, df: w.df };
      const familyKey = family === 'all' ? '' : JSON.stringify(g.key);
      const familyName = family === 'all' ? 'the table' : g.key.length ? g.key.map((v) => String(v)).join('/') : 'all runs';
      tests.push({ ...primary, family: familyKey, familyName });
      const sdPooled = pooledSd(bs.sd, bs.n, ts.sd, ts.n);
      const sdPaired = pd && pd.nPairs >= 2 ? pd.sd : NaN;
      // The observed difference: of the means for the unpaired count, over the pairs for the paired one.
      const [nPerArm, nPairs] = sizes(sdPaired, sdPooled, w.diff, pd && pd.nPairs >= 2 ? pd.mean : w.diff);
      const [nPerArmDetect, nPairsDetect] = detect === undefined ? [NaN, NaN] : sizes(sdPaired, sdPooled, detect);
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
        welchP,
        pairedN: pd ? pd.nPairs : 0,
        pairedDiff: pd ? pd.mean : NaN,
        pairedSd: pd ? pd.sd : NaN,
        pairedCiLow: pd ? pd.low : NaN,
        pairedCiHigh: pd ? pd.high : NaN,
        pairedCiHalfWidth: pd ? pd.halfWidth : NaN,
        pairedP: pd ? pd.p : NaN,
        unpairedSeeds: unpaired,
        primary: paired ? 'paired' : 'welch',
        p: primary.p,
        family: '',
        familySize: 0,
        pHolm: NaN,
        qBH: NaN,
        simLevel: NaN,
        simCiLow: NaN,
        simCiHigh: NaN,
        nPerArm,
        nPairs,
        detect: detect ?? NaN,
        nPerArmDetect,
        nPairsDetect,
        power,
        level,
        singleSeed: single,
        note,
      });
      out.push(row);
    }
  }
  // Holm and Benjamini-Hochberg within each family of comparisons that have a p-value, and the
  // Bonferroni simultaneous interval of the primary difference at level 1 - (1 - level) / m.
  const families = new Map<string, number[]>();
  tests.forEach((t, i) => {
    if (!Number.isFinite(t.p)) return;
    let list = families.get(t.family);
    if (!list) families.set(t.family, (list = []));
    list.push(i);
  });
  for (const idx of families.values()) {
    const ps = idx.map((i) => tests[i]!.p);
    const holm = holmAdjust(ps);
    const bh = bhAdjust(ps);
    const simLevel = bonferroniLevel(level, idx.length);
    idx.forEach((i, j) => {
      const t = tests[i]!;
      const half = t.se === 0 ? 0 : studentTQuantile((1 + simLevel) / 2, t.df) * t.se;
      Object.assign(out[i]!, {
        family: `${idx.length} comparison${idx.length > 1 ? 's' : ''} in ${t.familyName}`,
        familySize: idx.length,
        pHolm: holm[j]!,
        qBH: bh[j]!,
        simLevel,
        simCiLow: t.diff - half,
        simCiHigh: t.diff + half,
      });
    });
  }
  const cols = out.length
    ? Object.keys(out[0]!)
    : [...options.by, 'baselineMean', 'treatmentMean', 'diff', 'diffCiLow', 'diffCiHigh', 'singleSeed', 'note'];
  const columns: Record<string, Cell[]> = {};
  for (const c of cols) columns[c] = out.map((r) => r[c] ?? null);
  return arquero().table(columns);
}
