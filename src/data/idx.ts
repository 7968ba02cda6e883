/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
 * a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
 * big-endian uint32 per dimension, then the values in row-major order, big-endian.
 */
import { DataFormatError, bytes } from './errors';
import { readMaybeGzip } from './gzip';

/** Magic number of an IDX file of unsigned bytes with 3 dimensions (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an IDX file of unsigned bytes with 1 dimension (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/** Element types of the IDX format, by type code. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

const TYPES: Record<number, { type: IdxType; size: number }> = {
  0x08: { type: 'uint8', size: 1 },
  0x09: { type: 'int8', size: 1 },
  0x0b: { type: 'int16', size: 2 },
  0x0c: { type: 'int32', size: 4 },
  0x0d: { type: 'float32', size: 4 },
  0x0e: { type: 'float64', size: 8 },
};

/** A parsed IDX file. */
export interface IdxArray {
  /** Element type. */
  type: IdxType;
  /** The magic number as read (e.g. 0x00000803). */
  magic: number;
  /** Dimensions, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** The values in row-major order (converted from big-endian where the type is wider than a byte). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const hex = (m: number): string => `0x${m.toString(16).padStart(8, '0')}`;

function describeMagic(m: number): string {
  const t = TYPES[(m >>> 8) & 0xff];
  return t ? `${hex(m)} (${t.type}, ${m & 0xff}-D)` : hex(m);
}

/**
 * Parses IDX bytes (already decompressed). Checks the magic number (against `expectMagic`
 * when given), the header and that the byte count equals the size the header implies.
 * @param file - the file name, used in error messages.
 */
export function parseIdx(data: Uint8Array, file: string, expectMagic?: number): IdxArray {
  if (data.length < 4) {
    throw new DataFormatError(file, `too short for an IDX file: ${bytes(data.length)} (the header alone needs at least 4).`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = view.getUint32(0, false);
  const typeInfo = TYPES[data[2]];
  if (data[0] !== 0 || data[1] !== 0 || typeInfo === undefined || data[3] === 0) {
    const text = Buffer.from(data.subarray(0, 16)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    throw new DataFormatError(
      file,
      `not an IDX file: magic number ${hex(magic)} (first bytes "${text}")` +
        (expectMagic !== undefined ? `, expected ${describeMagic(expectMagic)}` : '') +
        '. The file may be an HTML error page or a different format; download it again.',
    );
  }
  if (expectMagic !== undefined && magic !== expectMagic) {
    throw new DataFormatError(
      file,
      `magic number ${describeMagic(magic)} but expected ${describeMagic(expectMagic)}. ` +
        'Are the images and labels files swapped?',
    );
  }
  const ndims = data[3];
  const headerBytes = 4 + 4 * ndims;
  if (data.length < headerBytes) {
    throw new DataFormatError(
      file,
      `truncated header: ${ndims} dimensions need ${bytes(headerBytes)}, the file has ${bytes(data.length)}.`,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const expected = headerBytes + count * typeInfo.size;
  if (data.length !== expected) {
    throw new DataFormatError(
      file,
      `size mismatch: the header says ${dims.join('x')} ${typeInfo.type} = ${bytes(expected)} in total, ` +
        `but the ${data.length < expected ? 'file is truncated at' : 'file has'} ${bytes(data.length)}` +
        ' (uncompressed). Download it again.',
    );
  }
  return { type: typeInfo.type, magic, dims, data: readValues(data, view, headerBytes, count, typeInfo.type) };
}

function readValues(data: Uint8Array, view: DataView, offset: number, n: number, type: IdxType): IdxArray['data'] {
  switch (type) {
    case 'uint8':
      return data.subarray(offset, offset + n);
    case 'int8':
      return new Int8Array(data.buffer, data.byteOffset + offset, n);
    case 'int16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Reads and parses an IDX file, gzipped (detected by content) or raw. See {@link parseIdx}. */
export function readIdxFile(file: string, expectMagic?: number): IdxArray {
  return parseIdx(readMaybeGzip(file), file, expectMagic);
}
