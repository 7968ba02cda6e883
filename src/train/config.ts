/**
 * The experiment config: its schema (zod), parsing with readable errors, the resolved form
 * written into every run's manifest, the run id, and the reference CIFAR recipe as a preset.
 * The fields are described in docs/run-format.md.
 * @module
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { modelNames, normalizeModelName, closestModelName } from '../models/registry';
import { REFERENCE_OPTIMIZERS } from '../optim/reference';
import { buildOptimizer } from './build';

/** Datasets an experiment can train on. */
export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'imagenet'] as const;
/** Optimizer families of the config's `optimizer.name`. */
export const OPTIMIZER_NAMES = ['sgd', 'sgdAdaptiveGaf', 'adam', 'rmsprop', 'reference'] as const;
/** GAF kinds a config can name (custom GAFs need code, not a config). */
export const GAF_KINDS = ['atan', 'tanh', 'log'] as const;
/** Backends a config can ask for; `auto` lets {@link initBackend} choose (GAF_BACKEND still applies). */
export const CONFIG_BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

const num = () => z.number().finite();
const posInt = () => z.number().int().positive();
const unitOpen = () => num().min(0).lt(1);

const subset = z
  .object({ first: posInt().nullable().default(null), perClass: posInt().nullable().default(null) })
  .strict()
  .refine((s) => s.first === null || s.perClass === null, {
    message: 'give either first (the first n images) or perClass (n random images of every class), not both',
  });

const dataset = z
  .object({
    name: z.enum(DATASET_NAMES),
    /** Training subset; null: the whole training split. */
    subset: subset.nullable().default(null),
    /** Test subset; null: the whole test split. */
    testSubset: subset.nullable().default(null),
    /** Where the files are; null: the loaders' default search ($GAF_DATA_DIR, <repo>/data, system folders). */
    dataDir: z.string().min(1).nullable().default(null),
    /** Training augmentation; null: on for cifar10/cifar100/imagenet, off (and unavailable) for MNIST-like sets. */
    augment: z.boolean().nullable().default(null),
    /** ImageNet only: side of the square crops (default 224). */
    imageSize: posInt().nullable().default(null),
  })
  .strict();

const model = z
  .object({
    name: z.string().superRefine((name, ctx) => {
      if (!modelNames().some((m) => normalizeModelName(m) === normalizeModelName(name))) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `unknown model ${JSON.stringify(name)} (did you mean "${closestModelName(name)}"?); allowed values (case-insensitive): ${modelNames().join(', ')}`,
        });
      }
    }),
    options: z
      .object({
        init: z.enum(['pytorch', 'glorot']).default('pytorch'),
        /** null: from the dataset. */
        numClasses: posInt().nullable().default(null),
        /** [height, width, channels]; null: from the dataset. */
        inputShape: z.tuple([posInt(), posInt(), posInt()]).nullable().default(null),
      })
      .strict()
      .default({}),
  })
  .strict();

const momentumFields = {
  momentum: unitOpen().default(0),
  dampening: num().min(0).max(1).default(0),
  nesterov: z.boolean().default(false),
  weightDecay: num().min(0).default(0),
};
const learningRate = () => num().min(0);

const gaf = z
  .object({ kind: z.enum(GAF_KINDS), alpha: num().positive().default(0.3), beta: num().positive().default(4.5) })
  .strict();

/** Gradient clipping on the raw gradient (see GradientClip in src/optim/clip.ts); null: none. */
const clip = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('value'), value: num().positive() }).strict(),
    z.object({ kind: z.literal('norm'), maxNorm: num().positive() }).strict(),
  ])
  .nullable()
  .default(null);

const optimizer = z.discriminatedUnion('name', [
  z
    .object({
      name: z.literal('sgd'),
      options: z.object({ learningRate: learningRate(), ...momentumFields }).strict(),
      gaf: gaf.nullable().default(null),
      placement: z.enum(['gradient', 'update']).default('gradient'),
      clip,
    })
    .strict(),
  z
    .object({
      name: z.literal('sgdAdaptiveGaf'),
      options: z.object({ learningRate: learningRate(), ...momentumFields, shrink: num().positive(), gamma: num().positive() }).strict(),
      gaf: z.null({ message: 'sgdAdaptiveGaf computes its own atan GAF from shrink and gamma: leave gaf out' }).default(null),
      placement: z.literal('update').default('update'),
      clip,
    })
    .strict(),
  z
    .object({
      name: z.literal('adam'),
      options: z
        .object({
          learningRate: learningRate().default(1e-3),
          beta1: unitOpen().default(0.9),
          beta2: unitOpen().default(0.999),
          epsilon: num().positive().default(1e-8),
          weightDecay: num().min(0).default(0),
        })
        .strict()
        .default({}),
      gaf: gaf.nullable().default(null),
      placement: z.literal('gradient').default('gradient'),
      clip,
    })
    .strict(),
  z
    .object({
      name: z.literal('rmsprop'),
      options: z
        .object({
          learningRate: learningRate().default(1e-2),
          decay: unitOpen().default(0.99),
          epsilon: num().positive().default(1e-8),
          momentum: unitOpen().default(0),
          centered: z.boolean().default(false),
          weightDecay: num().min(0).default(0),
        })
        .strict()
        .default({}),
      gaf: gaf.nullable().default(null),
      placement: z.literal('gradient').default('gradient'),
      clip,
    })
    .strict(),
  z
    .object({
      name: z.literal('reference'),
      /** The class name in the authors' code; its options are checked by `fromReference`. */
      variant: z.enum(REFERENCE_OPTIMIZERS),
      options: z
        .object({
          learningRate: learningRate().optional(),
          momentum: unitOpen().optional(),
          dampening: num().min(0).max(1).optional(),
          nesterov: z.boolean().optional(),
          weightDecay: num().min(0).optional(),
          alpha: num().positive().optional(),
          beta: num().positive().optional(),
          shrink: num().positive().optional(),
          gamma: num().positive().optional(),
          beta1: unitOpen().optional(),
          beta2: unitOpen().optional(),
          epsilon: num().positive().optional(),
        })
        .strict()
        .default({}),
    })
    .strict(),
]);

const schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), warmupEpochs: z.number().int().min(0).default(0) }).strict(),
  z
    .object({
      kind: z.literal('cosine'),
      warmupEpochs: z.number().int().min(0).default(0),
      /** Epochs of the half cosine period; null: the run's epochs (the reference recipe). */
      tMax: posInt().nullable().default(null),
      etaMin: num().min(0).default(0),
    })
    .strict(),
  z
    .object({
      kind: z.literal('step'),
      warmupEpochs: z.number().int().min(0).default(0),
      milestones: z.array(posInt()).min(1),
      gamma: num().positive().default(0.1),
    })
    .strict(),
]);

const gradStats = z
  .object({ every: posInt().default(1), tinyThreshold: num().positive().default(1e-3) })
  .strict();

/** The zod schema of an experiment config (the input form; see {@link parseConfig}). */
export const experimentConfigSchema = z
  .object({
    /** Free label; also the start of the run id (default: a slug of the config). */
    name: z.string().min(1).nullable().default(null),
    dataset,
    model,
    optimizer,
    schedule: schedule.default({ kind: 'constant' }),
    epochs: posInt(),
    batchSize: posInt(),
    /** Batch size of evaluation (does not change the numbers, only speed and memory). */
    evalBatchSize: posInt().default(256),
    /** Seeds the weight initialisation and the data order (and augmentation). */
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** Evaluate on the test set every n epochs (and always after the last). */
    evalEvery: posInt().default(1),
    /** Gradient statistics to gradstats.jsonl every n optimizer steps; null: none. */
    gradStats: gradStats.nullable().default(null),
    backend: z.enum(CONFIG_BACKENDS).default('auto'),
    /** Folder that receives the run folder `<outDir>/<runId>/`. */
    outDir: z.string().min(1).default('runs'),
    /** `last`: keep only checkpoints/last; `all`: also checkpoints/epoch-NNNN after every epoch. */
    keepCheckpoints: z.enum(['last', 'all']).default('last'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const mnistLike = c.dataset.name === 'fashion-mnist' || c.dataset.name === 'mnist';
    if (mnistLike && c.dataset.augment === true) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['dataset', 'augment'],
        message: `no augmentation is defined for ${c.dataset.name}; allowed values: false or null`,
      });
    }
    if (c.dataset.name !== 'imagenet' && c.dataset.imageSize !== null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['dataset', 'imageSize'], message: 'only ImageNet has a choosable image size; leave it out' });
    }
    if (c.schedule.warmupEpochs > c.epochs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['schedule', 'warmupEpochs'],
        message: `${c.schedule.warmupEpochs} is more than epochs (${c.epochs}); allowed: 0..${c.epochs}`,
      });
    }
    if (c.schedule.kind === 'step') {
      const m = c.schedule.milestones;
      if (m.some((v, i) => i > 0 && v <= m[i - 1]!)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['schedule', 'milestones'], message: `must be strictly increasing epoch numbers, got ${JSON.stringify(m)}` });
      }
    }
  });

/** An experiment config as written by hand (optional fields may be left out). */
export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
/** An experiment config after validation: every default filled in. */
export type ExperimentConfig = z.output<typeof experimentConfigSchema>;

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
  model: { name: string; options: { init: 'pytorch' | 'glorot'; numClasses: number; inputShape: [number, number, number] } };
  optimizer: ExperimentConfig['optimizer'] & { effective: Record<string, unknown> };
  schedule: Exclude<ExperimentConfig['schedule'], { kind: 'cosine' }> | { kind: 'cosine'; warmupEpochs: number; tMax: number; etaMin: number };
};

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
    super(
      `Invalid experiment config${source ? ` (${source})` : ''}:\n` + issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n'),
    );
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
      if (issue.type === 'array') return `has ${Array.isArray(valueAt(input, issue.path)) ? (valueAt(input, issue.path) as unknown[]).length : '?'} entries; allowed: ${bound('min', issue.minimum, issue.inclusive, issue.exact)} entries`;
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
export function formatIssues(error: z.ZodError, input: unknown, schema: z.ZodTypeAny = experimentConfigSchema): ConfigIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: describeIssue(issue, input, schema),
  }));
}

/**
 * Reads a config file: JSON, or YAML when the `yaml` package is installed (it is not a
 * dependency of gaf-lab; JSON always works).
 */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read config file ${file}: ${(e as Error).message}`);
  }
  if (/\.ya?ml$/i.test(file)) {
    let yaml: { parse(s: string): unknown };
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      yaml = require('yaml') as { parse(s: string): unknown };
    } catch {
      throw new Error(`Config ${file} is YAML, but the "yaml" package is not installed. Write the config as JSON, or install yaml.`);
    }
    try {
      return yaml.parse(text);
    } catch (e) {
      throw new Error(`Config ${file} is not valid YAML: ${(e as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`Config ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Validates with `schema` and throws a {@link ConfigError} listing every issue. */
export function validateWith<S extends z.ZodTypeAny>(schema: S, input: unknown, source?: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ConfigError(formatIssues(r.error, input, schema), source);
  return r.data as z.output<S>;
}

/**
 * Validates an experiment config (an object, or the path of a JSON/YAML file) and fills in
 * every default. Throws a {@link ConfigError} whose message names each bad field by its path,
 * the value found and the values allowed.
 */
export function parseConfig(config: unknown): ExperimentConfig {
  if (typeof config === 'string') return validateWith(experimentConfigSchema, readConfigFile(config), config);
  return validateWith(experimentConfigSchema, config);
}

/** The input without `optimizer.effective`, which resolving derives (so a resolved config resolves again). */
function withoutDerived(raw: unknown): unknown {
  const o = raw as { optimizer?: unknown } | null;
  if (o === null || typeof o !== 'object' || o.optimizer === null || typeof o.optimizer !== 'object') return raw;
  const { effective: _derived, ...optimizer } = o.optimizer as Record<string, unknown>;
  return { ...o, optimizer };
}

/**
 * The fully resolved config of an experiment (what the manifest records): {@link parseConfig}
 * plus everything derived (model geometry, augmentation, cosine period, the optimizer's
 * effective settings). Resolving a resolved config gives it back unchanged.
 */
export function resolveConfig(config: unknown): ResolvedConfig {
  const source = typeof config === 'string' ? config : undefined;
  const raw = typeof config === 'string' ? readConfigFile(config) : config;
  const c = validateWith(experimentConfigSchema, withoutDerived(raw), source);
  const geometry = datasetGeometry(c.dataset);
  const canonical = modelNames().find((m) => normalizeModelName(m) === normalizeModelName(c.model.name))!;
  const augment = c.dataset.augment ?? (c.dataset.name !== 'fashion-mnist' && c.dataset.name !== 'mnist');
  const sched = c.schedule.kind === 'cosine' ? { ...c.schedule, tMax: c.schedule.tMax ?? c.epochs } : c.schedule;
  let effective: Record<string, unknown>;
  try {
    const opt = buildOptimizer(c.optimizer);
    effective = opt.getConfig() as Record<string, unknown>;
    opt.dispose();
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
    optimizer: { ...c.optimizer, effective },
    schedule: sched,
  } as ResolvedConfig;
}

/** JSON with object keys sorted, so equal configs give equal text (and equal hashes). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Six hex digits of the SHA-256 of a resolved config, leaving out where things are (outDir, dataDir). */
export function configHash(r: ResolvedConfig): string {
  const { outDir: _o, ...rest } = r;
  const content = { ...rest, dataset: { ...r.dataset, dataDir: null }, optimizer: withoutNullClip(r.optimizer) };
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 6);
}

/**
 * Gradient clipping came after the first runs were made: an absent clip is left out of the
 * hash, so those runs keep their ids (and resume, and count as done in their sweeps).
 */
function withoutNullClip(o: ResolvedConfig['optimizer']): Record<string, unknown> {
  const { clip, effective, ...rest } = o as ResolvedConfig['optimizer'] & { clip?: unknown };
  const { clip: effClip, ...effRest } = effective as Record<string, unknown>;
  return { ...rest, ...(clip != null ? { clip } : {}), effective: effClip != null ? effective : effRest };
}

const fmtNum = (v: number): string => String(Number(v.toPrecision(4)));

/** A readable slug of the config: dataset, model, optimizer, GAF, seed. */
export function configSlug(r: ResolvedConfig): string {
  const o = r.optimizer;
  const parts = [r.dataset.name, r.model.name];
  if (o.name === 'reference') parts.push(`ref-${o.variant}`);
  else if (o.name === 'sgdAdaptiveGaf') parts.push(`sgdada-sh${fmtNum(o.options.shrink)}-g${fmtNum(o.options.gamma)}`);
  else {
    parts.push(o.name);
    if (o.gaf) parts.push(`${o.gaf.kind}-a${fmtNum(o.gaf.alpha)}-b${fmtNum(o.gaf.beta)}${o.placement === 'update' ? '-upd' : ''}`);
  }
  if (o.name !== 'reference' && o.clip) parts.push(o.clip.kind === 'value' ? `clipv${fmtNum(o.clip.value)}` : `clipn${fmtNum(o.clip.maxNorm)}`);
  parts.push(`s${r.seed}`);
  return parts.join('-');
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/**
 * The run id: a readable slug (the config's `name` if set, else {@link configSlug}) and the
 * {@link configHash}, e.g. `fashion-mnist-smallcnn-sgd-atan-a0.1-b20-s1-3f9c2a`.
 */
export function runIdOf(r: ResolvedConfig): string {
  return `${slugify(r.name ?? configSlug(r))}-${configHash(r)}`;
}

/** The folder of a run: `<outDir>/<runId>`. */
export function runDirOf(r: ResolvedConfig): string {
  return path.resolve(r.outDir, runIdOf(r));
}

/** Options of {@link referenceCifarRecipe}. */
export interface ReferenceRecipeOptions {
  dataset?: 'cifar10' | 'cifar100';
  /** Default ResNet18. */
  model?: string;
  /** Default 200, as in the reference. */
  epochs?: number;
  /** Linear warm-up per iteration over the first n epochs (default 0: none). */
  warmupEpochs?: number;
  /** GAF on the gradient (SGD_atan); null/absent: plain SGD (SGD_ori). */
  gaf?: { kind: (typeof GAF_KINDS)[number]; alpha: number; beta: number } | null;
  seed?: number;
  outDir?: string;
}

/**
 * The reference CIFAR recipe as a config: SGD with lr 0.1, momentum 0.9, weight decay 5e-4,
 * batch 256, cosine annealing per epoch with tMax = epochs, optional per-iteration warm-up,
 * random-crop + flip augmentation and per-channel normalisation.
 */
export function referenceCifarRecipe(o: ReferenceRecipeOptions = {}): ExperimentConfigInput {
  return {
    dataset: { name: o.dataset ?? 'cifar10', augment: true },
    model: { name: o.model ?? 'ResNet18' },
    optimizer: { name: 'sgd', options: { learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4 }, gaf: o.gaf ?? null, placement: 'gradient' },
    schedule: { kind: 'cosine', warmupEpochs: o.warmupEpochs ?? 0 },
    epochs: o.epochs ?? 200,
    batchSize: 256,
    seed: o.seed ?? 0,
    ...(o.outDir !== undefined ? { outDir: o.outDir } : {}),
  };
}
