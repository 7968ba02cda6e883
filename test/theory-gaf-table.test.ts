/**
 * GAF curves and the condition table: values against closed forms, table shape and verdicts,
 * and readable errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gafs } from '../src/gaf/index';
import { gafCurveRows, conditionTable } from '../src/theory/index';

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  assert.equal(tf.getBackend(), 'cpu');
});

test("gafCurveRows: g and g' match alpha*atan(beta x) and alpha*beta/(1+(beta x)^2)", () => {
  const g = gafs.atan({ alpha: 0.1, beta: 20 });
  const rows = gafCurveRows([g], { min: -0.5, max: 0.5, points: 11 });
  assert.equal(rows.length, 11);
  // Evenly spaced: x_i = -0.5 + 0.1 i, both ends included.
  rows.forEach((r, i) => {
    const x = -0.5 + 0.1 * i;
    assert.ok(Math.abs(r.x - x) < 1e-12, `x[${i}] = ${r.x}`);
    assert.equal(r.gaf, '0.1*atan(20x)');
    assert.ok(Math.abs(r.g - 0.1 * Math.atan(20 * r.x)) < 1e-15, `g at ${r.x}`);
    assert.ok(Math.abs(r.dg - 2 / (1 + 400 * r.x * r.x)) < 1e-13, `dg at ${r.x}`);
  });
  // x = 0 is sampled (odd count on a symmetric range): g = 0, g'(0) = alpha*beta = 2.
  assert.equal(rows[5]!.g, 0);
  assert.equal(rows[5]!.dg, 2);
  // x = 0.05 is not on this grid; at x = 0.1: 0.1*atan(2) = 0.110715, g' = 2/5 = 0.4.
  assert.ok(Math.abs(rows[6]!.dg - 0.4) < 1e-13);
});

test('gafCurveRows: one block of rows per GAF, in the order given', () => {
  const list = [gafs.atan({ alpha: 0.1, beta: 20 }), gafs.tanh({ alpha: 0.2, beta: 10 }), gafs.log({ alpha: 0.1, beta: 20 })];
  const rows = gafCurveRows(list, { points: 5 });
  assert.equal(rows.length, 15);
  assert.deepEqual(
    [...new Set(rows.map((r) => r.gaf))],
    list.map((g) => g.name),
  );
  // Default range [-1, 1]: tanh at x = 1 is 0.2*tanh(10).
  const t1 = rows.find((r) => r.gaf === list[1]!.name && r.x === 1)!;
  assert.ok(Math.abs(t1.g - 0.2 * Math.tanh(10)) < 1e-15);
});

test('conditionTable: four rows per GAF with verdicts, slope and bound', () => {
  const paper = gafs.atan({ alpha: 0.1, beta: 20 });
  const flat = gafs.atan({ alpha: 0.1, beta: 5 }); // alpha*beta = 0.5 < 1: does not enlarge tiny gradients
  const lg = gafs.log({ alpha: 0.1, beta: 20 });
  const rows = conditionTable([paper, flat, lg], { points: 200 });
  assert.equal(rows.length, 12);
  assert.deepEqual(
    rows.slice(0, 4).map((r) => r.number),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    rows.slice(0, 4).map((r) => r.condition),
    ['signPreserving', 'monotone', 'enlargesTiny', 'restrictsLarge'],
  );
  assert.ok(rows.slice(0, 4).every((r) => r.verdict === 'holds' && r.slopeAtZero === 2 && r.bound === (0.1 * Math.PI) / 2));
  const flatRows = rows.filter((r) => r.gaf === flat.name);
  assert.deepEqual(
    flatRows.map((r) => r.verdict),
    ['holds', 'holds', 'fails', 'holds'],
  );
  assert.equal(flatRows[2]!.slopeAtZero, 0.5);
  assert.match(flatRows[2]!.detail, /<= 1/);
  // log is unbounded: the table says null rather than Infinity (which JSON cannot carry).
  assert.ok(rows.filter((r) => r.gaf === lg.name).every((r) => r.bound === null));
  assert.ok(rows.every((r) => r.verdict === 'fails' || r.firstFailureAt === null));
});

test('bad input: clear errors naming the field', () => {
  const g = gafs.atan({ alpha: 0.1, beta: 20 });
  assert.throws(() => gafCurveRows([], {}), /gafCurveRows: gafs must be a non-empty array/);
  assert.throws(() => gafCurveRows([g], { points: 1 }), /gafCurveRows: points must be an integer >= 2, got 1/);
  assert.throws(() => gafCurveRows([g], { min: 1, max: -1 }), /gafCurveRows: max must be > min \(1\), got -1/);
  assert.throws(() => conditionTable([{} as never]), /conditionTable: gafs\[0\] must be a GAF/);
});
