/**
 * One-line summaries of the theory studies' rows, for the "what we measured" cells of the
 * notebooks: they state what the rows say (ratios, exponents, where a method wins or loses)
 * without the reader having to scan a table, and they are computed, never typed in.
 */
import { leastSquares } from './fit';
import type { ConditionCell, GafProfileRow } from './gaf-table';
import type { ItersVsConditionRow } from './quadratic';
import type { EscapeRow } from './saddle';
import { fail } from './validate';

const num = (v: number): string => String(Number(v.toPrecision(3)));
const sci = (v: number): string => Number(v.toPrecision(2)).toExponential().replace('e+', 'e');
const unique = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** How one method's iteration count grows with the condition number. */
export interface ScalingRow {
  method: string;
  /** p in iters ~ c * kappa^p, fitted by least squares on log(iters) against log(kappa); null with fewer than 2 usable points. */
  exponent: number | null;
  /** R^2 of that fit (1 = a straight line on log-log axes), or null. */
  r2: number | null;
  /** (kappa, iters) points used: those where the tolerance was reached. */
  points: number;
}

/**
 * The growth exponent p of iterations ~ kappa^p per method, from {@link itersVsCondition} rows
 * (rows that did not reach the tolerance are left out). GD at its best step has p close to 1,
 * the heavy ball close to 1/2.
 */
export function iterationScaling(rows: readonly ItersVsConditionRow[]): ScalingRow[] {
  if (!Array.isArray(rows) || rows.length === 0) fail('iterationScaling', 'rows', rows, 'a non-empty array of itersVsCondition rows');
  return unique(rows.map((r) => r.method)).map((method) => {
    const used = rows.filter((r) => r.method === method && r.iters !== null && r.iters > 0);
    if (unique(used.map((r) => r.kappa)).length < 2) return { method, exponent: null, r2: null, points: used.length };
    const fit = leastSquares(
      used.map((r) => Math.log(r.kappa)),
      used.map((r) => Math.log(r.iters!)),
    );
    return { method, exponent: fit.b, r2: fit.r2, points: used.length };
  });
}

/**
 * Lines summarising {@link itersVsCondition} rows: per condition number each method's
 * iterations and their ratio to the baseline's (default: the first method), then the fitted
 * exponents of {@link iterationScaling}.
 *
 * @example summarizeItersVsCondition(rows) // ['kappa 10: GD 39 | GD+GAF 0.1*atan(20x) 93 (2.38x GD)', ...]
 */
export function summarizeItersVsCondition(rows: readonly ItersVsConditionRow[], options: { baseline?: string } = {}): string[] {
  const where = 'summarizeItersVsCondition';
  if (!Array.isArray(rows) || rows.length === 0) fail(where, 'rows', rows, 'a non-empty array of itersVsCondition rows');
  const methods = unique(rows.map((r) => r.method));
  const baseline = options.baseline ?? methods[0]!;
  if (!methods.includes(baseline)) fail(where, 'baseline', baseline, `one of the rows' methods (${methods.join(', ')})`);
  const lines = unique(rows.map((r) => r.kappa)).map((kappa) => {
    const at = rows.filter((r) => r.kappa === kappa);
    const base = at.find((r) => r.method === baseline)?.iters ?? null;
    const parts = at.map((r) => {
      if (r.iters === null) return `${r.method} not reached`;
      const ratio = r.method !== baseline && base !== null && base > 0 ? ` (${num(r.iters / base)}x ${baseline})` : '';
      return `${r.method} ${r.iters}${ratio}`;
    });
    return `kappa ${num(kappa)}: ${parts.join(' | ')}`;
  });
  const scaling = iterationScaling(rows).map((s) => `${s.method} p = ${s.exponent === null ? 'n/a' : s.exponent.toFixed(2)}`);
  return [...lines, `iterations ~ kappa^p (least squares on log-log): ${scaling.join(', ')}`];
}

/**
 * Lines summarising {@link escapeTimes} rows: per problem and per method other than the baseline
 * (default: each problem's first method), the perturbations from which it escapes faster or
 * slower than the baseline, with the largest gain and loss, and where only one of them escapes
 * within the step cap.
 */
export function summarizeEscapeTimes(rows: readonly EscapeRow[], options: { baseline?: string } = {}): string[] {
  const where = 'summarizeEscapeTimes';
  if (!Array.isArray(rows) || rows.length === 0) fail(where, 'rows', rows, 'a non-empty array of escapeTimes rows');
  const lines: string[] = [];
  for (const problem of unique(rows.map((r) => r.problem))) {
    const mine = rows.filter((r) => r.problem === problem);
    const methods = unique(mine.map((r) => r.method));
    const baseline = options.baseline ?? methods[0]!;
    if (!methods.includes(baseline)) fail(where, 'baseline', baseline, `one of the methods of ${problem} (${methods.join(', ')})`);
    const base = new Map(mine.filter((r) => r.method === baseline).map((r) => [r.perturbation, r.steps]));
    for (const method of methods.filter((m) => m !== baseline)) {
      const pairs = mine
        .filter((r) => r.method === method && base.has(r.perturbation))
        .map((r) => ({ p: r.perturbation, m: r.steps, b: base.get(r.perturbation)! }))
        .sort((x, y) => x.p - y.p);
      const both = pairs.filter((q) => q.m !== null && q.b !== null) as { p: number; m: number; b: number }[];
      const faster = both.filter((q) => q.m < q.b);
      const slower = both.filter((q) => q.m > q.b);
      const same = both.filter((q) => q.m === q.b);
      const best = faster.reduce<{ p: number; m: number; b: number } | null>((a, q) => (a === null || q.b / q.m > a.b / a.m ? q : a), null);
      const worst = slower.reduce<{ p: number; m: number; b: number } | null>(
        (a, q) => (a === null || q.m / q.b > a.m / a.b ? q : a),
        null,
      );
      const list = (qs: { p: number }[]): string => qs.map((q) => sci(q.p)).join(', ');
      const parts: string[] = [];
      if (best) parts.push(`faster from ${list(faster)} (at ${sci(best.p)}: ${best.m} vs ${best.b} steps)`);
      if (worst) parts.push(`slower from ${list(slower)} (at ${sci(worst.p)}: ${worst.m} vs ${worst.b} steps)`);
      if (same.length) parts.push(`equal from ${list(same)}`);
      const onlyMethod = pairs.filter((q) => q.m !== null && q.b === null);
      const onlyBase = pairs.filter((q) => q.m === null && q.b !== null);
      const neither = pairs.filter((q) => q.m === null && q.b === null);
      if (onlyMethod.length) parts.push(`only it escapes from ${onlyMethod.map((q) => `${sci(q.p)} (${q.m} steps)`).join(', ')}`);
      if (onlyBase.length) parts.push(`only ${baseline} escapes from ${onlyBase.map((q) => `${sci(q.p)} (${q.b} steps)`).join(', ')}`);
      if (neither.length) parts.push(`neither escapes from ${list(neither)}`);
      lines.push(`${problem}: ${method} vs ${baseline}: ${parts.join('; ') || 'no common perturbations'}`);
    }
  }
  return lines;
}

/**
 * One line on a {@link conditionGrid}: at how many (alpha, beta) points all four conditions
 * hold, whether the checker's verdict equals "alpha*beta > 1" at every point (naming the points
 * where it does not), and which conditions failed anywhere.
 */
export function summarizeConditionGrid(cells: readonly ConditionCell[]): string {
  if (!Array.isArray(cells) || cells.length === 0) fail('summarizeConditionGrid', 'cells', cells, 'a non-empty array from conditionGrid()');
  const kinds = unique(cells.map((c) => c.kind)).join('/');
  const holds = cells.filter((c) => c.allHold).length;
  const differ = cells.filter((c) => c.allHold !== c.alpha * c.beta > 1);
  const failedIds = unique(cells.flatMap((c) => c.failed)).sort((a, b) => a - b);
  const agreement =
    differ.length === 0
      ? `the verdict equals alpha*beta > 1 at all ${cells.length} points`
      : `the verdict differs from alpha*beta > 1 at ${differ.length} of ${cells.length} points: ${differ.map((c) => `(${num(c.alpha)}, ${num(c.beta)})`).join(', ')}`;
  const failing = failedIds.length ? `conditions failing somewhere: ${failedIds.join(', ')}` : 'no condition fails anywhere';
  return `${kinds}: all four conditions hold at ${holds} of ${cells.length} (alpha, beta) points; ${agreement}; ${failing}`;
}

/**
 * {@link escapeTimes} rows side by side: one row per problem and perturbation, one column per
 * method with its escape steps, or `no escape` when it stayed within the radius for all the
 * steps allowed. Problems and methods keep their order of first appearance.
 */
export function escapeTable(rows: readonly EscapeRow[]): Record<string, string | number>[] {
  if (!Array.isArray(rows) || rows.length === 0) fail('escapeTable', 'rows', rows, 'a non-empty array of escapeTimes rows');
  const methods = unique(rows.map((r) => r.method));
  return unique(rows.map((r) => r.problem)).flatMap((problem) => {
    const mine = rows.filter((r) => r.problem === problem);
    return unique(mine.map((r) => r.perturbation))
      .sort((a, b) => a - b)
      .map((perturbation) => {
        const out: Record<string, string | number> = { problem, perturbation };
        for (const m of methods) {
          const r = mine.find((x) => x.method === m && x.perturbation === perturbation);
          if (r) out[m] = r.steps ?? 'no escape';
        }
        return out;
      });
  });
}

/**
 * One line per GAF of {@link gafProfileRows}: the factor on tiny gradients, below which size it
 * enlarges, its cap, and the verdict on the paper's conditions.
 *
 * @example summarizeGafProfiles(gafProfileRows([gafs.atan({alpha: 0.1, beta: 20})]))
 * // ["0.1*atan(20x): tiny gradients x2; enlarged below |x| = 0.117; |g| <= 0.157; all four conditions hold"]
 */
export function summarizeGafProfiles(rows: readonly GafProfileRow[]): string[] {
  if (!Array.isArray(rows) || rows.length === 0) fail('summarizeGafProfiles', 'rows', rows, 'a non-empty array from gafProfileRows()');
  return rows.map((r) => {
    const enlarges =
      r.enlargesBelow === 0
        ? 'never enlarges'
        : Number.isFinite(r.enlargesBelow)
          ? `enlarged below |x| = ${num(r.enlargesBelow)}`
          : 'enlarges at every scanned |x|';
    const cap = r.bound === null ? 'unbounded' : `|g| <= ${num(r.bound)}`;
    const verdict = r.allHold
      ? 'all four conditions hold'
      : `condition${r.failed.includes(',') ? 's' : ''} ${r.failed} fail${r.failed.includes(',') ? '' : 's'}`;
    return `${r.gaf}: tiny gradients x${num(r.slopeAtZero)}; ${enlarges}; ${cap}; ${verdict}`;
  });
}
