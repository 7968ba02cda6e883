import type { Gaf } from './gaf';

/** Identifiers of the four GAF conditions of the paper, in its order. */
export type ConditionId = 'signPreserving' | 'monotone' | 'enlargesTiny' | 'restrictsLarge';

/** One condition: its verdict and the numbers behind it. */
export interface ConditionResult {
  id: ConditionId;
  /** The condition in words. */
  statement: string;
  holds: boolean;
  /** One sentence a reader can check: the numbers that decided the verdict. */
  detail: string;
  /** The first x (smallest |x| scanning outward) where the condition fails, if it fails. */
  firstFailureAt?: number;
}

/** Result of {@link checkConditions}. */
export interface ConditionReport {
  gaf: string;
  /** True when all four conditions hold. */
  allHold: boolean;
  /** g'(0) as given by the GAF's derivative. */
  slopeAtZero: number;
  /** sup |g| over the real line: the declared bound, or the largest |g| seen when undeclared. */
  bound: number;
  /** Whether g is bounded (declared, or |g| stopped growing over the scanned range). */
  bounded: boolean;
  /** For condition 3: |g(x)| > |x| for all scanned 0 < |x| < this (0 when never). */
  enlargesBelow: number;
  /** The scanned range of |x|, log-spaced, both signs. */
  range: { min: number; max: number; points: number };
  conditions: ConditionResult[];
}

/** Options of {@link checkConditions}. */
export interface CheckOptions {
  /** Smallest |x| scanned (default 1e-8). */
  min?: number;
  /** Largest |x| scanned (default 1e4: gradients beyond that are rare). */
  max?: number;
  /** Points per sign (default 2000). */
  points?: number;
}

const fmt = (v: number): string => (Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v));

/**
 * Checks numerically the four conditions the paper asks of a gradient activation function,
 * over a log-spaced grid of |x| on both signs, and says for each which evidence decided it.
 *
 * 1. sign preserving: g(0) = 0 and sign(g(x)) = sign(x);
 * 2. monotone: g strictly increasing;
 * 3. enlarges tiny gradients: g'(0) > 1 (so |g(x)| > |x| near 0);
 * 4. restricts large gradients: g'(x) non-increasing in |x|, and |g| <= U when g is of a bounded kind.
 */
export function checkConditions(g: Gaf, opts: CheckOptions = {}): ConditionReport {
  const min = opts.min ?? 1e-8;
  const max = opts.max ?? 1e4;
  const n = opts.points ?? 2000;
  if (!(min > 0 && max > min && n >= 10)) {
    throw new Error(`checkConditions: need 0 < min < max and points >= 10, got min=${min}, max=${max}, points=${n}.`);
  }
  // |x| grid, increasing; each side is scanned outward from 0 so "first failure" is the smallest |x|.
  const mags = Array.from({ length: n }, (_, i) => min * Math.pow(max / min, i / (n - 1)));
  const sides = [1, -1].map((s) =>
    mags.map((m) => {
      const x = s * m;
      return { x, gx: g.value(x), dgx: g.derivative(x) };
    }),
  );
  const g0 = g.value(0);
  const slopeAtZero = g.derivative(0);
  const all = sides.flat();
  const maxAbs = Math.max(...all.map((p) => Math.abs(p.gx)));
  const firstOf = (bad: (p: { x: number; gx: number; dgx: number }, i: number, side: typeof all) => boolean): number | undefined => {
    const hits = sides
      .map((side) => side.find((p, i) => bad(p, i, side)))
      .filter((p): p is { x: number; gx: number; dgx: number } => p !== undefined);
    if (hits.length === 0) return undefined;
    return hits.reduce((a, b) => (Math.abs(b.x) < Math.abs(a.x) ? b : a)).x;
  };

  // Condition 4's bound: declared when the GAF knows it, else what the scan saw. Undeclared, g
  // counts as bounded when |g| grew by under 1% over the last decade of the scan: softsign-like
  // functions creep towards their bound (0.1% per decade), log-like ones grow by 20% or more.
  const declared = g.bound;
  const lastDecade = (side: typeof all): number => {
    const tail = side.filter((p) => Math.abs(p.x) >= max / 10);
    return Math.abs(Math.abs(tail[tail.length - 1]!.gx) - Math.abs(tail[0]!.gx)) / Math.max(1e-300, Math.abs(tail[0]!.gx));
  };
  const bounded = declared !== undefined ? Number.isFinite(declared) : sides.every((s) => lastDecade(s) < 1e-2);
  const bound = declared ?? (bounded ? maxAbs : Infinity);
  const saturated = (gx: number): boolean => bounded && Math.abs(Math.abs(gx) - bound) <= 1e-12 * bound;
  const boundSource = declared !== undefined ? 'declared' : 'largest |g| seen in the scan';

  const conditions: ConditionResult[] = [];

  {
    const bad = firstOf((p) => Math.sign(p.gx) !== Math.sign(p.x));
    const zeroOk = g0 === 0;
    conditions.push({
      id: 'signPreserving',
      statement: 'g(0) = 0 and sign(g(x)) = sign(x)',
      holds: zeroOk && bad === undefined,
      firstFailureAt: !zeroOk ? 0 : bad,
      detail: !zeroOk
        ? `g(0) = ${fmt(g0)}, not 0`
        : bad !== undefined
          ? `sign(g(${fmt(bad)})) = ${Math.sign(g.value(bad))}, differs from sign(x)`
          : `g(0) = 0 and the sign is kept at all ${2 * n} points with ${fmt(min)} <= |x| <= ${fmt(max)}`,
    });
  }

  {
    // Scan the real line from -max to max. A flat step is a failure unless g sits at its bound
    // there: float64 cannot resolve e.g. tanh(u) from 1 for u > 19, which is not a real plateau.
    const line = [...sides[1]!.slice().reverse(), { x: 0, gx: g0, dgx: slopeAtZero }, ...sides[0]!];
    let bad: number | undefined;
    let worst = '';
    for (let i = 1; i < line.length; i++) {
      const a = line[i - 1]!;
      const b = line[i]!;
      const decreases = b.gx < a.gx;
      const flat = b.gx === a.gx && !(saturated(a.gx) && saturated(b.gx));
      if ((decreases || flat) && (bad === undefined || Math.abs(b.x) < Math.abs(bad))) {
        bad = b.x;
        worst = decreases
          ? `g decreases from g(${fmt(a.x)}) = ${fmt(a.gx)} to g(${fmt(b.x)}) = ${fmt(b.gx)}`
          : `g is flat at ${fmt(a.gx)} between x = ${fmt(a.x)} and ${fmt(b.x)}`;
      }
    }
    conditions.push({
      id: 'monotone',
      statement: 'g is strictly increasing',
      holds: bad === undefined,
      firstFailureAt: bad,
      detail: bad !== undefined ? worst : `g increases across all ${2 * n + 1} points of [${fmt(-max)}, ${fmt(max)}]`,
    });
  }

  // Largest |x| below which |g(x)| > |x| holds on both sides.
  const enlargeFail = firstOf((p) => !(Math.abs(p.gx) > Math.abs(p.x)));
  const enlargesBelow = enlargeFail === undefined ? max : Math.abs(enlargeFail) <= min ? 0 : Math.abs(enlargeFail);
  {
    const holds = slopeAtZero > 1;
    conditions.push({
      id: 'enlargesTiny',
      statement: "g'(0) > 1, so |g(x)| > |x| for small |x|",
      holds,
      firstFailureAt: holds ? undefined : (enlargeFail ?? min),
      detail: holds
        ? `g'(0) = ${fmt(slopeAtZero)} > 1: |g(x)| > |x| for ${fmt(min)} <= |x| < ${fmt(enlargesBelow)}`
        : `g'(0) = ${fmt(slopeAtZero)} <= 1: tiny gradients are not enlarged${g.config.kind !== 'custom' ? ` (alpha*beta = ${fmt((g.config.alpha ?? 0) * (g.config.beta ?? 0))})` : ''}`,
    });
  }

  {
    // g' must not grow as |x| grows, on either side; compare along each outward scan.
    const tol = 1e-9;
    const slopeBad = firstOf((p, i, side) => i > 0 && Math.abs(p.dgx) > Math.abs(side[i - 1]!.dgx) * (1 + tol) + 1e-300);
    const overBound = bounded ? firstOf((p) => Math.abs(p.gx) > bound * (1 + 1e-12)) : undefined;
    const holds = slopeBad === undefined && overBound === undefined;
    const boundText = bounded
      ? `|g(x)| <= U = ${fmt(bound)} (${boundSource})`
      : `unbounded: |g(x)| keeps growing (|g(${fmt(max)})| = ${fmt(Math.abs(g.value(max)))}), growth is restricted only by the falling slope`;
    conditions.push({
      id: 'restrictsLarge',
      statement: "g'(x) non-increasing in |x|, and |g(x)| <= U for bounded kinds",
      holds,
      firstFailureAt: slopeBad ?? overBound,
      detail:
        slopeBad !== undefined
          ? `g' grows with |x| at x = ${fmt(slopeBad)} (g'(x) = ${fmt(g.derivative(slopeBad))}); ${boundText}`
          : overBound !== undefined
            ? `|g(${fmt(overBound)})| = ${fmt(Math.abs(g.value(overBound)))} exceeds the bound ${fmt(bound)}`
            : `g' is non-increasing in |x| over ${fmt(min)}..${fmt(max)}; ${boundText}`,
    });
  }

  return {
    gaf: g.name,
    allHold: conditions.every((c) => c.holds),
    slopeAtZero,
    bound,
    bounded,
    enlargesBelow,
    range: { min, max, points: 2 * n },
    conditions,
  };
}

/** A readable multi-line summary of a {@link ConditionReport}. */
export function formatConditionReport(r: ConditionReport): string {
  const head = `${r.gaf}: ${r.allHold ? 'all four conditions hold' : 'some conditions fail'} (g'(0) = ${fmt(r.slopeAtZero)}, bound ${r.bounded ? fmt(r.bound) : 'none (unbounded)'})`;
  return [head, ...r.conditions.map((c, i) => `  ${i + 1}. [${c.holds ? 'ok' : 'FAIL'}] ${c.statement}: ${c.detail}`)].join('\n');
}
