import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalCdf, normalQuantile, pairsNeeded, pooledSd, seedsPerArmNeeded } from '../src/results/power';

const close = (got: number, want: number, tol: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want}`);

// Standard normal quantiles to 10 digits (tables of the normal distribution):
// z_0.975 = 1.959963985, z_0.8 = 0.8416212336, Phi(1) = 0.8413447461, Phi(1.96) = 0.9750021049.
const Z975 = 1.959963985;
const Z80 = 0.8416212336;

test('normalCdf and normalQuantile against tabulated values', () => {
  close(normalCdf(0), 0.5, 1e-15, 'Phi(0)');
  close(normalCdf(1), 0.8413447461, 1e-10, 'Phi(1)');
  close(normalCdf(1.96), 0.9750021049, 1e-10, 'Phi(1.96)');
  close(normalCdf(-1), 1 - 0.8413447461, 1e-10, 'Phi(-1)');
  close(normalQuantile(0.975), Z975, 1e-9, 'z 0.975');
  close(normalQuantile(0.8), Z80, 1e-9, 'z 0.8');
  close(normalQuantile(0.025), -Z975, 1e-9, 'z 0.025');
  assert.throws(() => normalQuantile(1), /p must be in \(0, 1\), got 1/);
});

test('seeds per arm: the normal approximation by hand and the textbook values after the t correction', () => {
  // d = delta / sd = 1: n = 2 (z_0.975 + z_0.8)^2 = 2 * 2.8015852^2 = 15.6977594.
  const one = seedsPerArmNeeded({ sd: 1, delta: 1 });
  close(one.normalN, 2 * (Z975 + Z80) ** 2, 1e-7, 'normal n, d = 1');
  // t correction: n = 16 (df 30) gives 2 (2.0422725 + 0.8537673)^2 = 16.77 > 16; n = 17 (df 32)
  // gives 2 (2.0369333 + 0.8531420)^2 = 16.70 <= 17, so 17 per arm, the value of the exact
  // noncentral-t power calculation (G*Power, d = 1, alpha 0.05, power 0.8: 17 per group).
  assert.equal(one.n, 17);
  // d = 0.5: normal 62.79; Cohen (1988), Table 2.4.1: n = 64 per group for d = .50, power .80, a2 = .05.
  const half = seedsPerArmNeeded({ sd: 2, delta: -1 });
  close(half.normalN, 8 * (Z975 + Z80) ** 2, 1e-7, 'normal n, d = 0.5');
  assert.equal(half.n, 64);
  // No spread: 2 seeds (the least with a spread at all). No difference: no finite n.
  assert.equal(seedsPerArmNeeded({ sd: 0, delta: 0.01 }).n, 2);
  assert.ok(Number.isNaN(seedsPerArmNeeded({ sd: 0.01, delta: 0 }).n));
  assert.ok(Number.isNaN(seedsPerArmNeeded({ sd: Number.NaN, delta: 0.01 }).n));
  assert.throws(() => seedsPerArmNeeded({ sd: 1, delta: 1, power: 1.2 }), /power must be in \(0, 1\)/);
});

test('pairs: the normal approximation by hand and the t correction', () => {
  // d_z = 0.5: n = (2.8015852 / 0.5)^2 = 31.3955; t correction: n = 32 (df 31) gives
  // 4 (2.0395134 + 0.8534875)^2 = 33.48 > 32; n = 33 (df 32): 4 (2.0369333 + 0.8531420)^2 = 33.41 > 33;
  // n = 34 (df 33): 4 (2.0345153 + 0.8528233)^2 = 33.34 <= 34 -> 34 pairs (G*Power, matched pairs,
  // d_z = 0.5, alpha 0.05, power 0.8: 34).
  const p = pairsNeeded({ sd: 1, delta: 0.5 });
  close(p.normalN, 4 * (Z975 + Z80) ** 2, 1e-7, 'normal pairs');
  assert.equal(p.n, 34);
  // Small n, where "recompute and round up" alone jumps back and forth: sd 0.01, delta 0.03.
  // Normal n = (2.8015852 / 3)^2 = 0.87 -> 2. With t quantiles (t_{0.975,1} = 12.7062,
  // t_{0.8,1} = 1.3764; t_{0.975,2} = 4.3027, t_{0.8,2} = 1.0607; t_{0.975,3} = 3.1824, t_{0.8,3} = 0.9785):
  // n = 2: (14.0826 / 3)^2 = 22.04 > 2; n = 3: (5.3633 / 3)^2 = 3.196 > 3; n = 4: (4.1609 / 3)^2 = 1.924 <= 4 -> 4.
  assert.equal(pairsNeeded({ sd: 0.01, delta: 0.03 }).n, 4);
});

test('pooledSd', () => {
  // sds 0.02 and 0.01 with 3 seeds each: sqrt((2 * 0.0004 + 2 * 0.0001) / 4) = sqrt(0.00025).
  close(pooledSd(0.02, 3, 0.01, 3), Math.sqrt(0.00025), 1e-15, 'pooled');
  assert.ok(Number.isNaN(pooledSd(0.02, 1, 0.01, 3)));
});
