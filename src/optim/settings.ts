/**
 * The optimizer as plain data: the `optimizer` section of an experiment config. Its schema is
 * made from the same field specs the factories check with, so both share one set of defaults
 * and ranges; {@link resolveOptimizerSettings} gives the settings an optimizer would run with,
 * without building one, and {@link optimizerFromSettings} builds it.
 * @module
 */
import { z } from 'zod';
import { DEFAULT_GAF_PARAMS, GAF_KINDS, GAF_PARAM_RULE, gafFromJSON, type Gaf } from '../gaf/gaf';
import { ADAM_FIELDS, resolveAdam } from './adam-recipe';
import { CLIP_CAP_RULE, CLIP_KINDS } from './clip';
import { CONTROL_KINDS, controlEffect } from './controls';
import { zodFields, zodNumber } from './fields';
import { GafOptimizer } from './gaf-optimizer';
import { recipeToConfig, type Recipe } from './recipes';
import { REFERENCE_FIELDS, REFERENCE_OPTIMIZERS, resolveReference } from './reference';
import { RMSPROP_FIELDS, resolveRmsprop } from './rmsprop-recipe';
import { WEIGHT_DECAY_TARGETS } from './transforms/index';
import { ADAPTIVE_SGD_FIELDS, GAF_PLACEMENTS, resolveAdaptiveSgd, resolveSgd, SGD_FIELDS } from './sgd-recipe';

/** Optimizer families a config's `optimizer.name` can be. */
export const OPTIMIZER_NAMES = ['sgd', 'sgdAdaptiveGaf', 'adam', 'rmsprop', 'reference'] as const;

/** One alpha or beta of a built-in GAF, without a default (sweep grids list them). */
export const gafParamSchema = (): z.ZodNumber => zodNumber(GAF_PARAM_RULE);

const gafParam = (defaultValue: number) => gafParamSchema().default(defaultValue);

/** A built-in GAF as a config names it (`gafFromJSON` builds it). */
export const gafSettingsSchema = z
  .object({ kind: z.enum(GAF_KINDS), alpha: gafParam(DEFAULT_GAF_PARAMS.alpha), beta: gafParam(DEFAULT_GAF_PARAMS.beta) })
  .strict();

/** Gradient clipping on the raw gradient (see `GradientClip`); null: none. */
export const clipSettingsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal(CLIP_KINDS[0]), value: zodNumber(CLIP_CAP_RULE) }).strict(),
    z.object({ kind: z.literal(CLIP_KINDS[1]), maxNorm: zodNumber(CLIP_CAP_RULE) }).strict(),
    z.object({ kind: z.literal(CLIP_KINDS[2]), maxRms: zodNumber(CLIP_CAP_RULE) }).strict(),
  ])
  .nullable()
  .default(null);

/**
 * A control of plain SGD matched to a GAF (`of`); see `controls.ts` for the kinds. Left out:
 * none (an absent control leaves the resolved config, and so its run id, as it was).
 */
export const controlSettingsSchema = z.object({ kind: z.enum(CONTROL_KINDS), of: gafSettingsSchema }).strict();

/**
 * The SGD families' `weightDecayOn` (see `WEIGHT_DECAY_TARGETS`); left out: all variables, with
 * nothing added to the resolved config, so configs written before it keep their run ids.
 */
const weightDecayOnField = { weightDecayOn: z.enum(WEIGHT_DECAY_TARGETS).optional() };

/** The zod schema of a config's `optimizer` section. */
export const optimizerSettingsSchema = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('sgd'),
      options: z.object(zodFields(SGD_FIELDS)).extend(weightDecayOnField).strict(),
      gaf: gafSettingsSchema.nullable().default(null),
      placement: z.enum(GAF_PLACEMENTS as readonly ['gradient', 'update']).default('gradient'),
      clip: clipSettingsSchema,
      control: controlSettingsSchema.optional(),
    })
    .strict(),
  z
    .object({
      name: z.literal('sgdAdaptiveGaf'),
      options: z.object(zodFields(ADAPTIVE_SGD_FIELDS)).extend(weightDecayOnField).strict(),
      gaf: z.null({ message: 'sgdAdaptiveGaf computes its own atan GAF from shrink and gamma: leave gaf out' }).default(null),
      placement: z.literal('update').default('update'),
      clip: clipSettingsSchema,
    })
    .strict(),
  z
    .object({
      name: z.literal('adam'),
      options: z.object(zodFields(ADAM_FIELDS)).strict().default({}),
      gaf: gafSettingsSchema.nullable().default(null),
      placement: z.literal('gradient').default('gradient'),
      clip: clipSettingsSchema,
    })
    .strict(),
  z
    .object({
      name: z.literal('rmsprop'),
      options: z.object(zodFields(RMSPROP_FIELDS)).strict().default({}),
      gaf: gafSettingsSchema.nullable().default(null),
      placement: z.literal('gradient').default('gradient'),
      clip: clipSettingsSchema,
    })
    .strict(),
  z
    .object({
      name: z.literal('reference'),
      /** The class name in the authors' code; which options it takes is checked when resolving. */
      variant: z.enum(REFERENCE_OPTIMIZERS),
      options: z.object(zodFields(REFERENCE_FIELDS, true)).extend(weightDecayOnField).strict().default({}),
    })
    .strict(),
]);

/** A config's `optimizer` section as written (defaults may be left out). */
export type OptimizerSettingsInput = z.input<typeof optimizerSettingsSchema>;
/** A config's `optimizer` section after validation: every default filled in. */
export type OptimizerSettings = z.output<typeof optimizerSettingsSchema>;

/** What an optimizer built from some settings runs with: its learning rate and resolved recipe. */
export interface ResolvedOptimizer {
  learningRate: number;
  recipe: Recipe;
}

const gafOf = (g: { kind: string; alpha: number; beta: number } | null): Gaf | null =>
  g === null ? null : gafFromJSON(g as Parameters<typeof gafFromJSON>[0]);

/**
 * The learning rate and recipe that validated settings stand for, checked once more by the
 * factories' own rules (which also catch what a schema cannot, e.g. Nesterov without
 * momentum). Builds nothing.
 */
export function resolveOptimizerSettings(s: OptimizerSettings): ResolvedOptimizer {
  switch (s.name) {
    case 'sgd':
      if (s.control) return resolveSgdControl(s, s.control);
      return resolveSgd({ ...s.options, gaf: gafOf(s.gaf), gafPlacement: s.placement, clip: s.clip });
    case 'sgdAdaptiveGaf':
      return resolveAdaptiveSgd({ ...s.options, clip: s.clip });
    case 'adam':
      return resolveAdam({ ...s.options, gaf: gafOf(s.gaf), clip: s.clip });
    case 'rmsprop':
      return resolveRmsprop({ ...s.options, gaf: gafOf(s.gaf), clip: s.clip });
    case 'reference':
      return resolveReference(s.variant, s.options);
  }
}

type SgdSettings = Extract<OptimizerSettings, { name: 'sgd' }>;

/** Plain SGD standing in for the GAF `control.of`: a scaled learning rate, a clip, or sign-SGD. */
function resolveSgdControl(s: SgdSettings, control: NonNullable<SgdSettings['control']>): ResolvedOptimizer {
  const where = 'sgd';
  if (s.gaf !== null) {
    throw new Error(
      `${where}: gaf is ${s.gaf.kind} with control ${control.kind}: a control is plain SGD matched to the GAF in control.of. ` +
        'Leave gaf out (or null) and put the GAF in control.of.',
    );
  }
  const gaf = gafOf(control.of)!;
  const effect = controlEffect(control.kind, gaf, s.options.learningRate, where);
  if (effect.clip && s.clip) {
    throw new Error(
      `${where}: clip is set with control ${control.kind}, which sets its own clip at the GAF's bound. Leave clip out (or null).`,
    );
  }
  return resolveSgd({
    ...s.options,
    learningRate: effect.learningRate,
    gafPlacement: s.placement,
    clip: effect.clip ?? s.clip,
    ...(effect.signScale !== undefined ? { signScale: effect.signScale } : {}),
  });
}

/** Every setting the optimizer runs with, as plain data (the same as its `getConfig()`). */
export function effectiveSettings(r: ResolvedOptimizer): Record<string, unknown> {
  return recipeToConfig(r.learningRate, r.recipe) as Record<string, unknown>;
}

/** The optimizer that validated settings describe. */
export function optimizerFromSettings(s: OptimizerSettings | ResolvedOptimizer): GafOptimizer {
  const r = 'recipe' in s ? s : resolveOptimizerSettings(s);
  return new GafOptimizer(r.learningRate, r.recipe);
}
