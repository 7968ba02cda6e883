/**
 * A minimal reader of tar archives (POSIX ustar, with the GNU long-name and pax path
 * extensions), enough to read the official CIFAR archives without extracting them.
 *
 * Layout: a sequence of 512-byte headers, each followed by the member's data padded to a
 * multiple of 512 bytes; two zero blocks end the archive. Header fields are NUL-terminated
 * ASCII; numbers are octal (or base-256 for huge sizes).
 */
import { DataFormatError, bytes } from './errors';

/** One member of a tar archive. */
export interface TarEntry {
  /** Path inside the archive, `/`-separated, without a leading `./`. */
  name: string;
  /** `file`, `directory`, or `other` (links, devices...). */
  type: 'file' | 'directory' | 'other';
  /** The member's bytes (a view into the archive, not a copy). */
  data: Uint8Array;
}

const BLOCK = 512;

function field(h: Uint8Array, start: number, len: number): string {
  let end = start;
  while (end < start + len && h[end] !== 0) end++;
  return Buffer.from(h.subarray(start, end)).toString('utf8');
}

function octal(h: Uint8Array, start: number, len: number, archive: string, at: number, what: string): number {
  if (h[start] & 0x80) {
    // GNU base-256: big-endian two's complement in the remaining bytes.
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + h[i];
    return v;
  }
  const s = field(h, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) {
    throw new DataFormatError(archive, `not a valid tar archive: bad ${what} field "${s}" in the header at byte ${at}.`);
  }
  return parseInt(s, 8);
}

/** Parses pax extended-header records (`<len> <key>=<value>\n`). */
function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  const text = Buffer.from(data).toString('utf8');
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    if (sp < 0) break;
    const len = parseInt(text.slice(i, sp), 10);
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

/**
 * Lists the members of an (uncompressed) tar archive. Checks each header's checksum and that
 * no member runs past the end; errors name `archive` and the byte offset.
 */
export function readTar(tar: Uint8Array, archive: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (pos + BLOCK <= tar.length) {
    const h = tar.subarray(pos, pos + BLOCK);
    if (h.every((b) => b === 0)) return entries; // end-of-archive marker
    const stored = octal(h, 148, 8, archive, pos, 'checksum');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    if (sum !== stored) {
      throw new DataFormatError(
        archive,
        `not a valid tar archive (or corrupted): header checksum mismatch at byte ${pos} ` +
          `(stored ${stored}, computed ${sum}).`,
      );
    }
    const size = octal(h, 124, 12, archive, pos, 'size');
    const typeflag = String.fromCharCode(h[156] || 0x30);
    const dataStart = pos + BLOCK;
    if (dataStart + size > tar.length) {
      throw new DataFormatError(
        archive,
        `truncated tar archive: member "${field(h, 0, 100)}" at byte ${pos} needs ${bytes(size)} of data, ` +
          `only ${bytes(tar.length - dataStart)} remain. Download the archive again.`,
      );
    }
    const data = tar.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    if (typeflag === 'x') {
      paxPath = paxRecords(data).get('path');
      continue;
    }
    if (typeflag === 'g') continue; // global pax header: nothing we need
    const magic = field(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(h, 345, 155) : '';
    let name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    longName = paxPath = undefined;
    name = name.replace(/^(\.\/)+/, '');
    const type = typeflag === '0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : 'other';
    entries.push({ name: type === 'directory' ? name.replace(/\/+$/, '') : name, type, data });
  }
  if (pos < tar.length) {
    throw new DataFormatError(
      archive,
      `truncated tar archive: its ${bytes(tar.length)} end inside a header at byte ${pos}. Download the archive again.`,
    );
  }
  if (entries.length === 0) throw new DataFormatError(archive, `empty tar archive (${bytes(tar.length)}).`);
  // Missing end-of-archive blocks: tolerated (some writers omit them), every member was complete.
  return entries;
}
