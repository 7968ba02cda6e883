/**
 * Config errors a person can act on: each zod issue becomes one line naming the field by its
 * dotted path, the value found and the values allowed (with a "did you mean" for typos).
 * @module
 */
import { z } from 'zod';

/** One problem found in a config. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `optimizer.options.momentum` (`(root)` for the whole config). */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** A config that failed validation; `message` lists every issue, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(`Invalid experiment config${source ? ` (${source})` : ''}:\n` + issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? s.slice(0, 77) + '...' : s;
  } catch {
    return String(v);
  }
}

function valueAt(input: unknown, p: readonly (string | number)[]): unknown {
  let v: unknown = input;
  for (const k of p) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

/** The object schema at a path (following the input through discriminated unions), for "allowed fields". */
function objectAt(schema: z.ZodTypeAny, p: readonly (string | number)[], input: unknown): z.ZodObject<z.ZodRawShape> | undefined {
  let s: z.ZodTypeAny | undefined = schema;
  let v: unknown = input;
  const unwrap = (t: z.ZodTypeAny): z.ZodTypeAny => {
    for (;;) {
      if (t instanceof z.ZodOptional || t instanceof z.ZodNullable) t = t.unwrap();
      else if (t instanceof z.ZodDefault) t = t.removeDefault();
      else if (t instanceof z.ZodEffects) t = t.innerType();
      else return t;
    }
  };
  const resolveUnion = (t: z.ZodTypeAny): z.ZodTypeAny | undefined => {
    if (t instanceof z.ZodDiscriminatedUnion) {
      const d = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[t.discriminator] : undefined;
      return t.optionsMap.get(d as string) as z.ZodTypeAny | undefined;
    }
    return t;
  };
  for (const k of [...p, null]) {
    if (s === undefined) return undefined;
    s = resolveUnion(unwrap(s));
    if (s === undefined) return undefined;
    if (k === null) return s instanceof z.ZodObject ? s : undefined;
    if (s instanceof z.ZodObject) s = (s.shape as z.ZodRawShape)[k as string];
    else if (s instanceof z.ZodArray) s = s.element as z.ZodTypeAny;
    else if (s instanceof z.ZodTuple) s = s.items[k as number] as z.ZodTypeAny | undefined;
    else return undefined;
    v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function bound(kind: 'min' | 'max', limit: number | bigint, inclusive: boolean, exact?: boolean): string {
  if (exact) return `exactly ${limit}`;
  return `${kind === 'min' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<'} ${limit}`;
}

/** One zod issue as a sentence with the bad value and what is allowed. */
function describeIssue(issue: z.ZodIssue, input: unknown, schema: z.ZodTypeAny): string {
  const got = show(valueAt(input, issue.path));
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type:
      // A message given in the schema says more than the types.
      if (!/^(Expected|Required)/.test(issue.message)) return `${issue.message} (got ${got})`;
      if (issue.received === 'undefined') return `is required (${issue.expected})`;
      if (issue.expected === 'integer') return `got ${got}; allowed: an integer`;
      return `got ${got} (${issue.received}); allowed: ${issue.expected}`;
    case z.ZodIssueCode.invalid_enum_value:
      return `got ${show(issue.received)}; allowed values: ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case z.ZodIssueCode.invalid_union_discriminator:
      return `got ${got}; allowed values: ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case z.ZodIssueCode.invalid_literal:
      return `got ${got}; allowed value: ${JSON.stringify(issue.expected)}`;
    case z.ZodIssueCode.unrecognized_keys: {
      const allowed = Object.keys(objectAt(schema, issue.path, input)?.shape ?? {});
      const hints = issue.keys.map((k) => {
        const near = allowed.filter((a) => editDistance(a.toLowerCase(), k.toLowerCase()) <= 2);
        return near.length > 0 ? `"${k}" (did you mean "${near[0]}"?)` : `"${k}"`;
      });
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${hints.join(', ')}; allowed fields: ${allowed.join(', ')}`;
    }
    case z.ZodIssueCode.too_small:
      if (issue.type === 'array')
        return `has ${Array.isArray(valueAt(input, issue.path)) ? (valueAt(input, issue.path) as unknown[]).length : '?'} entries; allowed: ${bound('min', issue.minimum, issue.inclusive, issue.exact)} entries`;
      if (issue.type === 'string') return `got ${got}; allowed: a non-empty string`;
      return `got ${got}; allowed: a number ${bound('min', issue.minimum, issue.inclusive, issue.exact)}`;
    case z.ZodIssueCode.too_big:
      if (issue.type === 'array') return `has too many entries; allowed: ${bound('max', issue.maximum, issue.inclusive, issue.exact)}`;
      return `got ${got}; allowed: a number ${bound('max', issue.maximum, issue.inclusive, issue.exact)}`;
    case z.ZodIssueCode.not_finite:
      return `got ${got}; allowed: a finite number`;
    case z.ZodIssueCode.custom:
      return issue.message;
    default:
      return `got ${got}: ${issue.message}`;
  }
}

/** Zod's issues as {@link ConfigIssue}s (path joined with dots, bad value and allowed values named). */
export function formatIssues(error: z.ZodError, input: unknown, schema: z.ZodTypeAny): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: describeIssue(issue, input, schema),
  }));
}

/** Validates with `schema` and throws a {@link ConfigError} listing every issue. */
export function validateWith<S extends z.ZodTypeAny>(schema: S, input: unknown, source?: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ConfigError(formatIssues(r.error, input, schema), source);
  return r.data as z.output<S>;
}
