/**
 * The one home of every optimizer setting's default and allowed range. The factories check
 * their options with {@link readNumber} / {@link readBoolean}, and the config schema
 * (`settings.ts`) is made from the same specs with {@link zodFields}, so a default or a bound
 * cannot differ between a script and a config file.
 * @module
 */
import { z } from 'zod';
import { checkBoolean, checkNumber, type NumberRule } from './validate';

/** A numeric setting: its range, and its default (none: the setting is required). */
export interface NumberField extends NumberRule {
  readonly kind: 'number';
  readonly default?: number;
  /** Why a required setting has no default, said when it is missing. */
  readonly whyRequired?: string;
}

/** A true/false setting and its default. */
export interface BooleanField {
  readonly kind: 'boolean';
  readonly default: boolean;
}

/** One setting's spec. */
export type Field = NumberField | BooleanField;

/** A numeric setting spec. */
export const numberField = <R extends Omit<NumberField, 'kind'>>(rule: R): R & { kind: 'number' } => ({ kind: 'number', ...rule });

/** A boolean setting spec. */
export const booleanField = (defaultValue: boolean): BooleanField => ({ kind: 'boolean', default: defaultValue });

/** `v`, or the field's default when `v` is undefined; a clear error when it is out of range or missing. */
export function readNumber(where: string, name: string, v: unknown, f: NumberField): number {
  if (v === undefined) {
    if (f.default !== undefined) return f.default;
    throw new Error(`${where}: ${name} is required${f.whyRequired ? ` (${f.whyRequired})` : ''}.${f.hint ? ' ' + f.hint : ''}`);
  }
  return checkNumber(where, name, v, f);
}

/** `v`, or the field's default when `v` is undefined. */
export function readBoolean(where: string, name: string, v: unknown, f: BooleanField): boolean {
  return checkBoolean(where, name, v ?? f.default);
}

/** The zod type of one numeric field, with its range only (no default). */
export function zodNumber(f: Omit<NumberField, 'kind'>): z.ZodNumber {
  let s = z.number().finite();
  if (f.min !== undefined) s = f.minOpen ? s.gt(f.min) : s.gte(f.min);
  if (f.max !== undefined) s = f.maxOpen ? s.lt(f.max) : s.lte(f.max);
  return s;
}

/** The zod type of one field: with its default filled in, or optional (no default) when `optional`. */
type ZodOf<F, Optional extends boolean> = Optional extends true
  ? z.ZodOptional<F extends BooleanField ? z.ZodBoolean : z.ZodNumber>
  : F extends BooleanField
    ? z.ZodDefault<z.ZodBoolean>
    : F extends { default: number }
      ? z.ZodDefault<z.ZodNumber>
      : z.ZodNumber;

/** The zod shape of a set of fields. */
export type ZodShapeOf<Fs extends Record<string, Field>, Optional extends boolean = false> = { [K in keyof Fs]: ZodOf<Fs[K], Optional> };

/**
 * The zod shape of a set of fields: each with its range and default, or, with `optional`, with
 * its range only (for settings whose defaults depend on something else, like the reference
 * variants').
 */
export function zodFields<Fs extends Record<string, Field>, O extends boolean = false>(fields: Fs, optional?: O): ZodShapeOf<Fs, O> {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [name, f] of Object.entries(fields)) {
    if (f.kind === 'boolean') shape[name] = optional ? z.boolean().optional() : z.boolean().default(f.default);
    else shape[name] = optional ? zodNumber(f).optional() : f.default !== undefined ? zodNumber(f).default(f.default) : zodNumber(f);
  }
  return shape as ZodShapeOf<Fs, O>;
}
