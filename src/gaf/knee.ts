/**
 * The knee of a GAF: where it turns from enlarging gradient components to restricting them.
 * @module
 */
import type { Gaf } from './gaf';

/**
 * The knee of `g`: the x* > 0 with g(x*) = x*, so that |g(x)| > |x| (the GAF enlarges the
 * component) for 0 < |x| < x* and |g(x)| < |x| (it restricts it) for |x| > x*.
 *
 * Why it is unique for the built-in kinds: each is g(x) = alpha*f(beta*x) with f odd, f(0) = 0,
 * f'(0) = 1 and f concave on x > 0 (atan, tanh, sign*log1p), so g(x)/x falls strictly from
 * g'(0) = alpha*beta towards 0. Hence:
 * - alpha*beta > 1: one crossing x* > 0, found here by bisection on g(x) - x (no closed form for
 *   atan or tanh; for log it is a Lambert-W expression, bisection is used alike);
 * - alpha*beta <= 1: g(x) < x for every x > 0, nothing is enlarged, the knee is 0.
 *
 * Not where g'(x) = 1: that point (smaller than x*) is where g stops growing faster than x,
 * while components between it and x* still leave the GAF larger than they came in.
 *
 * Undefined for a custom GAF (its shape is unknown, so "below the knee" need not mean "enlarged").
 */
export function gafKnee(g: Gaf): number | undefined {
  if (g.kind === 'custom') return undefined;
  const slope0 = g.derivative(0);
  if (!(slope0 > 1)) return 0;
  const gap = (x: number): number => g.value(x) - x; // > 0 below the knee, < 0 above it
  let lo = 0;
  // A bounded GAF is below the identity from its bound on; an unbounded one is found by doubling.
  let hi = g.bound !== undefined && Number.isFinite(g.bound) ? g.bound : 1;
  while (gap(hi) > 0) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) return undefined;
  }
  // Bisection to the resolution of doubles: the interval halves until it stops shrinking.
  for (let i = 0; i < 200 && hi - lo > Number.EPSILON * hi; i++) {
    const mid = (lo + hi) / 2;
    if (gap(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
