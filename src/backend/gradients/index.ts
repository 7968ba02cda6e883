/**
 * Gradient formulas that replace tfjs-core's for speed. Each is mathematically the same as
 * the one it replaces (tested against it on the cpu backend) and applies to every backend,
 * since tfjs keeps one gradient per kernel name.
 * @module
 */
import { overrideFusedBatchNormGradient, restoreFusedBatchNormGradient } from './fused-batch-norm';

/** Installs the faster gradients; returns the kernel names whose gradient this call replaced. Idempotent. */
export function registerFastGradients(): string[] {
  return overrideFusedBatchNormGradient() ? ['FusedBatchNorm'] : [];
}

/** Puts tfjs-core's own gradients back; returns the kernel names restored. */
export function restoreTfjsGradients(): string[] {
  return restoreFusedBatchNormGradient() ? ['FusedBatchNorm'] : [];
}

export { fusedBatchNormGradConfig } from './fused-batch-norm';
