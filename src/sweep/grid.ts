/**
 * The sweep config: its schema, validation, and its expansion into run configs (a base config
 * crossed with optimizer variants x GAF kind x alpha x beta x models x seeds, plus the controls
 * of each SGD + GAF run).
 * @module
 */
import { z } from 'zod';
import { canonicalJson, readConfigFile, resolveConfig, runIdOf, validateWith, ConfigError, type ResolvedConfig } from '../config/index';
import { GAF_KINDS } from '../gaf/index';
import { CONTROL_KINDS, type ControlKind } from '../optim/controls';
import { gafParamSchema } from '../optim/settings';

const record = z.record(z.unknown());

/** The zod schema of a sweep config. */
export const sweepConfigSchema = z
  .object({
    /** The JSON Schema an editor checks the file against; ignored by gaf-lab. */
    $schema: z.string().optional(),
    name: z.string().min(1).nullable().default(null),
    /** The sweep folder. */
    outDir: z.string().min(1),
    /** An experiment config (its outDir and name are replaced per run). */
    base: record,
    grid: z
      .object({
        /**
         * Optimizer sections merged over `base.optimizer` (options merged too when the name is the
         * same). A variant with a `gaf` key (an object, or null for none) keeps it; one without
         * is crossed with gafKinds x alphas x betas when any of those is given.
         */
        optimizers: z.array(record).min(1).optional(),
        gafKinds: z.array(z.enum(GAF_KINDS)).min(1).optional(),
        alphas: z.array(gafParamSchema()).min(1).optional(),
        betas: z.array(gafParamSchema()).min(1).optional(),
        /** Model names (replacing base.model.name; the model options stay). */
        models: z.array(z.string().min(1)).min(1).optional(),
        seeds: z.array(z.number().int().min(0)).min(1).optional(),
        /**
         * Controls added next to each SGD run with a GAF (a crossed one or a variant's own): the
         * same config with the GAF moved into `optimizer.control: {kind, of: gaf}` (see
         * `optim/controls.ts`), same seeds and base. Other optimizer families get none.
         */
        controls: z.array(z.enum(CONTROL_KINDS)).min(1).optional(),
        /**
         * Learning rates crossed with every other axis (replacing `optimizer.options.learningRate`
         * of each variant, controls included): each method gets the same grid, and
         * `selectByValidation` picks each method's own best rate on the validation split.
         */
        learningRates: z.array(z.number().finite().positive()).min(1).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

/** A sweep config as written by hand. */
export type SweepConfigInput = z.input<typeof sweepConfigSchema>;
/** A validated sweep config. */
export type SweepConfig = z.output<typeof sweepConfigSchema>;

/** One run of a sweep. */
export interface SweepRun {
  runId: string;
  config: ResolvedConfig;
  /** Which grid values made it (for display). */
  point: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function mergeOptimizer(base: unknown, variant: Obj): Obj {
  const b = isObj(base) ? base : {};
  const sameName = variant.name === undefined || variant.name === b.name;
  const merged: Obj = sameName ? { ...b, ...variant } : { ...variant };
  if (sameName && isObj(b.options) && isObj(variant.options)) merged.options = { ...b.options, ...variant.options };
  // A different optimizer family does not inherit the base's GAF placement or reference variant.
  return merged;
}

/**
 * The run configs of a sweep, in grid order (model, optimizer variant, GAF kind, alpha, beta,
 * learning rate, the GAF run then its controls, seed), each resolved, with duplicates removed:
 * runs with the same id, and controls that train exactly what an earlier control trains (the
 * lrMatched controls of two GAFs with the same slope at zero are one plain-SGD run, kept under
 * the first GAF's name). Run folders go straight into the sweep folder. Errors name the grid point.
 */
export function expandSweep(sweep: SweepConfig): SweepRun[] {
  const base = sweep.base;
  const g = sweep.grid;
  const baseModel = isObj(base.model) ? base.model : {};
  const models = g.models ?? [baseModel.name];
  const variants: Obj[] = g.optimizers ?? [isObj(base.optimizer) ? base.optimizer : {}];
  const gridGaf = g.gafKinds !== undefined || g.alphas !== undefined || g.betas !== undefined;
  const seeds = g.seeds ?? [base.seed];
  const rates: (number | undefined)[] = g.learningRates ?? [undefined];
  const out: SweepRun[] = [];
  const seen = new Set<string>();
  models.forEach((model) => {
    variants.forEach((variant, vi) => {
      rates.forEach((learningRate) => {
        const merged = mergeOptimizer(base.optimizer, variant);
        const opt = learningRate === undefined ? merged : withLearningRate(merged, learningRate);
        const crossed = gridGaf && !('gaf' in variant) && opt.name !== 'sgdAdaptiveGaf' && opt.name !== 'reference';
        const g0 = isObj(opt.gaf) ? opt.gaf : {};
        const gafs: (Obj | undefined)[] = crossed
          ? (g.gafKinds ?? [g0.kind ?? 'atan']).flatMap((kind) =>
              (g.alphas ?? [g0.alpha]).flatMap((alpha) => (g.betas ?? [g0.beta]).map((beta) => ({ kind, alpha, beta }))),
            )
          : [undefined];
        const arms = gafs.flatMap((gaf) => {
          const withGaf = gaf ? { ...opt, gaf: Object.fromEntries(Object.entries(gaf).filter(([, v]) => v !== undefined)) } : opt;
          const own = { optimizer: withGaf, point: { ...(gaf ? { gaf } : {}), ...(learningRate !== undefined ? { learningRate } : {}) } };
          if (!g.controls || withGaf.name !== 'sgd' || !isObj(withGaf.gaf)) return [own];
          const of = withGaf.gaf;
          return [
            own,
            ...g.controls.map((kind: ControlKind) => ({
              optimizer: { ...withGaf, gaf: null, control: { kind, of } },
              point: { ...own.point, control: kind },
            })),
          ];
        });
        for (const arm of arms) {
          for (const seed of seeds) {
            const optimizer = arm.optimizer;
            const config = {
              ...base,
              name: null,
              outDir: sweep.outDir,
              model: { ...baseModel, name: model },
              optimizer,
              ...(seed !== undefined ? { seed } : {}),
            };
            const point = { model, optimizer: vi, ...arm.point, seed };
            let resolved: ResolvedConfig;
            try {
              resolved = resolveConfig(config);
            } catch (e) {
              if (e instanceof ConfigError) {
                throw new ConfigError(
                  e.issues.map((i) => ({ ...i, path: `base.${i.path}` })),
                  `sweep grid point ${JSON.stringify(point)}`,
                );
              }
              throw e;
            }
            const runId = runIdOf(resolved);
            const trains = trainedKey(resolved);
            if (seen.has(runId) || (trains !== null && seen.has(trains))) continue;
            seen.add(runId);
            if (trains !== null) seen.add(trains);
            out.push({ runId, config: resolved, point });
          }
        }
      });
    });
  });
  return out;
}

function withLearningRate(opt: Obj, learningRate: number): Obj {
  return { ...opt, options: { ...(isObj(opt.options) ? opt.options : {}), learningRate } };
}

/**
 * What a control run trains, without the GAF it copies: its effective settings say everything
 * it does (learning rate, clip, sign scale), so two controls with equal keys are the same run.
 * Null for a run that is not a control.
 */
function trainedKey(r: ResolvedConfig): string | null {
  const o = r.optimizer as ResolvedConfig['optimizer'] & { control?: { kind: string } | null };
  if (!o.control) return null;
  const { outDir: _o, ...rest } = r;
  return `control:${canonicalJson({ ...rest, optimizer: { ...o, control: { kind: o.control.kind } } })}`;
}

/** Validates a sweep config (object or JSON/YAML file); errors name the field and allowed values. */
export function parseSweepConfig(config: unknown): SweepConfig {
  if (typeof config === 'string') return validateWith(sweepConfigSchema, readConfigFile(config), config);
  return validateWith(sweepConfigSchema, config);
}
