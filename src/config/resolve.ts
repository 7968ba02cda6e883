/**
 * Resolving a config: validate it, fill in every default, and derive what follows from it (the
 * model's geometry, augmentation, the cosine period, the optimizer's effective settings). The
 * resolved form is what a run's manifest records.
 * @module
 */
import type { InitMode } from '../models/layers';
import { modelNames, normalizeModelName } from '../models/registry';
import { effectiveSettings, resolveOptimizerSettings } from '../optim/settings';
import { ConfigError, validateWith } from './issues';
import { readConfigFile } from './read-file';
import { experimentConfigSchema, type ExperimentConfig } from './schema';

/** Shape and class count of each dataset (ImageNet's size follows `imageSize`). */
export function datasetGeometry(d: ExperimentConfig['dataset']): { inputShape: [number, number, number]; numClasses: number } {
  switch (d.name) {
    case 'fashion-mnist':
    case 'mnist':
      return { inputShape: [28, 28, 1], numClasses: 10 };
    case 'cifar10':
      return { inputShape: [32, 32, 3], numClasses: 10 };
    case 'cifar100':
      return { inputShape: [32, 32, 3], numClasses: 100 };
    case 'imagenet': {
      const s = d.imageSize ?? 224;
      return { inputShape: [s, s, 3], numClasses: 1000 };
    }
  }
}

/**
 * The fully resolved config written into the manifest: {@link ExperimentConfig} with the
 * model's canonical name, class count and input shape, the augmentation decision, the cosine
 * period, and `optimizer.effective` (the optimizer's own `getConfig()`: every setting it runs
 * with, including the defaults of reference variants).
 */
export type ResolvedConfig = Omit<ExperimentConfig, 'model' | 'dataset' | 'optimizer' | 'schedule'> & {
  dataset: Omit<ExperimentConfig['dataset'], 'augment' | 'imageSize'> & { augment: boolean; imageSize: number | null };
  model: { name: string; options: { init: InitMode; numClasses: number; inputShape: [number, number, number] } };
  optimizer: ExperimentConfig['optimizer'] & { effective: Record<string, unknown> };
  schedule:
    | Exclude<ExperimentConfig['schedule'], { kind: 'cosine' }>
    | { kind: 'cosine'; warmupEpochs: number; tMax: number; etaMin: number; per?: 'iteration' };
};

/**
 * Validates an experiment config (an object, or the path of a JSON/YAML file) and fills in
 * every default. Throws a {@link ConfigError} whose message names each bad field by its path,
 * the value found and the values allowed.
 */
export function parseConfig(config: unknown): ExperimentConfig {
  const { $schema: _editorOnly, ...c } =
    typeof config === 'string'
      ? validateWith(experimentConfigSchema, readConfigFile(config), config)
      : validateWith(experimentConfigSchema, config);
  return c;
}

/** The input without `optimizer.effective`, which resolving derives (so a resolved config resolves again). */
function withoutDerived(raw: unknown): unknown {
  const o = raw as { optimizer?: unknown } | null;
  if (o === null || typeof o !== 'object' || o.optimizer === null || typeof o.optimizer !== 'object') return raw;
  const { effective: _derived, ...optimizer } = o.optimizer as Record<string, unknown>;
  return { ...o, optimizer };
}

/** `weightDecayOn: 'all'` is the default: dropped, so writing it or not gives one run id. */
function withoutDefaultDecayTarget(o: ExperimentConfig['optimizer']): ExperimentConfig['optimizer'] {
  const options = o.options as Record<string, unknown>;
  if (options.weightDecayOn !== 'all') return o;
  const { weightDecayOn: _default, ...rest } = options;
  return { ...o, options: rest } as ExperimentConfig['optimizer'];
}

/** The cosine period filled in (the run's epochs unless given). */
function resolveSchedule(s: ExperimentConfig['schedule'], epochs: number): ResolvedConfig['schedule'] {
  if (s.kind !== 'cosine') return s;
  const { per, ...rest } = s;
  // A cosine stepped per epoch leaves `per` out, so configs written before it keep their run ids.
  return { ...rest, tMax: rest.tMax ?? epochs, ...(per === 'iteration' ? { per } : {}) };
}

/**
 * The fully resolved config of an experiment (what the manifest records): {@link parseConfig}
 * plus everything derived (model geometry, augmentation, cosine period, the optimizer's
 * effective settings). Resolving a resolved config gives it back unchanged.
 */
export function resolveConfig(config: unknown): ResolvedConfig {
  const source = typeof config === 'string' ? config : undefined;
  const raw = typeof config === 'string' ? readConfigFile(config) : config;
  const { $schema: _editorOnly, ...c } = validateWith(experimentConfigSchema, withoutDerived(raw), source);
  const geometry = datasetGeometry(c.dataset);
  const canonical = modelNames().find((m) => normalizeModelName(m) === normalizeModelName(c.model.name))!;
  const augment = c.dataset.augment ?? (c.dataset.name !== 'fashion-mnist' && c.dataset.name !== 'mnist');
  const sched = resolveSchedule(c.schedule, c.epochs);
  let effective: Record<string, unknown>;
  try {
    effective = effectiveSettings(resolveOptimizerSettings(c.optimizer));
  } catch (e) {
    throw new ConfigError([{ path: 'optimizer', message: (e as Error).message }], source);
  }
  return {
    ...c,
    dataset: { ...c.dataset, augment, imageSize: c.dataset.name === 'imagenet' ? (c.dataset.imageSize ?? 224) : null },
    model: {
      name: canonical,
      options: {
        init: c.model.options.init,
        numClasses: c.model.options.numClasses ?? geometry.numClasses,
        inputShape: c.model.options.inputShape ?? geometry.inputShape,
      },
    },
    optimizer: { ...withoutDefaultDecayTarget(c.optimizer), effective },
    schedule: sched,
  } as ResolvedConfig;
}
