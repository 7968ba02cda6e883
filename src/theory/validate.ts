/**
 * Argument checks shared by the theory modules: each failure names the function, the field,
 * the value it got and what to pass instead, so a notebook user never sees a tfjs stack trace.
 */

/** Options of {@link checkNum}. */
export interface NumRule {
  /** Smallest allowed value (inclusive unless `minOpen`). */
  min?: number;
  minOpen?: boolean;
  /** Largest allowed value (inclusive). */
  max?: number;
  integer?: boolean;
  /** Sentence appended to the error, e.g. an example value. */
  hint?: string;
}

/** Throws an error of the form `where: field must be ..., got ... . hint`. */
export function fail(where: string, field: string, got: unknown, must: string, hint?: string): never {
  const shown =
    typeof got === 'number' || typeof got === 'boolean' || got === undefined || got === null ? String(got) : JSON.stringify(got);
  throw new Error(`${where}: ${field} must be ${must}, got ${shown}.${hint ? ` ${hint}` : ''}`);
}

/** Returns `v` when it is a finite number obeying `rule`, else throws a readable error. */
export function checkNum(where: string, field: string, v: unknown, rule: NumRule = {}): number {
  const must = [
    rule.integer ? 'an integer' : 'a finite number',
    rule.min !== undefined ? `${rule.minOpen ? '>' : '>='} ${rule.min}` : '',
    rule.max !== undefined ? `<= ${rule.max}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(where, field, v, must, rule.hint);
  if (rule.integer && !Number.isInteger(v)) fail(where, field, v, must, rule.hint);
  if (rule.min !== undefined && (rule.minOpen ? !(v > rule.min) : !(v >= rule.min))) fail(where, field, v, must, rule.hint);
  if (rule.max !== undefined && !(v <= rule.max)) fail(where, field, v, must, rule.hint);
  return v;
}

/** Returns a non-empty array of numbers each obeying `rule`. */
export function checkNumArray(where: string, field: string, v: unknown, rule: NumRule = {}): number[] {
  if (!Array.isArray(v) || v.length === 0) fail(where, field, v, 'a non-empty array of numbers', rule.hint);
  return v.map((x, i) => checkNum(where, `${field}[${i}]`, x, rule));
}

/** Returns `v` when it is one of `allowed`. */
export function checkOneOf<T extends string>(where: string, field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(where, field, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

/** Log-spaced values from `lo` to `hi` inclusive (`n >= 2`), or `[lo]` when `n = 1`. */
export function logSpace(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo * Math.pow(hi / lo, i / (n - 1)));
}
