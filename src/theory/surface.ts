/** Loss values on a grid, for contour or heat-map plots under 2-D trajectories. */
import type { TheoryProblem } from './trajectory';
import { checkNum, fail } from './validate';

/** One grid point: coordinates w0, w1 and f there. */
export interface SurfaceRow {
  w0: number;
  w1: number;
  loss: number;
}

/** Options of {@link lossSurface}. */
export interface SurfaceOptions {
  /** Range of w0 (default [-1, 1]). */
  x?: readonly [number, number];
  /** Range of w1 (default the x range). */
  y?: readonly [number, number];
  /** Points per axis (default 41). */
  points?: number;
  /** Values of the other coordinates when the problem has more than 2 (default 0). */
  rest?: number;
}

/**
 * f on a `points x points` grid over the first two coordinates (others fixed at `rest`), in
 * float64 from the problem's number form: rows {w0, w1, loss}.
 */
export function lossSurface(problem: TheoryProblem, options: SurfaceOptions = {}): SurfaceRow[] {
  const where = 'lossSurface';
  if (problem.dims < 2) fail(where, 'problem.dims', problem.dims, '>= 2 (a surface needs two coordinates)');
  const range = (field: string, r: readonly [number, number]): [number, number] => {
    if (!Array.isArray(r) || r.length !== 2 || !(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] < r[1])) {
      fail(where, field, r, '[lo, hi] with lo < hi', 'e.g. [-1, 1].');
    }
    return [r[0], r[1]];
  };
  const [x0, x1] = range('x', options.x ?? [-1, 1]);
  const [y0, y1] = range('y', options.y ?? [x0, x1]);
  const n = checkNum(where, 'points', options.points ?? 41, { min: 2, integer: true });
  const rest = checkNum(where, 'rest', options.rest ?? 0);
  const w = new Array<number>(problem.dims).fill(rest);
  const rows: SurfaceRow[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      w[0] = x0 + ((x1 - x0) * i) / (n - 1);
      w[1] = y0 + ((y1 - y0) * j) / (n - 1);
      rows.push({ w0: w[0], w1: w[1], loss: problem.value(w) });
    }
  }
  return rows;
}
