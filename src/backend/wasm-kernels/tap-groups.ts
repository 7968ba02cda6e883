/**
 * How many filter taps a filter-gradient kernel gathers at once.
 *
 * Gathering every tap (full im2col) gives one large, efficient matrix product but needs
 * fh*fw copies of the input; one tap at a time needs a single copy but gives thin products
 * (e.g. 3 columns for an RGB input). Taps are grouped so that one gathered block stays
 * within a budget of floats.
 * @module
 */

/** Default largest gathered block, in floats (32 MiB). */
export const DEFAULT_IM2COL_BUDGET_FLOATS = 1 << 23;

let budgetFloats = DEFAULT_IM2COL_BUDGET_FLOATS;

/**
 * Sets the largest im2col block the filter-gradient kernels gather at once (floats); a
 * smaller budget lowers peak memory at some speed cost. Returns the previous value.
 * @throws for a budget that is not a positive integer.
 */
export function setIm2colBudget(floats: number): number {
  if (!Number.isInteger(floats) || floats < 1)
    throw new Error(`setIm2colBudget: budget must be a positive integer number of floats, got ${floats}`);
  const previous = budgetFloats;
  budgetFloats = floats;
  return previous;
}

/**
 * Splits the taps (i, j) of an fh x fw filter, in row-major order, into consecutive groups
 * of at most max(1, floor(budget / floatsPerTap)) taps.
 * @param floatsPerTap size of one gathered tap (output pixels x channels).
 */
export function tapGroups(fh: number, fw: number, floatsPerTap: number, budget = budgetFloats): [number, number][][] {
  const taps: [number, number][] = [];
  for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) taps.push([i, j]);
  const perGroup = Math.max(1, Math.min(taps.length, Math.floor(budget / Math.max(1, floatsPerTap))));
  const groups: [number, number][][] = [];
  for (let k = 0; k < taps.length; k += perGroup) groups.push(taps.slice(k, k + perGroup));
  return groups;
}
