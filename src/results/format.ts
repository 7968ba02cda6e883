import { isTable, type ColumnTable } from './arquero';

/** Options of the text formatting functions. */
export interface FormatOptions {
  /** Print fractions as percentages (default: true for accuracy metrics such as `testTop1`). */
  percent?: boolean;
  /** Digits after the decimal point; default 2. */
  digits?: number;
}

const isAccuracy = (metric: unknown): boolean => typeof metric === 'string' && /top\d/i.test(metric);

/**
 * `92.00 ± 4.97 (n=3)`; with fewer than two values `92.00 (n=1, no CI)`, and `– (n=0)` with none,
 * so a single seed can never pass for a result. The ± is the confidence half-width.
 */
export function formatMeanCi(mean: number, halfWidth: number, n: number, options: FormatOptions = {}): string {
  const scale = (options.percent ?? true) ? 100 : 1;
  const d = options.digits ?? 2;
  if (!(n > 0) || !Number.isFinite(mean)) return `– (n=${n > 0 ? n : 0})`;
  const m = (mean * scale).toFixed(d);
  if (n < 2 || !Number.isFinite(halfWidth)) return `${m} (n=${n}, no CI)`;
  return `${m} ± ${(halfWidth * scale).toFixed(d)} (n=${n})`;
}

/** A signed difference with its interval: `+1.20 [-0.40, +2.80]`, or `+1.20 (no CI)`. */
export function formatDiff(diff: number, low: number, high: number, options: FormatOptions = {}): string {
  const scale = (options.percent ?? true) ? 100 : 1;
  const d = options.digits ?? 2;
  const s = (v: number): string => `${v >= 0 ? '+' : ''}${(v * scale).toFixed(d)}`;
  if (!Number.isFinite(diff)) return '–';
  if (!Number.isFinite(low) || !Number.isFinite(high)) return `${s(diff)} (no CI)`;
  return `${s(diff)} [${s(low)}, ${s(high)}]`;
}

/** A Markdown pipe table with padded columns (readable in a terminal and rendered on a repository page). */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const cell = (v: unknown): string => (v === null || v === undefined ? '–' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);

function byColumns(table: ColumnTable, known: Set<string>): string[] {
  const names = table.columnNames();
  const first = names.findIndex((c) => known.has(c));
  return names.slice(0, first < 0 ? names.length : first);
}

/** Short names from short to long: `learningRate`, `options.learningRate`, `optimizer.options.learningRate`; `model.name` reads `model`. */
function nameCandidates(column: string): string[] {
  if (column === 'optimizerLabel') return ['optimizer', column];
  const parts = column.split('.');
  const tails = parts.map((_, i) => parts.slice(parts.length - 1 - i).join('.'));
  return parts.length > 1 && parts[parts.length - 1] === 'name' ? [parts[parts.length - 2]!, ...tails.slice(1)] : tails;
}

/**
 * Readable headers for table columns: the last part of a dotted config column
 * (`optimizer.options.learningRate` reads `learningRate`, `model.name` reads `model`,
 * `optimizerLabel` reads `optimizer`), lengthened from the end where two would read alike
 * (`subset.perClass`, `testSubset.perClass`).
 */
export function shortColumnNames(columns: readonly string[]): string[] {
  const options = columns.map(nameCandidates);
  const level = columns.map(() => 0);
  for (;;) {
    const names = options.map((o, i) => o[level[i]!]!);
    let bumped = false;
    names.forEach((n, i) => {
      if (names.some((m, j) => j !== i && m === n) && level[i]! < options[i]!.length - 1) {
        level[i] = level[i]! + 1;
        bumped = true;
      }
    });
    if (!bumped) return names;
  }
}

const SUMMARY_STATS = new Set(['metric', 'runs', 'n']);

/**
 * The summary of {@link summarizeRuns} as a Markdown table: the group columns (under
 * {@link shortColumnNames}), final and best
 * value (mean ± CI half-width, n), epochs to target when asked for, diverged and unfinished runs.
 */
export function formatSummary(summary: ColumnTable, options: FormatOptions = {}): string {
  if (!isTable(summary)) throw new Error('formatSummary: expected the table returned by summarizeRuns().');
  const rows = summary.objects() as Record<string, unknown>[];
  const by = byColumns(summary, SUMMARY_STATS);
  const metric = rows[0]?.metric ?? 'testTop1';
  const o = { ...options, percent: options.percent ?? isAccuracy(metric) };
  const unit = o.percent ? ' (%)' : '';
  const level = Math.round(num(rows[0]?.level ?? 0.95) * 100);
  const hasTarget = summary.columnNames().includes('target');
  const header = [...shortColumnNames(by), `final ${String(metric)}${unit}`, `best ${String(metric)}${unit}`];
  if (hasTarget) header.push(`epochs to ${o.percent ? `${(num(rows[0]?.target) * 100).toFixed(1)}%` : String(rows[0]?.target)}`);
  header.push('runs', 'diverged', 'unfinished');
  const body = rows.map((r) => {
    const line = [
      ...by.map((c) => cell(r[c])),
      formatMeanCi(num(r.finalMean), num(r.finalCiHalfWidth), num(r.n), o),
      formatMeanCi(num(r.bestMean), num(r.bestCiHalfWidth), num(r.n), o),
    ];
    if (hasTarget)
      line.push(
        Number.isFinite(num(r.epochsToTargetMean))
          ? `${num(r.epochsToTargetMean).toFixed(1)} (${cell(r.reachedTarget)}/${cell(r.n)} reached)`
          : `never (0/${cell(r.n)})`,
      );
    line.push(cell(r.runs), cell(r.diverged), cell(r.unfinished));
    return line;
  });
  return `${markdownTable(header, body)}\n\n± : half-width of the ${level}% Student-t interval across seeds; n=1 rows have no interval and are not results.`;
}

const COMPARISON_STATS = new Set(['metric', 'measure']);

/**
 * The comparison of {@link compareToBaseline} as a Markdown table: baseline and treatment
 * (mean ± CI half-width, n), their difference with its Welch interval, diverged runs per side.
 */
export function formatComparison(comparison: ColumnTable, options: FormatOptions = {}): string {
  if (!isTable(comparison)) throw new Error('formatComparison: expected the table returned by compareToBaseline().');
  const rows = comparison.objects() as Record<string, unknown>[];
  const by = byColumns(comparison, COMPARISON_STATS);
  const o = { ...options, percent: options.percent ?? isAccuracy(rows[0]?.metric ?? 'testTop1') };
  const unit = o.percent ? ' (%)' : '';
  const level = Math.round(num(rows[0]?.level ?? 0.95) * 100);
  const header = [
    ...shortColumnNames(by),
    'baseline',
    `baseline${unit}`,
    'treatment',
    `treatment${unit}`,
    `difference${unit} [${level}% CI]`,
    'diverged (b/t)',
  ];
  const body = rows.map((r) => [
    ...by.map((c) => cell(r[c])),
    cell(r.baselineLabel),
    formatMeanCi(num(r.baselineMean), num(r.baselineCiHalfWidth), num(r.baselineN), o),
    cell(r.treatmentLabel),
    formatMeanCi(num(r.treatmentMean), num(r.treatmentCiHalfWidth), num(r.treatmentN), o),
    Number.isFinite(num(r.diff)) ? formatDiff(num(r.diff), num(r.diffCiLow), num(r.diffCiHigh), o) : cell(r.note || null),
    `${cell(r.baselineDiverged)}/${cell(r.treatmentDiverged)}`,
  ]);
  return `${markdownTable(header, body)}\n\nDifference: treatment - baseline, Welch ${level}% interval; sides with n=1 have no interval and are not results.`;
}

/** A p-value: `0.034`, `<0.001`, `–` when there is none. */
export function formatP(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

const count = (n: number): string => (Number.isFinite(n) ? String(n) : '–');

/**
 * The tests of a {@link compareToBaseline} table made with `runs`: per comparison, Welch's and
 * the paired difference (with the number of pairs), which one is primary, its p-value, the Holm
 * and Benjamini-Hochberg adjustments within the family, the Bonferroni simultaneous interval,
 * and the seeds needed per arm (unpaired) and pairs (paired) at the comparison's power, with
 * the seeds that found no partner. A legend follows the table.
 */
export function formatComparisonTests(comparison: ColumnTable, options: FormatOptions = {}): string {
  if (!isTable(comparison)) throw new Error('formatComparisonTests: expected the table returned by compareToBaseline().');
  if (!comparison.columnNames().includes('primary'))
    throw new Error('formatComparisonTests: the table has no paired columns; it comes from an older compareToBaseline.');
  const rows = comparison.objects() as Record<string, unknown>[];
  const by = byColumns(comparison, COMPARISON_STATS);
  const o = { ...options, percent: options.percent ?? isAccuracy(rows[0]?.metric ?? 'testTop1') };
  const unit = o.percent ? ' (%)' : '';
  const scale = o.percent ? 100 : 1;
  const level = Math.round(num(rows[0]?.level ?? 0.95) * 100);
  const power = Math.round(num(rows[0]?.power ?? 0.8) * 100);
  const detect = num(rows[0]?.detect);
  const hasDetect = Number.isFinite(detect);
  const signed = (v: number): string => `${v >= 0 ? '+' : ''}${(v * scale).toFixed(o.digits ?? 2)}`;
  const detectText = hasDetect ? `${(Math.abs(detect) * scale).toFixed(o.digits ?? 2)}${o.percent ? ' pt' : ''}` : '';
  const header = [
    ...shortColumnNames(by),
    'treatment',
    `Welch${unit}`,
    `paired${unit}`,
    'pairs',
    'primary',
    'p',
    'Holm p',
    'BH q',
    `simultaneous CI${unit}`,
    'seeds/arm, pairs (observed)',
  ];
  if (hasDetect) header.push(`seeds/arm, pairs (${detectText})`);
  header.push('unpaired seeds');
  const body = rows.map((r) => {
    const line = [
      ...by.map((c) => cell(r[c])),
      cell(r.treatmentLabel),
      Number.isFinite(num(r.diff)) ? formatDiff(num(r.diff), num(r.diffCiLow), num(r.diffCiHigh), o) : cell(r.note || null),
      Number.isFinite(num(r.pairedDiff)) ? formatDiff(num(r.pairedDiff), num(r.pairedCiLow), num(r.pairedCiHigh), o) : '–',
      cell(r.pairedN),
      cell(r.primary),
      formatP(num(r.p)),
      formatP(num(r.pHolm)),
      formatP(num(r.qBH)),
      Number.isFinite(num(r.simCiLow)) ? `[${signed(num(r.simCiLow))}, ${signed(num(r.simCiHigh))}]` : '–',
      `${count(num(r.nPerArm))}, ${count(num(r.nPairs))}`,
    ];
    if (hasDetect) line.push(`${count(num(r.nPerArmDetect))}, ${count(num(r.nPairsDetect))}`);
    line.push(cell(r.unpairedSeeds || null));
    return line;
  });
  const families = [...new Set(rows.map((r) => r.family).filter((f): f is string => typeof f === 'string' && f !== ''))];
  const legend = [
    `Welch: treatment - baseline with Welch's ${level}% interval; paired: mean of the per-seed differences (runs sharing a seed) with its ${level}% Student-t interval (pairs - 1 df); pairs: seed pairs found.`,
    `primary: the test p, Holm p and BH q refer to: paired when every baseline seed has a partner, else Welch. p: two-sided; Holm p: Holm step-down adjusted (family-wise error); BH q: Benjamini-Hochberg (false discovery rate).`,
    `simultaneous CI: the primary difference's Bonferroni interval at level 1 - ${(100 - level).toFixed(0)}%/m, holding for all m comparisons of the family at once.`,
    `seeds/arm, pairs: seeds per arm (unpaired, pooled sd) and seed pairs (paired, sd of the differences) that detect the observed difference${hasDetect ? ` (or ${detectText})` : ''} with ${power}% power at two-sided alpha ${((100 - level) / 100).toFixed(2)}: normal approximation k((z_{1-a/2} + z_{power}) sd / delta)^2 (k = 2 unpaired, 1 paired) rounded up, then the smallest n at least that with n >= k((t_{1-a/2,df} + t_{power,df}) sd / delta)^2 (df = 2n - 2 unpaired, n - 1 paired).`,
    `unpaired seeds: seeds run on one side only; they enter Welch's interval, not the paired one.`,
    `Families: ${families.length ? families.join('; ') : 'none (no comparison has a p-value)'}.`,
  ];
  return `${markdownTable(header, body)}\n\n${legend.join('\n')}`;
}
