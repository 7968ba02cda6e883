/** The run that the resume and recovery tests interrupt, damage and compare. */
import type { ExperimentConfigInput } from '../src/config/index';
import type { EpochMetrics } from '../src/run-format/index';

/**
 * 192 training images in 6 batches of 32: epochs long enough to kill one in the middle, short
 * enough for a whole file of such runs to take about half a minute. Warm-up, cosine, momentum,
 * weight decay, a GAF and gradient statistics: every piece of state a resume must restore.
 */
export const resumeConfig = (outDir: string): ExperimentConfigInput => ({
  dataset: { name: 'fashion-mnist', subset: { first: 192 }, testSubset: { first: 96 } },
  model: { name: 'smallcnn' },
  optimizer: {
    name: 'sgd',
    options: { learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4 },
    gaf: { kind: 'atan', alpha: 0.1, beta: 20 },
  },
  schedule: { kind: 'cosine', warmupEpochs: 1 },
  epochs: 3,
  batchSize: 32,
  seed: 7,
  gradStats: { every: 5 },
  backend: 'wasm',
  outDir,
});

/** The numbers of a metrics line (wall times left out: they differ between any two runs). */
export function metricNumbers(m: EpochMetrics): Omit<EpochMetrics, 'epochSeconds' | 'imagesPerSecond'> {
  const { epochSeconds: _s, imagesPerSecond: _i, ...rest } = m;
  return rest;
}
