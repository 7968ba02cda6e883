/**
 * The points of the live curves: each selected run's step lines (followed by byte offset, so a
 * growing file is read only where it grew) and epoch lines, thinned to a fixed number of points
 * per run so that a long run costs the browser no more than a short one.
 * @module
 */
import * as path from 'node:path';
import { readJsonLines, readStepLinesFrom, RUN_FILES, type StepLine } from '../run-format/index';

/** One point of a step curve. */
export interface StepPoint {
  step: number;
  epoch: number;
  loss: number;
  lr: number | null;
  /** Whole-network gradient norms sqrt(sum over layers of L2^2); null without gradient observation. */
  rawL2: number | null;
  actL2: number | null;
  /** Fractions enlarged / restricted over all layers (component-weighted would need sizes; this is the mean over layers). */
  enlarged: number | null;
}

/** One point of an epoch curve. */
export interface EpochPoint {
  epoch: number;
  step: number | null;
  trainLoss: number | null;
  trainTop1: number | null;
  testLoss: number | null;
  testTop1: number | null;
  lr: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function stepPoint(l: StepLine): StepPoint {
  const g = Array.isArray(l.grads) ? l.grads : [];
  const norm = (k: 'rawL2' | 'actL2'): number | null => (g.length ? Math.sqrt(g.reduce((s, x) => s + (num(x[k]) ?? 0) ** 2, 0)) : null);
  const enl = g.map((x) => num(x.enlarged)).filter((v): v is number => v !== null);
  return {
    step: l.step,
    epoch: l.epoch,
    loss: l.loss,
    lr: num(l.lr),
    rawL2: norm('rawL2'),
    actL2: norm('actL2'),
    enlarged: enl.length ? enl.reduce((a, b) => a + b, 0) / enl.length : null,
  };
}

/** Every `stride`-th point and the last one, so at most about `max` points. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const stride = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % stride === 0);
  if ((points.length - 1) % stride !== 0) out.push(points[points.length - 1]!);
  return out;
}

/** Follows the step files of the runs asked for. */
export class StepFollower {
  private readonly followed = new Map<string, { offset: number; points: StepPoint[]; used: number }>();

  /** The step points of the run in `dir` so far. */
  points(key: string, dir: string): StepPoint[] {
    let f = this.followed.get(key);
    if (!f) {
      f = { offset: 0, points: [], used: 0 };
      this.followed.set(key, f);
    }
    f.used = Date.now();
    try {
      const r = readStepLinesFrom(dir, f.offset);
      if (r.reset) f.points = [];
      for (const l of r.lines) if (typeof l.step === 'number' && typeof l.loss === 'number') f.points.push(stepPoint(l));
      f.offset = r.next;
    } catch {
      // a vanished or unreadable file: keep what was read
    }
    // Bound the memory of a long run: thin the kept points too, keeping the newest.
    if (f.points.length > 20_000) f.points = thin(f.points, 10_000);
    this.evict();
    return f.points;
  }

  /** Drops runs nobody asked about for a minute. */
  private evict(): void {
    const old = Date.now() - 60_000;
    for (const [k, f] of this.followed) if (f.used < old) this.followed.delete(k);
  }
}

/** The epoch points of the run in `dir` (an unreadable file gives none). */
export function epochPoints(dir: string): EpochPoint[] {
  try {
    return readJsonLines<Record<string, unknown>>(path.join(dir, RUN_FILES.metrics)).map((l) => ({
      epoch: Number(l.epoch),
      step: num(l.step),
      trainLoss: num(l.trainLoss),
      trainTop1: num(l.trainTop1),
      testLoss: num(l.testLoss),
      testTop1: num(l.testTop1),
      lr: num(l.lr),
    }));
  } catch {
    return [];
  }
}
