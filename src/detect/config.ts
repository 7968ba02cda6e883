/**
 * The detection experiment config: which VOC image sets, which detector, which optimizer (the
 * experiment config's own optimizer section, so SGD and SGD+GAF are spelled as everywhere
 * else), the schedule and the scoring; and a detection sweep (optimizers x seeds over a base).
 * @module
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { z } from 'zod';
import { VOC_CLASS_NAMES } from '../data/voc';
import { canonicalJson } from '../config/run-id';
import { validateWith } from '../config/issues';
import { optimizerSettingsSchema } from '../optim/settings';
import type { ScheduleSettings } from '../train/schedule';
import { DETECTOR_BACKBONES } from './centernet';

const posInt = () => z.number().int().positive();
const imageSet = z.object({ year: z.enum(['2007', '2012']), imageSet: z.enum(['train', 'val', 'trainval', 'test']) }).strict();

/** The zod schema of a detection experiment config. */
export const detectionConfigSchema = z
  .object({
    $schema: z.string().optional(),
    /** Names the run (with the seed and a hash of the config). */
    name: z.string().min(1),
    outDir: z.string().default('runs/detection'),
    seed: z.number().int().min(0).default(0),
    data: z
      .object({
        /** Folder holding VOCdevkit/ (null: $GAF_DATA_DIR, then <repo>/data). */
        dataDir: z.string().nullable().default(null),
        /** Image sets trained on together, e.g. VOC2007 trainval + VOC2012 trainval. */
        train: z.array(imageSet).min(1),
        /** The image set scored every evaluation. */
        test: imageSet,
        /** The detector's classes (VOC class names); default the 20 VOC classes. */
        classes: z
          .array(z.enum(VOC_CLASS_NAMES as [string, ...string[]]))
          .min(1)
          .default([...VOC_CLASS_NAMES]),
        /** Use only the first N images of the training / test sets (null: all). */
        limitTrain: posInt().nullable().default(null),
        limitTest: posInt().nullable().default(null),
        /** Decode every image once and keep it in memory (small sets); otherwise decode per batch. */
        cache: z.boolean().default(true),
      })
      .strict(),
    model: z
      .object({
        backbone: z.enum(DETECTOR_BACKBONES),
        /** Side of the square input in pixels. */
        inputSize: posInt(),
        /**
         * A tfjs layers model folder (model.json + weights) whose weights are copied into the
         * backbone layers of the same name and shape (e.g. gaf-lab's ImageNet ResNet18); null:
         * trained from scratch. The run records whether the backbone was pretrained.
         */
        backboneWeights: z.string().nullable().default(null),
      })
      .strict(),
    optimizer: optimizerSettingsSchema,
    schedule: z
      .object({
        kind: z.enum(['constant', 'cosine']),
        warmupEpochs: z.number().int().min(0).default(0),
        etaMin: z.number().min(0).default(0),
      })
      .strict()
      .default({ kind: 'constant' }),
    epochs: posInt(),
    batchSize: posInt(),
    /** Random crop, flip and photometric jitter on the training images. */
    augment: z.boolean().default(true),
    /** Score the test set every N epochs (and after the last). */
    evalEvery: posInt().default(1),
    eval: z
      .object({
        metric: z.enum(['voc07', 'voc12']).default('voc07'),
        iouThreshold: z.number().min(0).lt(1).default(0.5),
        /** Peaks kept per image, the lowest score kept and the per-class NMS IoU. */
        topK: posInt().default(100),
        minScore: z.number().min(0).lt(1).default(0.01),
        nmsIoU: z.number().gt(0).lte(1).default(0.5),
      })
      .strict()
      .default({}),
    backend: z.enum(['auto', 'wasm', 'webgpu', 'tensorflow', 'cpu']).default('auto'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.schedule.warmupEpochs > c.epochs) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['schedule', 'warmupEpochs'],
        message: `${c.schedule.warmupEpochs} is more than epochs (${c.epochs})`,
      });
    }
    if (new Set(c.data.classes).size !== c.data.classes.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['data', 'classes'], message: 'lists a class twice' });
    }
  });

/** A detection config as written (defaults may be left out). */
export type DetectionConfigInput = z.input<typeof detectionConfigSchema>;
/** A detection config with every default filled in. */
export type DetectionConfig = z.output<typeof detectionConfigSchema>;

/** Validates a detection config; a {@link ConfigError} lists every problem with its path. */
export function resolveDetectionConfig(input: unknown, source?: string): DetectionConfig {
  const { $schema: _s, ...c } = validateWith(detectionConfigSchema, input, source);
  return c;
}

/** The schedule in the form the runner's schedule code takes (cosine per iteration over the run). */
export function scheduleOf(c: DetectionConfig): ScheduleSettings {
  return c.schedule.kind === 'constant'
    ? { kind: 'constant', warmupEpochs: c.schedule.warmupEpochs }
    : { kind: 'cosine', warmupEpochs: c.schedule.warmupEpochs, tMax: c.epochs, etaMin: c.schedule.etaMin, per: 'iteration' };
}

/** `<name>-s<seed>-<hash>`: the hash covers everything that decides training (not where things are). */
export function detectionRunId(c: DetectionConfig): string {
  const { outDir: _o, ...rest } = c;
  const content = { ...rest, data: { ...c.data, dataDir: null } };
  const hash = createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 6);
  const slug = c.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  return `${slug}-s${c.seed}-${hash}`;
}

/** The run folder of a config. */
export function detectionRunDir(c: DetectionConfig): string {
  return path.resolve(c.outDir, detectionRunId(c));
}

/** A detection sweep: every optimizer (merged over the base's) with every seed. */
export const detectionSweepSchema = z
  .object({
    $schema: z.string().optional(),
    /** Tells a detection sweep from the classifier sweeps that share configs/. */
    task: z.literal('detection'),
    name: z.string().min(1),
    base: z.record(z.unknown()),
    /** Each entry names a method (the run name) and its optimizer section. */
    methods: z.array(z.object({ name: z.string().min(1), optimizer: z.record(z.unknown()) }).strict()).min(1),
    seeds: z.array(z.number().int().min(0)).min(1),
  })
  .strict();

/** A detection sweep as written. */
export type DetectionSweep = z.output<typeof detectionSweepSchema>;

/** The run configs of a sweep, each validated (methods in order, each with every seed). */
export function expandDetectionSweep(input: unknown, source?: string): DetectionConfig[] {
  const s = validateWith(detectionSweepSchema, input, source);
  return s.methods.flatMap((m) =>
    s.seeds.map((seed) =>
      resolveDetectionConfig(
        { ...s.base, name: m.name, seed, optimizer: m.optimizer },
        source ? `${source} (method ${m.name}, seed ${seed})` : undefined,
      ),
    ),
  );
}

/** What {@link reduceDetectionSweep} changes in a sweep (each field optional). */
export interface DetectionSweepReduction {
  /** Where the runs go (the base's outDir otherwise). */
  outDir?: string;
  /** Where the VOCdevkit folder is (the base's data.dataDir otherwise). */
  dataDir?: string;
  epochs?: number;
  /** Only these seeds. */
  seeds?: number[];
  /** Score every N epochs. */
  evalEvery?: number;
}

/**
 * A sweep with some settings replaced (fewer seeds or epochs, other folders), everything else
 * as written: what a notebook's smoke mode or a quick look runs. Returns the sweep as written
 * (unvalidated; {@link expandDetectionSweep} checks it).
 */
export function reduceDetectionSweep(input: unknown, r: DetectionSweepReduction): Record<string, unknown> {
  const s = input as { base?: Record<string, unknown>; seeds?: number[] };
  const base = { ...(s.base ?? {}) };
  if (r.outDir !== undefined) base.outDir = r.outDir;
  if (r.dataDir !== undefined) base.data = { ...(base.data as Record<string, unknown>), dataDir: r.dataDir };
  if (r.epochs !== undefined) base.epochs = r.epochs;
  if (r.evalEvery !== undefined) base.evalEvery = r.evalEvery;
  return { ...(input as Record<string, unknown>), base, ...(r.seeds !== undefined ? { seeds: r.seeds } : {}) };
}

/** One row per run of a sweep: run id, method, seed, detector, optimizer and schedule, for a table. */
export function describeDetectionRuns(configs: readonly DetectionConfig[]): Record<string, string | number>[] {
  return configs.map((c) => {
    const o = c.optimizer as {
      name: string;
      variant?: string;
      options: Record<string, unknown>;
      gaf?: { kind: string; alpha: number; beta: number } | null;
    };
    const gaf = o.variant ?? (o.gaf ? `${o.gaf.kind}(${o.gaf.alpha}, ${o.gaf.beta})` : 'none');
    return {
      run: detectionRunId(c),
      method: c.name,
      seed: c.seed,
      detector: `CenterNet ${c.model.backbone} @${c.model.inputSize}`,
      optimizer: `${o.name} ${gaf}, lr ${String(o.options.learningRate)}`,
      epochs: c.epochs,
      batch: c.batchSize,
    };
  });
}
