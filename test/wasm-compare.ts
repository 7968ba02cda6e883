/** Shared by the wasm kernel tests: seeded inputs, the relative error, and backend switching. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveThreadCount, startWasmBackend } from '../src/backend/wasm-threads';

/** Deterministic values in [-1, 1) (mulberry32), so both backends see identical inputs. */
export function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Number of elements of a shape. */
export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** max|got - ref| / max(1, max|ref|). */
export function relErr(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  assert.equal(got.length, ref.length, 'result sizes differ');
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff / scale;
}

/**
 * Switches tfjs to `name` and waits until it is ready. wasm starts the way initBackend starts it,
 * with GAF_THREADS threads (default every core), so these tests run at the count CI sets.
 */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  const set = async (): Promise<void> => {
    assert.ok(await tf.setBackend(name), `could not set backend ${name}`);
    await tf.ready();
  };
  if (name === 'wasm') await startWasmBackend(resolveThreadCount(), set);
  else await set();
}
