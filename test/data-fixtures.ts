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

// The CIFAR record writer moved to src/data/synthetic.ts (the notebooks' smoke mode writes
// synthetic CIFAR with it); the tests keep importing it from here.
export { cifarRecord, cifarPixel } from '../src/data/synthetic';
