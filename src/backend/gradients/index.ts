/**
 * Gradient formulas that replace tfjs-core's for speed. Each is mathematically the same as
 * the one it replaces (tested against it on the cpu backend) and applies to every backend,
 * since tfjs keeps one gradient per kernel name.
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { fusedBatchNormGradConfig } from './fused-batch-norm';
import { meanGradConfig, sumGradConfig } from './reductions';
import { reluGradConfig } from './relu';

const OVERRIDES: readonly tf.GradConfig[] = [fusedBatchNormGradConfig, meanGradConfig, sumGradConfig, reluGradConfig];

/** The kernels whose gradient {@link registerFastGradients} replaces. */
export const OVERRIDDEN_GRADIENTS: readonly string[] = OVERRIDES.map((c) => c.kernelName);

/** tfjs-core's configs, remembered when first replaced. */
const originals = new Map<string, tf.GradConfig | undefined>();

/** Installs the faster gradients; returns the kernel names whose gradient this call replaced. Idempotent. */
export function registerFastGradients(): string[] {
  const changed: string[] = [];
  for (const config of OVERRIDES) {
    const current = tf.getGradient(config.kernelName);
    if (current === config) continue;
    originals.set(config.kernelName, current);
    tf.registerGradient(config);
    changed.push(config.kernelName);
  }
  return changed;
}

/** Puts tfjs-core's own gradients back; returns the kernel names restored. */
export function restoreTfjsGradients(): string[] {
  const restored: string[] = [];
  for (const config of OVERRIDES) {
    const original = originals.get(config.kernelName);
    if (original === undefined || tf.getGradient(config.kernelName) !== config) continue;
    tf.registerGradient(original);
    restored.push(config.kernelName);
  }
  return restored;
}

export { fusedBatchNormGradConfig, meanGradConfig, sumGradConfig, reluGradConfig };
export { batchNormTraining, setLeanBatchNorm, leanBatchNormOn } from './batch-norm-training';
export type { BatchNormTrainingResult } from './batch-norm-training';
