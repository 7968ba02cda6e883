/**
 * trajectoryContourSpec: loss bands of equal area, one coloured path per method, the start
 * ringed; clear errors for missing or non-finite fields; renders to SVG without warnings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPng, renderSvg, trajectoryContourSpec } from '../src/plots/index';

type Row = Record<string, unknown>;

/** f(w) = w0^2 + 4 w1^2 on a 5 x 5 grid over [-1, 1]^2: 25 rows (written out, not computed by gaf-lab). */
function surface(): Row[] {
  const rows: Row[] = [];
  for (const w0 of [-1, -0.5, 0, 0.5, 1]) for (const w1 of [-1, -0.5, 0, 0.5, 1]) rows.push({ w0, w1, loss: w0 * w0 + 4 * w1 * w1 });
  return rows;
}

/** Two runs from (0.8, 0.6), four iterates each; the second is listed step-descending to check ordering does not matter. */
function paths(): Row[] {
  return [
    { method: 'GD', step: 0, w0: 0.8, w1: 0.6, loss: 2.08 },
    { method: 'GD', step: 1, w0: 0.64, w1: -0.36, loss: 0.928 },
    { method: 'GD', step: 2, w0: 0.512, w1: 0.216, loss: 0.449 },
    { method: 'GD', step: 3, w0: 0.41, w1: -0.13, loss: 0.236 },
    { method: 'GD+GAF', step: 3, w0: 0.5, w1: 0.1, loss: 0.29 },
    { method: 'GD+GAF', step: 2, w0: 0.6, w1: 0.3, loss: 0.72 },
    { method: 'GD+GAF', step: 1, w0: 0.7, w1: 0.45, loss: 1.3 },
    { method: 'GD+GAF', step: 0, w0: 0.8, w1: 0.6, loss: 2.08 },
  ];
}

interface Layer {
  data: { name: string };
  mark: { type: string };
  encoding: Record<string, { scale?: { domain?: unknown[]; range?: unknown[] } }>;
}
interface Spec {
  datasets: {
    surface: { x0: number; x1: number; y0: number; y1: number; band: string; value: number }[];
    paths: { method: string; piece: string; order: number; x: number; y: number }[];
    iterates: { method: string; x: number; y: number }[];
    starts: { x: number; y: number }[];
  };
  width: number;
  height: number;
  layer: Layer[];
}

test('trajectoryContourSpec: equal-count loss bands, cell edges at mid-points, one ring for a shared start', () => {
  const spec = trajectoryContourSpec(surface(), paths(), { bands: 5 }) as unknown as Spec;
  const cells = spec.datasets.surface;
  assert.equal(cells.length, 25);
  // Grid -1, -0.5, 0, 0.5, 1: edges -1, -0.75, -0.25, 0.25, 0.75, 1 (mid-points; the grid's ends outside).
  const at = cells.find((c) => c.value === 0)!;
  assert.deepEqual([at.x0, at.x1, at.y0, at.y1], [-0.25, 0.25, -0.25, 0.25]);
  const corner = cells.find((c) => c.x0 === -1 && c.y0 === -1)!;
  assert.deepEqual([corner.x1, corner.y1], [-0.75, -0.75]);
  // 25 losses sorted: thresholds at sorted[5], [10], [15], [20] (floor(k*25/5)). w0^2 takes 0 once,
  // 0.25 and 1 twice each; 4 w1^2 takes 0 once, 1 and 4 twice each; their sums sorted:
  // 0, .25 x2, 1 x4, 1.25 x4, 2 x4, 4 x2, 4.25 x4, 5 x4 -> sorted[5] = 1, [10] = 1.25, [15] = 4,
  // [20] = 4.25 -> bands [0,1): 3 cells, [1,1.25): 4, [1.25,4): 8, [4,4.25): 2, [4.25,5]: 8.
  const count = (lo: number, hi: number): number => cells.filter((c) => c.value >= lo && c.value < hi).length;
  assert.deepEqual([count(0, 1), count(1, 1.25), count(1.25, 4), count(4, 4.25), count(4.25, 6)], [3, 4, 8, 2, 8]);
  // Cells in one value range share a band label, neighbouring ranges do not.
  for (const [lo, hi] of [
    [0, 1],
    [1, 1.25],
    [1.25, 4],
    [4, 4.25],
    [4.25, 6],
  ] as const) {
    assert.equal(new Set(cells.filter((c) => c.value >= lo && c.value < hi).map((c) => c.band)).size, 1, `one band for [${lo}, ${hi})`);
  }
  const bandsSeen = [...new Set(cells.map((c) => c.band))];
  assert.equal(bandsSeen.length, 5);
  const fill = spec.layer[0]!.encoding.fill!;
  assert.equal(fill.scale!.domain!.length, 5);
  assert.equal(fill.scale!.range!.length, 5);
  // Same band for 0 and 0.25, next band from 1.
  assert.equal(cells.find((c) => c.value === 0)!.band, cells.find((c) => c.value === 0.25)!.band);
  assert.notEqual(cells.find((c) => c.value === 0)!.band, cells.find((c) => c.value === 1)!.band);
  // Both runs start at (0.8, 0.6): one ring.
  assert.deepEqual(
    spec.datasets.starts.map((s) => [s.x, s.y]),
    [[0.8, 0.6]],
  );
  assert.deepEqual([...new Set(spec.datasets.paths.map((p) => p.method))], ['GD', 'GD+GAF']);
  const line = spec.layer.find((l) => l.mark.type === 'line')!;
  assert.deepEqual(line.encoding.stroke!.scale!.domain, ['GD', 'GD+GAF']);
});

test('trajectoryContourSpec: distinct starts get a ring each; points on by default for short runs', () => {
  const rows = [
    ...paths().filter((r) => r.method === 'GD'),
    { method: 'other', step: 0, w0: -0.5, w1: 0.5, loss: 1.25 },
    { method: 'other', step: 1, w0: -0.4, w1: 0.3, loss: 0.52 },
  ];
  const spec = trajectoryContourSpec(surface(), rows) as unknown as Spec;
  assert.deepEqual(
    spec.datasets.starts.map((s) => [s.x, s.y]),
    [
      [0.8, 0.6],
      [-0.5, 0.5],
    ],
  );
  assert.ok(spec.layer.some((l) => l.mark.type === 'point' && l.data.name === 'iterates'));
  const noPoints = trajectoryContourSpec(surface(), rows, { points: false }) as unknown as Spec;
  assert.ok(!noPoints.layer.some((l) => l.mark.type === 'point' && l.data.name === 'iterates'));
});

test('trajectoryContourSpec: errors name the missing or bad field and the fix', () => {
  const noLoss = surface().map(({ w0, w1 }) => ({ w0, w1 }));
  assert.throws(() => trajectoryContourSpec(noLoss, paths()), /trajectoryContourSpec \(surface\): no column "loss"\. Columns are: w0, w1/);
  const noMethod = paths().map(({ method: _m, ...r }) => r);
  assert.throws(() => trajectoryContourSpec(surface(), noMethod), /trajectoryContourSpec \(trajectories\): no column "method"/);
  assert.throws(() => trajectoryContourSpec(surface(), paths(), { color: 'optimizer' }), /no column "optimizer"/);
  const nan = paths();
  nan[2] = { ...nan[2], w1: NaN };
  assert.throws(
    () => trajectoryContourSpec(surface(), nan),
    /trajectory row 2 has w1 = NaN; every trajectory row needs a finite number there\. Filter out/,
  );
  const badSurface = surface();
  badSurface[3] = { ...badSurface[3], loss: Infinity };
  assert.throws(() => trajectoryContourSpec(badSurface, paths()), /surface row 3 has loss/);
  assert.throws(() => trajectoryContourSpec([{ w0: 0, w1: 0, loss: 0 }], paths()), /at least 2 distinct w0 and w1 values/);
  assert.throws(() => trajectoryContourSpec(surface(), paths(), { bands: 1 }), /bands must be an integer >= 2, got 1/);
  assert.throws(() => trajectoryContourSpec(surface(), []), /trajectoryContourSpec \(trajectories\): no rows to plot/);
  assert.throws(() => trajectoryContourSpec('rows', paths()), /expected an arquero table or an array of row objects/);
});

test('trajectoryContourSpec: renders to SVG without vega warnings', async () => {
  const warnings: string[] = [];
  const spec = trajectoryContourSpec(surface(), paths(), { title: 'Two runs on w0^2 + 4 w1^2', xTitle: 'w0 (flat)', yTitle: 'w1 (stiff)' });
  const svg = await renderSvg(spec, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(warnings, []);
  assert.match(svg, /^<svg/);
  for (const text of ['Two runs on w0^2 + 4 w1^2', 'GD+GAF', 'start', 'w1 (stiff)', 'loss f(w)'])
    assert.ok(svg.includes(text), `SVG lacks "${text}"`);
  // 25 surface cells are drawn as rect paths: at least that many path elements.
  assert.ok((svg.match(/<path/g) ?? []).length >= 25);
});

test('trajectoryContourSpec: a run leaving the box is cut at the edge, and drawn again where it comes back', () => {
  // Box [-1, 1]^2. Run "out": (0, 0) -> (0.5, 0) -> (3, 0) -> (1e30, 0): the segment to (3, 0) leaves at
  // (1, 0); nothing after. Run "back": (0, 0.5) -> (0, 1.5) -> (0, -0.5): leaves at (0, 1) (half-way
  // along the first segment), re-enters at (0, 1) a quarter of the way down the second (1.5 - 0.25*2)
  // and ends at (0, -0.5).
  const rows = [
    { method: 'out', step: 0, w0: 0, w1: 0 },
    { method: 'out', step: 1, w0: 0.5, w1: 0 },
    { method: 'out', step: 2, w0: 3, w1: 0 },
    { method: 'out', step: 3, w0: 1e30, w1: 0 },
    { method: 'back', step: 0, w0: 0, w1: 0.5 },
    { method: 'back', step: 1, w0: 0, w1: 1.5 },
    { method: 'back', step: 2, w0: 0, w1: -0.5 },
  ];
  const spec = trajectoryContourSpec(surface(), rows) as unknown as Spec;
  const piece = (name: string): number[][] =>
    spec.datasets.paths
      .filter((p) => p.piece === name)
      .sort((a, b) => a.order - b.order)
      .map((p) => [p.x, p.y]);
  assert.deepEqual([...new Set(spec.datasets.paths.map((p) => p.piece))], ['out#0', 'back#0', 'back#1']);
  assert.deepEqual(piece('out#0'), [
    [0, 0],
    [0.5, 0],
    [1, 0],
  ]);
  assert.deepEqual(piece('back#0'), [
    [0, 0.5],
    [0, 1],
  ]);
  assert.deepEqual(piece('back#1'), [
    [0, 1],
    [0, -0.5],
  ]);
  // Circles only on iterates inside the box.
  assert.deepEqual(
    spec.datasets.iterates.map((p) => [p.x, p.y]),
    [
      [0, 0],
      [0.5, 0],
      [0, 0.5],
      [0, -0.5],
    ],
  );
  // A square surface keeps a square panel by default.
  assert.equal(spec.width, spec.height);
});

test('trajectoryContourSpec: a run that flies off to 1e30 renders to PNG', async () => {
  const rows = [
    { method: 'GD', step: 0, w0: 0.1, w1: 0.1 },
    { method: 'GD', step: 1, w0: 0.5, w1: 0.9 },
    { method: 'GD', step: 2, w0: 1e30, w1: -1e30 },
  ];
  const png = await renderPng(trajectoryContourSpec(surface(), rows));
  // PNG signature.
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
});
