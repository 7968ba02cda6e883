/**
 * Builders for tiny dataset files in the exact official formats, used by the data-*.test.ts
 * files. They are written from the format descriptions, independently of the loaders.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder; removed by the returned cleanup function. */
export function tempDir(prefix = 'gaf-data-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * An IDX file: bytes 0,1 = 0; byte 2 = type code (0x08 ubyte); byte 3 = number of dims;
 * then each dim as a big-endian uint32; then the data.
 */
export function idxBytes(dims: number[], data: Uint8Array, typeCode = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Writes `data` to `dir/name` (creating folders) and returns the path. */
export function writeFile(dir: string, name: string, data: Uint8Array | string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
  return p;
}

/**
 * One CIFAR binary record: the label bytes, then 3072 pixel bytes, planar: 1024 red, 1024
 * green, 1024 blue, each 32x32 row-major. `pixel(c, y, x)` gives the byte.
 */
export function cifarRecord(labels: number[], pixel: (c: number, y: number, x: number) => number): Buffer {
  const b = Buffer.alloc(labels.length + 3072);
  labels.forEach((l, i) => (b[i] = l));
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) b[labels.length + c * 1024 + y * 32 + x] = pixel(c, y, x);
    }
  }
  return b;
}

/** The pixel pattern used by the CIFAR tests: distinct per record, channel, row and column. */
export function cifarPixel(record: number): (c: number, y: number, x: number) => number {
  return (c, y, x) => (record * 37 + c * 85 + y * 7 + x * 3) % 256;
}
