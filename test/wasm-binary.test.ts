import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeModule, I32, op, V128 } from '../src/backend/simd/wasm-binary';
import { kernelModuleBytes } from '../src/backend/simd/simd-module';

// The project compiles without the DOM library, where TypeScript declares the WebAssembly API.
interface Memory {
  buffer: ArrayBuffer;
}
interface Instance {
  exports: Record<string, unknown>;
}
const WebAssembly = (
  globalThis as unknown as {
    WebAssembly: {
      validate(bytes: Uint8Array): boolean;
      Memory: new (d: { initial: number; maximum: number; shared?: boolean }) => Memory;
      Module: { new (bytes: Uint8Array): object; imports(m: object): { module: string; name: string; kind: string }[] };
      Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => Instance;
    };
  }
).WebAssembly;

test('LEB128 immediates: the examples of the format (624485 unsigned, -123456 signed) and the one-byte edges', () => {
  assert.deepEqual(op.localGet(624485), [0x20, 0xe5, 0x8e, 0x26]);
  assert.deepEqual(op.i32Const(-123456), [0x41, 0xc0, 0xbb, 0x78]);
  assert.deepEqual(op.i32Const(63), [0x41, 0x3f]);
  assert.deepEqual(op.i32Const(64), [0x41, 0xc0, 0x00]);
  assert.deepEqual(op.i32Const(-64), [0x41, 0x40]);
  assert.deepEqual(op.i32Const(-65), [0x41, 0xbf, 0x7f]);
  assert.deepEqual(op.localSet(127), [0x21, 0x7f]);
  assert.deepEqual(op.localTee(128), [0x22, 0x80, 0x01]);
});

test('an encoded module runs: a loop of f32x4 multiply-adds with a broadcast load, checked by hand', () => {
  // f(p, n): acc = v128 at p+32; n times: acc += splat(f32 at p+16) * (v128 at p); store acc at p+48.
  const [p, n, acc] = [0, 1, 2];
  const body = [
    ...op.localGet(p),
    ...op.v128Load(32),
    ...op.localSet(acc),
    ...op.loop,
    ...op.localGet(acc),
    ...op.localGet(p),
    ...op.v128Load32Splat(16),
    ...op.localGet(p),
    ...op.v128Load(0),
    ...op.f32x4Mul,
    ...op.f32x4Add,
    ...op.localSet(acc),
    ...op.localGet(n),
    ...op.i32Const(1),
    ...op.i32Sub,
    ...op.localTee(n),
    ...op.brIf(0),
    ...op.end,
    ...op.localGet(p),
    ...op.i32Const(48),
    ...op.i32Add,
    ...op.localGet(acc),
    ...op.v128Store(0),
  ];
  const bytes = encodeModule([{ exportName: 'f', params: 2, locals: [{ type: V128, count: 1 }], body }], false);
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const f32 = new Float32Array(memory.buffer);
  f32.set([1, 2, 3, 4], 0); // v128 at 0
  f32[4] = 0.5; // the broadcast f32 at 16
  f32.set([10, 20, 30, 40], 8); // the start at 32
  (instance.exports['f'] as (p: number, n: number) => void)(0, 3);
  // 3 times + 0.5 * [1, 2, 3, 4] = [1.5, 3, 4.5, 6] on top of [10, 20, 30, 40].
  assert.deepEqual([...f32.subarray(12, 16)], [11.5, 23, 34.5, 46]);
  assert.equal(I32, 0x7f);
});

test('the kernel module validates for an unshared and a shared memory, and each imports the kind it says', () => {
  for (const shared of [false, true]) {
    const bytes = kernelModuleBytes(shared);
    assert.ok(WebAssembly.validate(bytes), `shared=${shared}`);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    assert.deepEqual(imports, [{ module: 'env', name: 'memory', kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared });
    assert.doesNotThrow(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }));
    const other = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: !shared });
    assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: other } }), /memory/i);
  }
});
