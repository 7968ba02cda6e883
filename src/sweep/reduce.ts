/**
 * A reduced version of a committed sweep, for the notebooks' smoke mode and quick checks: the
 * same recipe (optimizer variants and their settings, schedule kind, augmentation, dataset)
 * on fewer models, seeds and optimizer variants, for a few epochs on a tiny subset.
 * @module
 */
import { parseSweepConfig, type SweepConfig } from './grid';
import type { CONFIG_BACKENDS } from '../config/index';

/** What {@link reduceSweep} changes; everything it does not name is kept from the sweep. */
export interface SweepReduction {
  /** Folder of the reduced sweep (required: a reduced sweep must never share the full sweep's folder). */
  outDir: string;
  /** Models to keep, each one of the sweep's grid models (default: all). */
  models?: string[];
  /** Positions (0-based) in the sweep's `grid.optimizers` to keep (default: all). */
  optimizers?: number[];
  /** Seeds (default: the first seed of the grid). */
  seeds?: number[];
  /** Epochs of every run. */
  epochs: number;
  /** Training subset: `{perClass: n}` or `{first: n}`. */
  subset?: { perClass?: number; first?: number };
  /** Test subset (default: the training subset's form). */
  testSubset?: { perClass?: number; first?: number };
  batchSize?: number;
  evalBatchSize?: number;
  /** Where the data is read from (e.g. a folder of synthetic data). */
  dataDir?: string;
  /** ImageNet only: side of the square crops. */
  imageSize?: number;
  /** Classes of the model head (e.g. the number of classes of a tiny image folder). */
  numClasses?: number;
  /** Gradient statistics every n steps; null: none (default: the sweep's setting). */
  gradStatsEvery?: number | null;
  /** Backend of the runs (default: the sweep's). */
  backend?: (typeof CONFIG_BACKENDS)[number];
  /** Name of the reduced sweep (default: `reduced: <name of the sweep>`). */
  name?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkCount(field: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new Error(`reduceSweep: ${field} must be a whole number >= 1, got ${JSON.stringify(v)}.`);
  }
}

/**
 * The sweep `config` (object or JSON/YAML file) reduced by `reduction`; with `null`, the sweep
 * as it is (validated). The result is a validated sweep config for {@link runSweep}.
 *
 * Kept from the sweep: dataset, augmentation, model options, the optimizer base and the chosen
 * variants with all their settings, the schedule kind and its settings (warm-up epochs are
 * capped at `epochs`, and a cosine period not set explicitly follows `epochs`, as in the full
 * sweep), gradient statistics and backend unless overridden. Errors name the field and the
 * allowed values (e.g. a model that is not in the sweep's grid).
 */
export function reduceSweep(config: unknown, reduction: SweepReduction | null): SweepConfig {
  const sweep = parseSweepConfig(config);
  if (reduction === null) return sweep;
  const r = reduction;
  if (!isObj(r)) throw new Error('reduceSweep: pass the reduction as an object (or null for the whole sweep).');
  if (typeof r.outDir !== 'string' || r.outDir === '')
    throw new Error(`reduceSweep: outDir must be a folder path, got ${JSON.stringify(r.outDir)}.`);
  for (const f of ['epochs', 'batchSize', 'evalBatchSize', 'imageSize', 'numClasses'] as const) checkCount(f, r[f]);
  if (r.gradStatsEvery !== undefined && r.gradStatsEvery !== null) checkCount('gradStatsEvery', r.gradStatsEvery);

  const base = sweep.base;
  const grid = sweep.grid;
  const baseModel = isObj(base.model) ? base.model : {};
  const gridModels = grid.models ?? (typeof baseModel.name === 'string' ? [baseModel.name] : []);
  const models = r.models ?? gridModels;
  const unknown = models.filter((m) => !gridModels.includes(m));
  if (models.length === 0 || unknown.length > 0) {
    throw new Error(
      `reduceSweep: models ${JSON.stringify(unknown.length ? unknown : models)} are not in the sweep's grid; allowed: ${gridModels.join(', ')}.`,
    );
  }
  const variants = grid.optimizers;
  let optimizers: Obj[] | undefined = variants;
  if (r.optimizers !== undefined) {
    const count = variants?.length ?? 1;
    const bad = r.optimizers.filter((i) => !Number.isInteger(i) || i < 0 || i >= count);
    if (r.optimizers.length === 0 || bad.length > 0) {
      throw new Error(
        `reduceSweep: optimizers must be positions in the sweep's grid.optimizers, 0..${count - 1}; got ${JSON.stringify(r.optimizers)}.`,
      );
    }
    optimizers = variants ? r.optimizers.map((i) => variants[i]!) : undefined;
  }
  const seeds = r.seeds ?? [grid.seeds?.[0] ?? (typeof base.seed === 'number' ? base.seed : 0)];

  const epochs = r.epochs;
  const schedule: Obj = isObj(base.schedule) ? { ...base.schedule } : { kind: 'constant' };
  if (typeof schedule.warmupEpochs === 'number' && schedule.warmupEpochs > epochs) schedule.warmupEpochs = epochs;
  const dataset: Obj = { ...(isObj(base.dataset) ? base.dataset : {}) };
  if (r.subset !== undefined) dataset.subset = r.subset;
  if (r.testSubset !== undefined || r.subset !== undefined) dataset.testSubset = r.testSubset ?? r.subset;
  if (r.dataDir !== undefined) dataset.dataDir = r.dataDir;
  if (r.imageSize !== undefined) dataset.imageSize = r.imageSize;
  const modelOptions = {
    ...(isObj(baseModel.options) ? baseModel.options : {}),
    ...(r.numClasses !== undefined ? { numClasses: r.numClasses } : {}),
  };

  const reducedBase: Obj = {
    ...base,
    dataset,
    model: { ...baseModel, ...(Object.keys(modelOptions).length ? { options: modelOptions } : {}) },
    schedule,
    epochs,
    ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}),
    ...(r.evalBatchSize !== undefined ? { evalBatchSize: r.evalBatchSize } : {}),
    ...(r.backend !== undefined ? { backend: r.backend } : {}),
  };
  if (r.gradStatsEvery !== undefined)
    reducedBase.gradStats =
      r.gradStatsEvery === null ? null : { ...(isObj(base.gradStats) ? base.gradStats : {}), every: r.gradStatsEvery };
  const reducedGrid: Obj = { ...grid, seeds, ...(grid.models || r.models ? { models } : {}), ...(optimizers ? { optimizers } : {}) };
  return parseSweepConfig({
    name: r.name ?? `reduced: ${sweep.name ?? sweep.outDir}`,
    outDir: r.outDir,
    base: reducedBase,
    grid: reducedGrid,
  });
}
