/**
 * A small seeded pseudo-random generator (mulberry32: a 32-bit state advanced by a Weyl
 * increment and scrambled by multiply-xorshift steps). Fast, good enough for shuffling and
 * augmentation, and its whole state is one number, so it can be saved and restored exactly.
 */

/** Reduces any finite integer seed to 32 bits without losing its high part. */
function seed32(seed: number, who: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new Error(`${who}: seed must be a safe integer, got ${String(seed)}.`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return hi === 0 ? lo : mixSeed(lo, hi);
}

/** The murmur3 32-bit finaliser: spreads every input bit over the whole output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Combines integers into one well-mixed 32-bit seed, e.g. `mixSeed(seed, epoch, index)`:
 * nearby inputs (epoch 1 vs 2) give unrelated outputs.
 */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = fmix32((h ^ (p >>> 0)) + 0x7f4a7c15 + Math.imul(h, 31));
    // The part above 32 bits, so that large indices do not collide.
    const hi = Math.floor(p / 4294967296) >>> 0;
    if (hi !== 0) h = fmix32(h ^ hi);
  }
  return h;
}

/** A seeded generator whose state can be saved ({@link Rng.getState}) and restored. */
export class Rng {
  private state: number;

  /** @param seed - any safe integer; the same seed always gives the same sequence. */
  constructor(seed: number) {
    this.state = seed32(seed, 'Rng');
  }

  /** Next value, uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** The whole generator state (a uint32); {@link Rng.setState} resumes from it exactly. */
  getState(): number {
    return this.state;
  }

  /** Restores a state returned by {@link Rng.getState}. */
  setState(state: number): void {
    if (!Number.isInteger(state) || state < 0 || state > 0xffffffff) {
      throw new Error(`Rng.setState: state must be a uint32 from getState(), got ${String(state)}.`);
    }
    this.state = state;
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }
}

/** `0 .. n-1` in a random order that depends only on `seed`. */
export function permutation(n: number, seed: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return new Rng(seed).shuffle(p);
}
