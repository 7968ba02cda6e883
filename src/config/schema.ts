/**
 * The experiment config's schema: what a config file may say, with every default. The
 * optimizer section is the optimizer layer's own schema. The fields are described in
 * docs/run-format.md.
 * @module
 */
import { z } from 'zod';
import { INIT_MODES } from '../models/layers';
import { modelNames, normalizeModelName, closestModelName } from '../models/registry';
import { optimizerSettingsSchema } from '../optim/settings';

/** Datasets an experiment can train on. */
export const DATASET_NAMES = ['fashion-mnist', 'mnist', 'cifar10', 'cifar100', 'imagenet'] as const;
/** Backends a config can ask for; `auto` lets `initBackend` choose (GAF_BACKEND still applies). */
export const CONFIG_BACKENDS = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

const num = () => z.number().finite();
const posInt = () => z.number().int().positive();

const subset = z
  .object({ first: posInt().nullable().default(null), perClass: posInt().nullable().default(null) })
  .strict()
  .refine((s) => s.first === null || s.perClass === null, {
    message: 'give either first (the first n images) or perClass (n random images of every class), not both',
  });

/** A [lo, hi] range with 0 < lo <= hi <= max. */
const cropRange = (max: number) =>
  z
    .tuple([num().positive(), num().positive()])
    .refine(([lo, hi]) => lo <= hi && hi <= max, { message: `must be [lo, hi] with 0 < lo <= hi${max < Infinity ? ` <= ${max}` : ''}` });

const dataset = z
  .object({
    name: z.enum(DATASET_NAMES),
    /** Training subset; null: the whole training split. */
    subset: subset.nullable().default(null),
    /** Test subset; null: the whole test split. */
    testSubset: subset.nullable().default(null),
    /**
     * A validation set carved out of the training subset (`perClass` images of every class, the
     * same images for every seed and method), evaluated every epoch as `valLoss`/`valTop1`: what
     * a learning rate or other setting is chosen on, so the test split is never used for
     * choosing. null: no validation set, the whole training subset trains.
     */
    validation: z.object({ perClass: posInt() }).strict().nullable().default(null),
    /** Where the files are; null: the loaders' default search ($GAF_DATA_DIR, <repo>/data, system folders). */
    dataDir: z.string().min(1).nullable().default(null),
    /** Training augmentation; null: on for cifar10/cifar100/imagenet, off (and unavailable) for MNIST-like sets. */
    augment: z.boolean().nullable().default(null),
    /** ImageNet only: side of the square crops (default 224). */
    imageSize: posInt().nullable().default(null),
    /**
     * ImageNet only: the ranges of the training crop, as torchvision's RandomResizedCrop(scale,
     * ratio): area fraction `scale` and aspect ratio width/height `ratio`. Left out: the
     * loader's defaults, torchvision's [0.08, 1] and [3/4, 4/3].
     */
    randomResizedCrop: z
      .object({ scale: cropRange(1), ratio: cropRange(Infinity) })
      .strict()
      .optional(),
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
        init: z.enum(INIT_MODES).default('pytorch'),
        /** null: from the dataset. */
        numClasses: posInt().nullable().default(null),
        /** [height, width, channels]; null: from the dataset. */
        inputShape: z.tuple([posInt(), posInt(), posInt()]).nullable().default(null),
      })
      .strict()
      .default({}),
  })
  .strict();

/** How often a cosine schedule moves: once per epoch (PyTorch's CosineAnnealingLR) or every iteration. */
export const COSINE_STEPS = ['epoch', 'iteration'] as const;
/** One of {@link COSINE_STEPS}. */
export type CosineStep = (typeof COSINE_STEPS)[number];

const schedule = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), warmupEpochs: z.number().int().min(0).default(0) }).strict(),
  z
    .object({
      kind: z.literal('cosine'),
      warmupEpochs: z.number().int().min(0).default(0),
      /** Epochs of the half cosine period; null: the run's epochs (the reference recipe). */
      tMax: posInt().nullable().default(null),
      etaMin: num().min(0).default(0),
      /**
       * Left out or `epoch`: stepped once per epoch, warm-up scaling it per iteration. `iteration`:
       * stepped every iteration, the cosine starting after the warm-up and reaching etaMin on the
       * last iteration of tMax (the authors' ImageNet schedule).
       */
      per: z.enum(COSINE_STEPS).optional(),
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

const gradStats = z.object({ every: posInt().default(1), tinyThreshold: num().positive().default(1e-3) }).strict();

/** The zod schema of an experiment config (the input form; see {@link parseConfig}). */
export const experimentConfigSchema = z
  .object({
    /** The JSON Schema an editor checks the file against; ignored by gaf-lab. */
    $schema: z.string().optional(),
    /** Free label; also the start of the run id (default: a slug of the config). */
    name: z.string().min(1).nullable().default(null),
    dataset,
    model,
    optimizer: optimizerSettingsSchema,
    schedule: schedule.default({ kind: 'constant' }),
    epochs: posInt(),
    batchSize: posInt(),
    /** Batch size of evaluation (does not change the numbers, only speed and memory). */
    evalBatchSize: posInt().default(256),
    /** Seeds the weight initialisation and the data order (and augmentation). */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(0),
    /** Evaluate on the test set every n epochs (and always after the last). */
    evalEvery: posInt().default(1),
    /** Gradient statistics to gradstats.jsonl every n optimizer steps; null: none. */
    gradStats: gradStats.nullable().default(null),
    /**
     * A line of steps.jsonl every n optimizer steps (loss, learning rate, step time, and with
     * gradStats the per-layer gradient norms); null: none. Observed only: not part of the run id.
     */
    stepMetrics: z
      .object({ every: posInt().default(10) })
      .strict()
      .nullable()
      .default({ every: 10 }),
    backend: z.enum(CONFIG_BACKENDS).default('auto'),
    /**
     * Threads the wasm backend trains with; absent: GAF_THREADS, else every core. Results do not
     * depend on it (bit-identical), so it is not part of the run id.
     */
    threads: posInt().optional(),
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
    if (c.dataset.name !== 'imagenet' && c.dataset.randomResizedCrop !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['dataset', 'randomResizedCrop'],
        message: 'only ImageNet trains on random resized crops; leave it out',
      });
    }
    if (c.dataset.name !== 'imagenet' && c.dataset.imageSize !== null) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['dataset', 'imageSize'],
        message: 'only ImageNet has a choosable image size; leave it out',
      });
    }
    if (c.schedule.warmupEpochs > c.epochs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['schedule', 'warmupEpochs'],
        message: `${c.schedule.warmupEpochs} is more than epochs (${c.epochs}); allowed: 0..${c.epochs}`,
      });
    }
    if (c.schedule.kind === 'cosine' && c.schedule.per === 'iteration' && (c.schedule.tMax ?? c.epochs) < c.schedule.warmupEpochs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['schedule', 'tMax'],
        message: `a per-iteration cosine starts after the warm-up: tMax (${c.schedule.tMax}) must be >= warmupEpochs (${c.schedule.warmupEpochs})`,
      });
    }
    if (c.schedule.kind === 'step') {
      const m = c.schedule.milestones;
      if (m.some((v, i) => i > 0 && v <= m[i - 1]!)) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['schedule', 'milestones'],
          message: `must be strictly increasing epoch numbers, got ${JSON.stringify(m)}`,
        });
      }
    }
  });

/** An experiment config as written by hand (optional fields may be left out). */
export type ExperimentConfigInput = z.input<typeof experimentConfigSchema>;
/** An experiment config after validation: every default filled in (and `$schema` dropped). */
export type ExperimentConfig = Omit<z.output<typeof experimentConfigSchema>, '$schema'>;
