/**
 * Corrections for many comparisons made on the same data: Holm's step-down adjustment (controls
 * the family-wise error rate), Benjamini-Hochberg q-values (control the false discovery rate),
 * and the Bonferroni level of the simultaneous intervals that go with them.
 * @module
 */

function checkPs(ps: readonly number[], who: string): void {
  if (!Array.isArray(ps)) throw new Error(`${who}: expected an array of p-values.`);
  ps.forEach((p, i) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${who}: p-value ${i} must be a number in [0, 1], got ${String(p)}.`);
  });
}

/** Indices of `ps` ordered by p ascending (ties keep their input order). */
function ascending(ps: readonly number[]): number[] {
  return ps.map((_, i) => i).sort((a, b) => ps[a]! - ps[b]! || a - b);
}

/**
 * Holm-adjusted p-values, in the input order. With the m p-values sorted, p_(1) <= ... <= p_(m),
 * the adjusted value of p_(i) is max over j <= i of min(1, (m - j + 1) p_(j)): rejecting where the
 * adjusted value is below alpha is Holm's step-down procedure, which keeps the chance of any false
 * rejection in the family below alpha.
 */
export function holmAdjust(ps: readonly number[]): number[] {
  checkPs(ps, 'holmAdjust');
  const m = ps.length;
  const out = new Array<number>(m);
  let running = 0;
  ascending(ps).forEach((idx, j) => {
    running = Math.max(running, Math.min(1, (m - j) * ps[idx]!));
    out[idx] = running;
  });
  return out;
}

/**
 * Benjamini-Hochberg q-values, in the input order: with the p-values sorted ascending, q of
 * p_(i) is min over j >= i of min(1, m p_(j) / j). Calling the comparisons with q below alpha
 * significant keeps the expected share of false ones among them below alpha (for independent
 * or positively dependent tests).
 */
export function bhAdjust(ps: readonly number[]): number[] {
  checkPs(ps, 'bhAdjust');
  const m = ps.length;
  const order = ascending(ps);
  const out = new Array<number>(m);
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    const idx = order[j]!;
    running = Math.min(running, Math.min(1, (m * ps[idx]!) / (j + 1)));
    out[idx] = running;
  }
  return out;
}

/**
 * Confidence level of each of m Bonferroni simultaneous intervals for a family level: 1 - (1 - level) / m.
 * All m intervals then cover their differences together with probability at least `level`. A
 * Holm step-down test has no interval of its own, so these are the intervals reported next to it.
 */
export function bonferroniLevel(level: number, m: number): number {
  if (!(level > 0 && level < 1)) throw new Error(`bonferroniLevel: level must be in (0, 1), got ${level}.`);
  if (!Number.isInteger(m) || m < 1) throw new Error(`bonferroniLevel: the family size must be an integer >= 1, got ${m}.`);
  return 1 - (1 - level) / m;
}
