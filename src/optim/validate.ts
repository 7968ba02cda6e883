import type { Gaf } from '../gaf/gaf';

/** Readable form of a bad value for error messages. */
function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (v !== null && typeof v === 'object') {
    try {
      return JSON.stringify(v);
    } catch {
      return 'an object';
    }
  }
  return String(v);
}

/** Throws `${where}: ${field} ${rule}, got ${value}.` plus an optional hint. */
export function fail(where: string, field: string, value: unknown, rule: string, hint?: string): never {
  throw new Error(`${where}: ${field} ${rule}, got ${show(value)}.${hint ? ' ' + hint : ''}`);
}

/** Bounds of a numeric option; each bound is inclusive unless its `...Open` flag is set. */
export interface NumberRule {
  min?: number;
  minOpen?: boolean;
  max?: number;
  maxOpen?: boolean;
  hint?: string;
}

function describe(rule: NumberRule): string {
  const { min, max, minOpen, maxOpen } = rule;
  if (min !== undefined && max !== undefined) {
    return `must be in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`;
  }
  if (min !== undefined) return `must be ${minOpen ? '>' : '>='} ${min}`;
  if (max !== undefined) return `must be ${maxOpen ? '<' : '<='} ${max}`;
  return 'must be a finite number';
}

/** A finite number within the bounds of `rule`, else a clear error naming the field. */
export function checkNumber(where: string, field: string, v: unknown, rule: NumberRule = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    fail(
      where,
      field,
      v,
      `must be a finite number${rule.min !== undefined || rule.max !== undefined ? ' (' + describe(rule).replace('must be ', '') + ')' : ''}`,
      rule.hint,
    );
  }
  const { min, max, minOpen, maxOpen } = rule;
  const low = min !== undefined && (minOpen ? v <= min : v < min);
  const high = max !== undefined && (maxOpen ? v >= max : v > max);
  if (low || high) fail(where, field, v, describe(rule), rule.hint);
  return v;
}

/** What a user who got the learning rate wrong wants to know. */
export const LEARNING_RATE_HINT = 'Typical values: 0.1 for SGD, 1e-3 for Adam.';

/** A learning rate: finite and >= 0. */
export function checkLearningRate(where: string, v: unknown): number {
  return checkNumber(where, 'learningRate', v, { min: 0, hint: LEARNING_RATE_HINT });
}

/** A boolean option. */
export function checkBoolean(where: string, field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') fail(where, field, v, 'must be true or false');
  return v;
}

/** True when `v` has the shape of a {@link Gaf} (as made by `gafs.atan` etc.). */
export function isGaf(v: unknown): v is Gaf {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.apply === 'function' && typeof o.toJSON === 'function' && typeof o.name === 'string' && typeof o.kind === 'string';
}

/** An optional GAF: undefined/null mean none; anything else must be a Gaf object. */
export function checkGaf(where: string, v: unknown): Gaf | null {
  if (v === undefined || v === null) return null;
  if (!isGaf(v)) {
    fail(where, 'gaf', v, 'must be a GAF object', 'Make one with gafs.atan({alpha: 0.1, beta: 20}), gafs.tanh, gafs.log or gafs.custom.');
  }
  return v;
}

/** One of a fixed set of strings. */
export function checkOneOf<T extends string>(where: string, field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(where, field, v, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v as T;
}

/** Rejects option names that the function does not know (catches typos such as `lr`). */
export function checkKnownKeys(where: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new Error(`${where}: expected an options object, got ${show(opts)}.`);
  }
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) {
      throw new Error(`${where}: unknown option "${key}". Valid options: ${allowed.join(', ')}.`);
    }
  }
}
