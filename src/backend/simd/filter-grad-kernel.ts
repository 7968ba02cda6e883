/**
 * gaf-lab's own WebAssembly SIMD kernel for the filter gradient of a convolution, generated
 * for every tile shape it needs and encoded with {@link encodeModule}.
 *
 * dW[tap, ci, co] = sum over output pixels p of x[pixel of p under tap, ci] * dy[p, co]. A tile
 * keeps CB input channels x VB vectors of 4 output channels of one tap in registers and
 * streams the pixels: per pixel VB vector loads of dy, CB broadcast loads of x and CB*VB
 * multiplies and adds, no im2col and no packing. 4 x 2 (8 accumulators) is the main tile: 12
 * accumulators spill on V8's x64 register allocator (measured: 6 G multiply-adds/s against 24).
 *
 * Each tile accumulates its pixels in one fixed order (images, rows, columns) and a call only
 * continues the sums the previous call stored, so the result does not depend on how calls are
 * split into image chunks or spread over threads.
 * @module
 */
import { bodyBuilder, FunctionSpec, I32, op, V128 } from './wasm-binary';

/** Input channels per tile (broadcast loads of x): 4 and the remainders 1-3. */
export const TILE_CI = [4, 3, 2, 1] as const;
/** Vectors of 4 output channels per tile: 2 and the remainder 1. */
export const TILE_CO_VECTORS = [2, 1] as const;

/** Export name of the tile function for `ci` input channels and `coVectors` vectors. */
export function tileFunctionName(ci: number, coVectors: number): string {
  return `k${ci}x${coVectors}`;
}

/**
 * The parameters of every tile function, in order; all are i32, addresses and strides in bytes.
 * A call covers nCiB x nCoB tiles (ci blocks of CB channels, co blocks of 4*VB channels) and,
 * for each, nImg images x nRows rows x nCols pixels; every count must be at least 1.
 */
export const TILE_PARAMS = [
  'x',
  'dy',
  'out',
  'nCiB',
  'nCoB',
  'nImg',
  'xImg',
  'dyImg',
  'nRows',
  'xRow',
  'dyRow',
  'nCols',
  'xCol',
  'dyCol',
  'outCi',
] as const;

const P = Object.fromEntries(TILE_PARAMS.map((n, i) => [n, i])) as Record<(typeof TILE_PARAMS)[number], number>;

function tileFunction(CB: number, VB: number): FunctionSpec {
  const names = ['cb', 'ob', 'xCb', 'oCb', 'dyOb', 'oOb', 'i', 'xi', 'di', 'r', 'xr', 'dr', 'c', 'xp', 'dp'] as const;
  const L = Object.fromEntries(names.map((n, i) => [n, TILE_PARAMS.length + i])) as Record<(typeof names)[number], number>;
  const v0 = TILE_PARAMS.length + names.length;
  const acc = (j: number, v: number) => v0 + j * VB + v;
  const d = (v: number) => v0 + CB * VB + v;
  const s = v0 + CB * VB + VB;
  const get = op.localGet;
  const set = op.localSet;
  const { bytes: b, emit, addInto, countDown } = bodyBuilder();
  /** The address of accumulator (j, v) in dW: oOb + j * outCi, offset 16 v. */
  const accAddress = (j: number) => [...get(L.oOb), ...get(P.outCi), ...op.i32Const(j), ...op.i32Mul, ...op.i32Add];

  emit(get(P.x), set(L.xCb), get(P.out), set(L.oCb), get(P.nCiB), set(L.cb), op.loop);
  emit(get(P.dy), set(L.dyOb), get(L.oCb), set(L.oOb), get(P.nCoB), set(L.ob), op.loop);
  for (let j = 0; j < CB; j++) for (let v = 0; v < VB; v++) emit(accAddress(j), op.v128Load(16 * v), set(acc(j, v)));
  emit(get(L.xCb), set(L.xi), get(L.dyOb), set(L.di), get(P.nImg), set(L.i), op.loop);
  emit(get(L.xi), set(L.xr), get(L.di), set(L.dr), get(P.nRows), set(L.r), op.loop);
  emit(get(L.xr), set(L.xp), get(L.dr), set(L.dp), get(P.nCols), set(L.c), op.loop);
  for (let v = 0; v < VB; v++) emit(get(L.dp), op.v128Load(16 * v), set(d(v)));
  for (let j = 0; j < CB; j++) {
    emit(get(L.xp), op.v128Load32Splat(4 * j), set(s));
    for (let v = 0; v < VB; v++) emit(get(acc(j, v)), get(s), get(d(v)), op.f32x4Mul, op.f32x4Add, set(acc(j, v)));
  }
  addInto(L.xp, L.xp, P.xCol);
  addInto(L.dp, L.dp, P.dyCol);
  countDown(L.c);
  addInto(L.xr, L.xr, P.xRow);
  addInto(L.dr, L.dr, P.dyRow);
  countDown(L.r);
  addInto(L.xi, L.xi, P.xImg);
  addInto(L.di, L.di, P.dyImg);
  countDown(L.i);
  for (let j = 0; j < CB; j++) for (let v = 0; v < VB; v++) emit(accAddress(j), get(acc(j, v)), op.v128Store(16 * v));
  emit(get(L.dyOb), op.i32Const(16 * VB), op.i32Add, set(L.dyOb));
  emit(get(L.oOb), op.i32Const(16 * VB), op.i32Add, set(L.oOb));
  countDown(L.ob);
  emit(get(L.xCb), op.i32Const(4 * CB), op.i32Add, set(L.xCb));
  emit(get(L.oCb), get(P.outCi), op.i32Const(CB), op.i32Mul, op.i32Add, set(L.oCb));
  countDown(L.cb);
  return {
    exportName: tileFunctionName(CB, VB),
    params: TILE_PARAMS.length,
    locals: [
      { type: I32, count: names.length },
      { type: V128, count: CB * VB + VB + 1 },
    ],
    body: b,
  };
}

/** Every tile function of the filter gradient: input channels 4 and the remainders 1-3, x output vectors 2 and 1. */
export function filterGradFunctions(): FunctionSpec[] {
  return TILE_CI.flatMap((ci) => TILE_CO_VECTORS.map((vb) => tileFunction(ci, vb)));
}
