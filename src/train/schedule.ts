/**
 * Learning-rate schedules. An epoch schedule maps a 0-based epoch to a learning rate (PyTorch
 * schedulers stepped once per epoch); {@link linearWarmup} scales it per iteration during the
 * first epochs, as the reference's `WarmUpLR` does.
 * @module
 */
import type { CosineStep } from '../config/schema';

/** Learning rate of a 0-based epoch. */
export type EpochSchedule = (epoch: number) => number;

/** The same rate every epoch. */
export function constantSchedule(base: number): EpochSchedule {
  return () => base;
}

/**
 * Cosine annealing in PyTorch's closed form (CosineAnnealingLR):
 * `etaMin + (base - etaMin) * (1 + cos(pi * epoch / tMax)) / 2`. It is `base` at epoch 0,
 * the midpoint at tMax/2 and `etaMin` at tMax (the reference recipe uses tMax = epochs, so the
 * last epoch trains at a small positive rate).
 */
export function cosineSchedule(base: number, tMax: number, etaMin = 0): EpochSchedule {
  if (!(tMax > 0)) throw new Error(`cosineSchedule: tMax must be > 0, got ${tMax}.`);
  return (epoch) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
}

/**
 * Step decay (PyTorch MultiStepLR): `base * gamma^k` where k counts the milestones <= epoch,
 * so with milestones [30, 60] epochs 0..29 use base, 30..59 base*gamma, 60.. base*gamma^2.
 */
export function stepSchedule(base: number, milestones: readonly number[], gamma: number): EpochSchedule {
  return (epoch) => base * gamma ** milestones.filter((m) => m <= epoch).length;
}

/**
 * Linear warm-up per iteration: during the first `warmupIterations` optimizer steps (0-based
 * `iteration`), the rate is `lr * (iteration + 1) / warmupIterations`, reaching `lr` on the last
 * warm-up step; afterwards `lr` unchanged. This is what the authors' scripts train with: their
 * CIFAR WarmUpLR (`lr * last_epoch / W`) is stepped before each batch, so batch i runs at
 * `lr * (i + 1) / W`, and their ImageNet scheduler computes `(i + 1) / N` within the epoch.
 */
export function linearWarmup(lr: number, iteration: number, warmupIterations: number): number {
  if (warmupIterations <= 0 || iteration >= warmupIterations) return lr;
  return (lr * (iteration + 1)) / warmupIterations;
}

/**
 * Cosine annealing stepped every iteration after a linear warm-up, as the authors' ImageNet
 * script does: for a 0-based `iteration` t, with W warm-up and T total iterations,
 * - t < W: `base * (t + 1) / W` (the warm-up of {@link linearWarmup});
 * - t >= W: `etaMin + (base - etaMin) * (1 + cos(pi * (t + 1 - W) / (T - W))) / 2`.
 * The cosine starts after the warm-up (it is not scaled by it, unlike the per-epoch cosine with
 * warm-up) and reaches `etaMin` on the last iteration t = T - 1. Past T it goes on as the
 * closed form does (back up, as PyTorch's CosineAnnealingLR would).
 */
export function cosinePerIteration(
  base: number,
  totalIterations: number,
  warmupIterations: number,
  etaMin = 0,
): (iteration: number) => number {
  if (!(totalIterations >= warmupIterations)) {
    throw new Error(`cosinePerIteration: total iterations (${totalIterations}) must be >= warm-up iterations (${warmupIterations}).`);
  }
  return (t) => {
    if (t < warmupIterations) return linearWarmup(base, t, warmupIterations);
    // With no iterations left for the cosine (all warm-up), it has ended: etaMin.
    const progress = totalIterations > warmupIterations ? (t + 1 - warmupIterations) / (totalIterations - warmupIterations) : 1;
    return etaMin + ((base - etaMin) * (1 + Math.cos(Math.PI * progress))) / 2;
  };
}

/** Settings of a schedule as the experiment config resolves them. */
export type ScheduleSettings =
  | { kind: 'constant'; warmupEpochs: number }
  | {
      kind: 'cosine';
      warmupEpochs: number;
      tMax: number;
      etaMin: number;
      /** Absent or `'epoch'`: stepped per epoch; `'iteration'`: {@link cosinePerIteration}. */
      per?: CosineStep;
    }
  | { kind: 'step'; warmupEpochs: number; milestones: number[]; gamma: number };

/** The epoch schedule of resolved settings, starting from `base`. */
export function epochSchedule(s: ScheduleSettings, base: number): EpochSchedule {
  switch (s.kind) {
    case 'constant':
      return constantSchedule(base);
    case 'cosine':
      return cosineSchedule(base, s.tMax, s.etaMin);
    case 'step':
      return stepSchedule(base, s.milestones, s.gamma);
  }
}

/**
 * The learning rate of batch `batch` (0-based) of epoch `epoch` (0-based): the epoch schedule,
 * scaled by the linear warm-up over the first `warmupEpochs * batchesPerEpoch` iterations; or,
 * for a cosine with `per: 'iteration'`, {@link cosinePerIteration} over `tMax` epochs.
 */
export function learningRateAt(s: ScheduleSettings, base: number, epoch: number, batch: number, batchesPerEpoch: number): number {
  if (s.kind === 'cosine' && s.per === 'iteration') {
    return cosinePerIteration(base, s.tMax * batchesPerEpoch, s.warmupEpochs * batchesPerEpoch, s.etaMin)(epoch * batchesPerEpoch + batch);
  }
  const lr = epochSchedule(s, base)(epoch);
  return linearWarmup(lr, epoch * batchesPerEpoch + batch, s.warmupEpochs * batchesPerEpoch);
}
