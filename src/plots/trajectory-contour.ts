import { FIGURE_CONFIG, VL_SCHEMA, requireFields, rowsOf, type VlSpec } from './spec';

/** Options of {@link trajectoryContourSpec}. */
export interface TrajectoryContourOptions {
  /** Coordinate on the x axis, in both row sets (default `w0`). */
  x?: string;
  /** Coordinate on the y axis, in both row sets (default `w1`). */
  y?: string;
  /** Surface value (default `loss`). */
  z?: string;
  /** Trajectory field naming the method, one colour per value (default `method`). */
  color?: string;
  /** Trajectory field that orders the iterates of one run (default `step`); its smallest value is the start. */
  order?: string;
  /** Number of loss bands (default 10): each band holds the same number of grid points, i.e. the same area. */
  bands?: number;
  title?: string;
  subtitle?: string | string[];
  xTitle?: string;
  yTitle?: string;
  /** Title of the band legend (default `loss f(w)`). */
  zTitle?: string;
  colorTitle?: string;
  /** Legend order of the methods (default: first appearance). */
  colorOrder?: readonly string[];
  /** Small open circles on every iterate (default: when no run has more than 120 rows). */
  points?: boolean;
  width?: number;
  height?: number;
}

type Row = Record<string, unknown>;

const fmt = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(1) : String(Number(v.toPrecision(2)));
};

/** Colours from light grey (low loss) to mid grey (high loss), so coloured lines stay visible on every band. */
function greys(n: number): string[] {
  const lo = 246;
  const hi = 120;
  return Array.from({ length: n }, (_, i) => {
    const v = Math.round(n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1));
    const h = v.toString(16).padStart(2, '0');
    return `#${h}${h}${h}`;
  });
}

function finiteField(rows: Row[], field: string, where: string, what: string): void {
  const i = rows.findIndex((r) => typeof r[field] !== 'number' || !Number.isFinite(r[field] as number));
  if (i >= 0) {
    throw new Error(
      `${where}: ${what} row ${i} has ${field} = ${typeof rows[i]![field] === 'number' ? String(rows[i]![field]) : JSON.stringify(rows[i]![field])}; every ${what} row needs a finite number there. Filter out such rows (e.g. a diverged run's last iterate) first.`,
    );
  }
}

/** Cell edges of sorted grid values: mid-points inside, the grid's own ends outside (so the plot ends at the grid). */
function cellEdges(values: number[]): number[] {
  return [values[0]!, ...values.slice(1).map((v, i) => (v + values[i]!) / 2), values[values.length - 1]!];
}

type Box = { x0: number; x1: number; y0: number; y1: number };
type Pt = { x: number; y: number };

/**
 * The part of segment a-b inside the box (Liang-Barsky), or null. Runs that leave the plot (the
 * saddles are unbounded below) are cut at the box's edge here rather than drawn to far-away
 * coordinates: a renderer can choke on a path to 1e30 even when it is clipped.
 */
function clipSegment(a: Pt, b: Pt, box: Box): [Pt, Pt] | null {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let t0 = 0;
  let t1 = 1;
  for (const [p, q] of [
    [-dx, a.x - box.x0],
    [dx, box.x1 - a.x],
    [-dy, a.y - box.y0],
    [dy, box.y1 - a.y],
  ] as const) {
    if (p === 0) {
      if (q < 0) return null;
    } else {
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t);
      else t1 = Math.min(t1, t);
    }
  }
  if (t0 > t1) return null;
  const at = (t: number): Pt => (t === 0 ? a : t === 1 ? b : { x: a.x + t * dx, y: a.y + t * dy });
  return [at(t0), at(t1)];
}

/** A run's polyline cut to the box: pieces of consecutive inside segments (a run can leave and come back). */
function clipPath(points: Pt[], box: Box): Pt[][] {
  const inside = (p: Pt): boolean => p.x >= box.x0 && p.x <= box.x1 && p.y >= box.y0 && p.y <= box.y1;
  if (points.length === 1) return inside(points[0]!) ? [[points[0]!]] : [];
  const pieces: Pt[][] = [];
  let current: Pt[] | null = null;
  for (let i = 0; i + 1 < points.length; i++) {
    const seg = clipSegment(points[i]!, points[i + 1]!, box);
    if (seg === null) {
      current = null;
      continue;
    }
    if (current !== null && seg[0] === points[i]) current.push(seg[1]);
    else {
      current = [seg[0], seg[1]];
      pieces.push(current);
    }
    if (seg[1] !== points[i + 1]) current = null;
  }
  return pieces;
}

/**
 * Optimizer trajectories over a loss surface: the surface (rows {w0, w1, loss} from
 * `theory.lossSurface`, a regular grid) as a heat map in grey bands of equal area, lighter for
 * lower loss, so that the bands' edges read like contour lines; each method's iterates as a line
 * (with small circles) in its own colour; the start ringed and labelled. A run that leaves the
 * surface's box is cut at the box's edge (the saddles are unbounded below, so escaping runs fly
 * off); one that comes back is drawn again from where it re-enters. By default the panel keeps
 * the surface's aspect ratio, so that equal lengths on both axes look equal.
 *
 * @example trajectoryContourSpec(theory.lossSurface(problem, {x: [-1.2, 1.2]}), theory.quadraticTrajectories(problem, methods, {steps: 200}))
 */
export function trajectoryContourSpec(surfaceRows: unknown, trajectoryRows: unknown, options: TrajectoryContourOptions = {}): VlSpec {
  const where = 'trajectoryContourSpec';
  const x = options.x ?? 'w0';
  const y = options.y ?? 'w1';
  const z = options.z ?? 'loss';
  const color = options.color ?? 'method';
  const order = options.order ?? 'step';
  const surface = rowsOf(surfaceRows, `${where} (surface)`);
  const traj = rowsOf(trajectoryRows, `${where} (trajectories)`);
  requireFields(surface, [x, y, z], `${where} (surface)`);
  requireFields(traj, [x, y, color, order], `${where} (trajectories)`);
  for (const f of [x, y, z]) finiteField(surface, f, where, 'surface');
  for (const f of [x, y, order]) finiteField(traj, f, where, 'trajectory');
  const bands = options.bands ?? 10;
  if (!Number.isInteger(bands) || bands < 2) throw new Error(`${where}: bands must be an integer >= 2, got ${String(bands)}.`);

  const xs = [...new Set(surface.map((r) => r[x] as number))].sort((a, b) => a - b);
  const ys = [...new Set(surface.map((r) => r[y] as number))].sort((a, b) => a - b);
  if (xs.length < 2 || ys.length < 2)
    throw new Error(
      `${where}: the surface needs at least 2 distinct ${x} and ${y} values (a grid from theory.lossSurface), got ${xs.length} x ${ys.length}.`,
    );
  const xe = cellEdges(xs);
  const ye = cellEdges(ys);

  // Equal-count (quantile) thresholds: contour-like bands whatever the loss's range and sign.
  const sorted = surface.map((r) => r[z] as number).sort((a, b) => a - b);
  const cuts = Array.from({ length: bands - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / bands)]!);
  const levels = [...new Set(cuts)];
  const bandOf = (v: number): number => levels.filter((c) => v >= c).length;
  const bandLabels = Array.from({ length: levels.length + 1 }, (_, k) => {
    const lo = k === 0 ? sorted[0]! : levels[k - 1]!;
    const hi = k === levels.length ? sorted[sorted.length - 1]! : levels[k]!;
    return `${fmt(lo)} to ${fmt(hi)}`;
  });
  const cells = surface.map((r) => {
    const i = xs.indexOf(r[x] as number);
    const j = ys.indexOf(r[y] as number);
    return { x0: xe[i]!, x1: xe[i + 1]!, y0: ye[j]!, y1: ye[j + 1]!, band: bandLabels[bandOf(r[z] as number)]!, value: r[z] as number };
  });

  const methods = options.colorOrder ? [...options.colorOrder] : [...new Set(traj.map((r) => String(r[color])))];
  const box: Box = { x0: xs[0]!, x1: xs[xs.length - 1]!, y0: ys[0]!, y1: ys[ys.length - 1]! };
  const runs = methods.map((m) => ({
    method: m,
    points: traj
      .filter((r) => String(r[color]) === m)
      .map((r) => ({ x: r[x] as number, y: r[y] as number, order: r[order] as number }))
      .sort((a, b) => a.order - b.order),
  }));
  const pieces = runs.flatMap((run) =>
    clipPath(run.points, box).flatMap((piece, k) =>
      piece.map((p, i) => ({ x: p.x, y: p.y, method: run.method, piece: `${run.method}#${k}`, order: i })),
    ),
  );
  const inBox = (p: Pt): boolean => p.x >= box.x0 && p.x <= box.x1 && p.y >= box.y0 && p.y <= box.y1;
  const iterates = runs.flatMap((run) => run.points.filter(inBox).map((p) => ({ x: p.x, y: p.y, method: run.method })));
  // One ring per distinct start point (runs usually share it); its label goes towards the middle.
  const midX = (box.x0 + box.x1) / 2;
  const startPoints = [
    ...new Map(
      runs
        .filter((run) => run.points.length > 0)
        .map((run) => run.points[0]!)
        .map((s0) => [`${s0.x},${s0.y}`, { x: s0.x, y: s0.y, label: 'start', side: s0.x > midX ? 'left' : 'right' }] as const),
    ).values(),
  ].filter(inBox);
  const longest = Math.max(...runs.map((run) => run.points.length));
  const showPoints = options.points ?? longest <= 120;
  const width = options.width ?? 420;
  const height = options.height ?? Math.round(Math.min(520, Math.max(200, (width * (box.y1 - box.y0)) / (box.x1 - box.x0))));

  const xScale = { domain: [xs[0]!, xs[xs.length - 1]!], nice: false, zero: false };
  const yScale = { domain: [ys[0]!, ys[ys.length - 1]!], nice: false, zero: false };
  const xEnc = { field: 'x', type: 'quantitative' as const, title: options.xTitle ?? x, scale: xScale };
  const yEnc = { field: 'y', type: 'quantitative' as const, title: options.yTitle ?? y, scale: yScale };
  const stroke = {
    field: 'method',
    type: 'nominal' as const,
    title: options.colorTitle ?? color,
    sort: methods,
    scale: { domain: methods },
    legend: { orient: 'bottom' as const, columns: 1, symbolType: 'stroke' },
  };

  const layer: object[] = [
    {
      data: { name: 'surface' },
      mark: { type: 'rect' },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: options.xTitle ?? x, scale: xScale },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative', title: options.yTitle ?? y, scale: yScale },
        y2: { field: 'y1' },
        fill: {
          field: 'band',
          type: 'ordinal',
          title: options.zTitle ?? 'loss f(w)',
          sort: bandLabels,
          scale: { domain: bandLabels, range: greys(bandLabels.length) },
          legend: { orient: 'right', symbolType: 'square' },
        },
      },
    },
    {
      data: { name: 'paths' },
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x: xEnc, y: yEnc, stroke, detail: { field: 'piece', type: 'nominal' }, order: { field: 'order', type: 'quantitative' } },
    },
  ];
  if (showPoints) {
    layer.push({
      data: { name: 'iterates' },
      mark: { type: 'point', filled: false, size: 16, strokeWidth: 1.2, clip: true },
      encoding: { x: xEnc, y: yEnc, stroke: { ...stroke, legend: null } },
    });
  }
  layer.push(
    {
      data: { name: 'starts' },
      mark: { type: 'point', shape: 'circle', filled: false, size: 260, strokeWidth: 2.5, color: 'black', clip: true },
      encoding: { x: xEnc, y: yEnc },
    },
    ...(['left', 'right'] as const).map((side) => ({
      data: { name: 'starts' },
      transform: [{ filter: `datum.side === '${side}'` }],
      mark: {
        type: 'text',
        align: side === 'left' ? 'right' : 'left',
        baseline: 'bottom',
        dx: side === 'left' ? -10 : 10,
        dy: -6,
        fontSize: 12,
        fontWeight: 'bold',
        color: 'black',
      },
      encoding: { x: xEnc, y: yEnc, text: { field: 'label' } },
    })),
  );
  return {
    $schema: VL_SCHEMA,
    title: {
      text: options.title ?? 'Trajectories on the loss surface',
      subtitle:
        options.subtitle ??
        `grey bands: ${options.zTitle ?? 'loss'} in ${bandLabels.length} bands of equal area (lighter = lower); lines: iterates; ring: start`,
    },
    config: FIGURE_CONFIG,
    datasets: { surface: cells, paths: pieces, iterates, starts: startPoints },
    width,
    height,
    layer,
    // The circles' layer shows no legend of its own: the lines' legend names the methods.
    resolve: { legend: { stroke: 'independent' } },
  } as unknown as VlSpec;
}
