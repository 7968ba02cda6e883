/**
 * Tile (and so `tf.broadcastTo`, which runs Tile) for the wasm backend as block copies.
 *
 * tfjs-backend-wasm's Tile computes a source index per output element: 290 ms to broadcast a
 * [1, 1, 1, 32] vector to [128, 32, 32, 32]. Here the input is copied once into its place in
 * the output and then every axis, innermost first, is filled by doubling the filled part with
 * `copyWithin` (memmove speed): a handful of calls for a broadcast, whatever the output size.
 * Strings go to the original kernel.
 * @module
 */
import { KernelReplacement, WasmKernelFunc } from './replace-kernel';
import { asWasmBackend } from './wasm-backend-access';

type Typed = Float32Array | Int32Array | Uint8Array;

/** Fills [start + filled, start + total) by repeating [start, start + filled). */
function repeatBlock(dst: Typed, start: number, filled: number, total: number): void {
  let have = filled;
  while (have < total) {
    const n = Math.min(have, total - have);
    dst.copyWithin(start + have, start, start + n);
    have += n;
  }
}

/** Calls `visit(offset)` for every index tuple i < dims, offset = sum of i[k] * strides[k]. */
function forEachOffset(dims: readonly number[], strides: readonly number[], visit: (offset: number) => void): void {
  const count = dims.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(dims.length).fill(0);
  for (let n = 0; n < count; n++) {
    let off = 0;
    for (let k = 0; k < dims.length; k++) off += idx[k]! * strides[k]!;
    visit(off);
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++idx[k]! < dims[k]!) break;
      idx[k] = 0;
    }
  }
}

/** out[i] = src[i mod shape] for out of shape shape*reps (row-major). */
export function tileInto(src: Typed, shape: readonly number[], reps: readonly number[], dst: Typed): void {
  const r = shape.length;
  if (r === 0) {
    dst[0] = src[0]!;
    return;
  }
  const out = shape.map((s, d) => s * reps[d]!);
  const os = new Array<number>(r).fill(1);
  for (let d = r - 2; d >= 0; d--) os[d] = os[d + 1]! * out[d + 1]!;
  const row = shape[r - 1]!;
  // Source rows into their place (the corner of the output where every index is < shape).
  let s = 0;
  forEachOffset(shape.slice(0, r - 1), os.slice(0, r - 1), (off) => {
    dst.set(src.subarray(s, s + row), off);
    s += row;
  });
  // Then each axis, innermost first: repeat the filled part of every block along it.
  for (let d = r - 1; d >= 0; d--) {
    if (reps[d] === 1) continue;
    forEachOffset(shape.slice(0, d), os.slice(0, d), (off) => repeatBlock(dst, off, shape[d]! * os[d]!, out[d]! * os[d]!));
  }
}

/** Replacement for wasm 'Tile'. */
export const tileReplacement: KernelReplacement = {
  name: 'Tile',
  make:
    (original: WasmKernelFunc): WasmKernelFunc =>
    (args) => {
      const x = args.inputs['x'];
      const reps = (args.attrs ?? {})['reps'] as number[] | undefined;
      if (x === undefined || x.dtype === 'string' || reps === undefined || reps.length !== x.shape.length) return original(args);
      const backend = asWasmBackend('Tile', args.backend);
      const out = backend.makeOutput(
        x.shape.map((s, d) => s * reps[d]!),
        x.dtype,
      );
      if (x.shape.every((v) => v > 0) && reps.every((v) => v > 0))
        tileInto(backend.typedArrayFromHeap(x), x.shape, reps, backend.typedArrayFromHeap(out));
      return out;
    },
};
