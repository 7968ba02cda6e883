/**
 * A minimal WebAssembly binary encoder: just what gaf-lab's own SIMD kernels need (one
 * imported memory, functions of i32 parameters, integer and v128 locals, loops, loads,
 * stores and f32x4 arithmetic). Kernels are generated as code so that one source gives every
 * tile shape; encoding them here keeps them free of a toolchain (no wat2wasm, no C compiler)
 * and synchronous to build.
 * @module
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit values). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

const SIMD = 0xfd;

/** Instruction encoders (each returns its bytes). Offsets are in bytes; alignment hints are log2. */
export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  /** `loop` with no result; close with {@link op.end}. */
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  v128Load: (offset: number) => [SIMD, ...uleb(0x00), 2, ...uleb(offset)],
  v128Load32Splat: (offset: number) => [SIMD, ...uleb(0x09), 2, ...uleb(offset)],
  v128Store: (offset: number) => [SIMD, ...uleb(0x0b), 2, ...uleb(offset)],
  f32x4Add: [SIMD, ...uleb(0xe4)],
  f32x4Mul: [SIMD, ...uleb(0xe6)],
} as const;

/** A function body under construction, with the loop idioms the kernels share. */
export interface BodyBuilder {
  readonly bytes: number[];
  /** Appends instructions. */
  emit(...parts: (readonly number[])[]): void;
  /** local `dst` = local `a` + local `b` (i32). */
  addInto(dst: number, a: number, b: number): void;
  /** local `n` -= 1, and loop again while it is not 0: closes the innermost open loop (a do-while; counts start at 1 or more). */
  countDown(n: number): void;
}

/** A new, empty {@link BodyBuilder}. */
export function bodyBuilder(): BodyBuilder {
  const bytes: number[] = [];
  const emit = (...parts: (readonly number[])[]) => {
    for (const p of parts) bytes.push(...p);
  };
  return {
    bytes,
    emit,
    addInto: (dst, a, b) => emit(op.localGet(a), op.localGet(b), op.i32Add, op.localSet(dst)),
    countDown: (n) => emit(op.localGet(n), op.i32Const(1), op.i32Sub, op.localTee(n), op.brIf(0), op.end),
  };
}

/** Value types of locals. */
export const I32 = 0x7f;
export const V128 = 0x7b;

/** One exported function: `params` i32 parameters, extra locals by type, and its body (without the final `end`). */
export interface FunctionSpec {
  exportName: string;
  params: number;
  locals: { type: number; count: number }[];
  body: number[];
}

/**
 * A module that imports its memory as `env.memory` (shared or not, as the memory it will be
 * instantiated with) and exports `functions`, all of type (i32 x params) -> ().
 */
export function encodeModule(functions: FunctionSpec[], shared: boolean): Uint8Array {
  const arities = [...new Set(functions.map((f) => f.params))];
  const types = arities.map((n) => [0x60, ...vec(Array.from({ length: n }, () => [I32])), 0x00]);
  // A 4 GiB maximum: the memory of the wasm backend's module is declared with that ceiling.
  const limits = shared ? [0x03, ...uleb(1), ...uleb(65536)] : [0x01, ...uleb(1), ...uleb(65536)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcs = vec(functions.map((f) => uleb(arities.indexOf(f.params))));
  const exported = vec(functions.map((f, i) => [...name(f.exportName), 0x00, ...uleb(i)]));
  const code = vec(
    functions.map((f) => {
      const body = [...vec(f.locals.map((l) => [...uleb(l.count), l.type])), ...f.body, ...op.end];
      return [...uleb(body.length), ...body];
    }),
  );
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exported),
    ...section(10, code),
  ]);
}
