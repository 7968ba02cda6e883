/** Reading files that may or may not be gzip-compressed (decided by content, not by name). */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { DataFormatError, bytes } from './errors';

/** True when `data` starts with the gzip magic bytes 0x1f 0x8b. */
export function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/**
 * Gunzips `data` when it is gzip-compressed, else returns it unchanged. A damaged or cut-off
 * gzip stream becomes a {@link DataFormatError} naming `file` and its compressed size.
 */
export function gunzipIfNeeded(data: Uint8Array, file: string): Uint8Array {
  if (!isGzip(data)) return data;
  try {
    return zlib.gunzipSync(data);
  } catch (e) {
    throw new DataFormatError(
      file,
      `gzip data is truncated or corrupted (${bytes(data.length)} compressed): ` +
        `${(e as Error).message}. Delete the file and download it again.`,
    );
  }
}

/** Reads a whole file, gunzipping it when its content is gzip. */
export function readMaybeGzip(file: string): Uint8Array {
  return gunzipIfNeeded(fs.readFileSync(file), file);
}
