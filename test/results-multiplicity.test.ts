import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bhAdjust, bonferroniLevel, holmAdjust } from '../src/results/multiplicity';
import { pValueOfDiff, studentTTwoSidedP } from '../src/results/stats';

const closeAll = (got: number[], want: number[], what: string): void => {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-12, `${what}[${i}]: got ${g}, want ${want[i]}`));
};

test('holmAdjust: p = 0.01, 0.04, 0.03 by hand', () => {
  // Sorted: 0.01, 0.03, 0.04 with m = 3. (m - j + 1) p_(j): 3 * 0.01 = 0.03, 2 * 0.03 = 0.06,
  // 1 * 0.04 = 0.04; running maximum: 0.03, 0.06, 0.06. Back in input order: 0.03, 0.06, 0.06.
  closeAll(holmAdjust([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06], 'holm');
  // Capped at 1: [0.5, 0.6] -> 2 * 0.5 = 1, then max(1, 1 * 0.6) = 1.
  closeAll(holmAdjust([0.5, 0.6]), [1, 1], 'holm capped');
  // One comparison is not adjusted.
  closeAll(holmAdjust([0.2]), [0.2], 'holm m=1');
  assert.deepEqual(holmAdjust([]), []);
});

test('bhAdjust: p = 0.01, 0.04, 0.03 by hand', () => {
  // Sorted: 0.01, 0.03, 0.04 with m = 3. m p_(j) / j: 0.03, 0.045, 0.04; running minimum from
  // the top: j=3 0.04, j=2 min(0.045, 0.04) = 0.04, j=1 min(0.03, 0.04) = 0.03.
  // Input order: 0.03, 0.04, 0.04.
  closeAll(bhAdjust([0.01, 0.04, 0.03]), [0.03, 0.04, 0.04], 'bh');
  // [0.5, 0.6]: 2 * 0.5 / 1 = 1, 2 * 0.6 / 2 = 0.6 -> q = 0.6, 0.6.
  closeAll(bhAdjust([0.5, 0.6]), [0.6, 0.6], 'bh two');
  // BH never exceeds Holm: a check that would fail if the two were swapped.
  const ps = [0.001, 0.02, 0.03, 0.2];
  const holm = holmAdjust(ps);
  bhAdjust(ps).forEach((q, i) => assert.ok(q <= holm[i]!, `q ${q} <= holm ${holm[i]}`));
});

test('bonferroniLevel and bad input', () => {
  // 1 - 0.05 / 2 = 0.975; 1 - 0.05 / 4 = 0.9875.
  assert.ok(Math.abs(bonferroniLevel(0.95, 2) - 0.975) < 1e-15);
  assert.ok(Math.abs(bonferroniLevel(0.95, 4) - 0.9875) < 1e-15);
  assert.throws(() => bonferroniLevel(0.95, 0), /family size must be an integer >= 1, got 0/);
  assert.throws(() => holmAdjust([0.1, 1.5]), /p-value 1 must be a number in \[0, 1\], got 1.5/);
  assert.throws(() => bhAdjust([Number.NaN]), /p-value 0 must be a number in \[0, 1\], got NaN/);
});

test('two-sided t p-values against the closed form for 2 degrees of freedom', () => {
  // For df = 2 the CDF is 1/2 + t / (2 sqrt(2 + t^2)), so P(|T| >= t) = 1 - t / sqrt(2 + t^2).
  for (const t of [0.5, 0.866025, 3.4641016, 5.1961524, 20]) {
    const want = 1 - t / Math.sqrt(2 + t * t);
    const got = studentTTwoSidedP(t, 2);
    assert.ok(Math.abs(got - want) < 1e-12, `t=${t}: got ${got}, want ${want}`);
    assert.ok(Math.abs(studentTTwoSidedP(-t, 2) - want) < 1e-12, 'symmetric');
  }
  // df = 1 (Cauchy): P(|T| >= 1) = 1 - 2 atan(1) / pi = 0.5.
  assert.ok(Math.abs(studentTTwoSidedP(1, 1) - 0.5) < 1e-12);
  // A zero standard error: certain.
  assert.equal(pValueOfDiff(0.01, 0, 3), 0);
  assert.equal(pValueOfDiff(0, 0, 3), 1);
  assert.ok(Number.isNaN(pValueOfDiff(0.01, Number.NaN, 3)));
});
