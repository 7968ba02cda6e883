/** Both backends of the webgpu tests in one process, and comparisons between their numbers. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/init';

/**
 * Starts wasm and webgpu (the software adapter in CI), leaving webgpu active; `tf.setBackend`
 * then switches between them. tfjs-backend-webgpu runs ops on small tensors that are still in
 * CPU memory on its cpu backend instead (WEBGPU_CPU_FORWARD); switched off here so that what
 * is compared is what the GPU computes.
 */
export async function startWasmAndWebGpu(): Promise<void> {
  await initBackend('wasm');
  const r = await initBackend('webgpu');
  assert.equal(r.backend, 'webgpu', 'initBackend("webgpu") failed: mesa-vulkan-drivers 25 (bookworm-backports) and libvulkan1 are needed');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}

/** Runs `fn` with `backend` active; tensors it creates live on that backend. */
export async function on<T>(backend: 'wasm' | 'webgpu', fn: () => Promise<T>): Promise<T> {
  assert.ok(await tf.setBackend(backend), `tf.setBackend('${backend}') failed`);
  return fn();
}

/** max |a - b| / max |b|: the error of `a` relative to the size of the reference `b`. */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length');
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? err : err / scale;
}
