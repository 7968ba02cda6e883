/**
 * lineChartSpec's axis label formats and panel order (added for the theory notebooks' log-axis
 * figures): the options reach the spec, and the figure renders without warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChartSpec, renderSvg } from '../src/plots/index';

const rows = [
  { p: 1e-8, steps: 100, method: 'GD', problem: 'x^2 - y^2' },
  { p: 1e-1, steps: 11, method: 'GD', problem: 'x^2 - y^2' },
  { p: 1e-2, steps: 558, method: 'GD', problem: 'monkey saddle' },
  { p: 1e-1, steps: 52, method: 'GD', problem: 'monkey saddle' },
];

interface Spec {
  facet: { column: { sort: string[] } };
  spec: { layer: { encoding: { x: { axis?: { format?: string } }; y: { axis?: { format?: string } } } }[] };
}

test('lineChartSpec: xFormat/yFormat set the axis label format; panels keep first-appearance order unless columnOrder says otherwise', async () => {
  const spec = lineChartSpec(rows, {
    x: 'p',
    y: 'steps',
    color: 'method',
    column: 'problem',
    logX: true,
    xFormat: '.0e',
  }) as unknown as Spec;
  const enc = spec.spec.layer[0]!.encoding;
  assert.equal(enc.x.axis?.format, '.0e');
  assert.equal(enc.y.axis, undefined, 'no yFormat: vega picks the format');
  // First appearance, not alphabetical ("monkey saddle" < "x^2 - y^2" alphabetically).
  assert.deepEqual(spec.facet.column.sort, ['x^2 - y^2', 'monkey saddle']);
  const reordered = lineChartSpec(rows, {
    x: 'p',
    y: 'steps',
    column: 'problem',
    columnOrder: ['monkey saddle', 'x^2 - y^2'],
    yFormat: 'd',
  }) as unknown as Spec;
  assert.deepEqual(reordered.facet.column.sort, ['monkey saddle', 'x^2 - y^2']);
  assert.equal(reordered.spec.layer[0]!.encoding.y.axis?.format, 'd');
  const warnings: string[] = [];
  const svg = await renderSvg(spec as never, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
  // 1e-8 on a '.0e' log axis is written as 1e-8, not 0.00000001.
  assert.ok(svg.includes('1e-8'), 'the log axis shows 1e-8');
  assert.ok(!svg.includes('0.00000001'));
});
