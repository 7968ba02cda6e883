/**
 * Learning-rate schedules. An epoch schedule maps a 0-based epoch to a learning rate (PyTorch
 * schedulers stepped once per epoch); {@link linearWarmup} scales it per iteration during the
 * first epochs, as the reference's `WarmUpLR` does.
 * @module
 */

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
 * warm-up step; afterwards `lr` unchanged. The reference's WarmUpLR gives `lr * iteration / W`
 * (its first step trains at rate 0); we start one step later so no step is wasted.
 */
export function linearWarmup(lr: number, iteration: number, warmupIterations: number): number {
  if (warmupIterations <= 0 || iteration >= warmupIterations) return lr;
  return (lr * (iteration + 1)) / warmupIterations;
}

/** Settings of a schedule as the experiment config resolves them. */
export type ScheduleSettings =
  | { kind: 'constant'; warmupEpochs: number }
  | { kind: 'cosine'; warmupEpochs: number; tMax: number; etaMin: number }
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
 * scaled by the linear warm-up over the first `warmupEpochs * batchesPerEpoch` iterations.
 */
export function learningRateAt(s: ScheduleSettings, base: number, epoch: number, batch: number, batchesPerEpoch: number): number {
  const lr = epochSchedule(s, base)(epoch);
  return linearWarmup(lr, epoch * batchesPerEpoch + batch, s.warmupEpochs * batchesPerEpoch);
}
