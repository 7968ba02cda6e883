/**
 * TensorBoard event files from run folders, so runs can be opened in a TensorBoard elsewhere
 * (tfjs's own summary writer exists only in tfjs-node). One folder per run under the output
 * folder, holding one `events.out.tfevents.<seconds>.<host>` file: the step lines of
 * `steps.jsonl` as scalars at their optimizer step (`step/loss`, `step/lr`, `step/stepMs`,
 * `step/imagesPerSec`, and per layer `grad/rawL2/<variable>`, `grad/actL2/...`,
 * `grad/enlarged/...`, `grad/restricted/...`), and the epoch lines of `metrics.jsonl` at the
 * step the epoch ended (`epoch/testTop1`, `epoch/trainLoss`, ...).
 *
 * The file format: TFRecord records (uint64 length, masked CRC-32C of the length, the bytes,
 * masked CRC-32C of the bytes; little-endian) each holding a `tensorflow.Event` protobuf:
 * wall_time (field 1, double), step (2, int64), file_version (3, string, first record only) or
 * summary (5: repeated Summary.Value (1) of tag (1, string) and simple_value (2, float)).
 * @module
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRunDirs, makeDirs, readJsonLines, readManifest, readStepLines, RUN_FILES, writeFileAtomic } from '../run-format/index';

const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1; // Castagnoli polynomial, reflected
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `bytes`, as TFRecord uses it. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC32C_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant, so CRCs of CRCs do not look like data. */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const out = Buffer.alloc(8 + 4 + data.length + 4);
  len.copy(out, 0);
  out.writeUInt32LE(maskedCrc32c(len), 8);
  Buffer.from(data.buffer, data.byteOffset, data.length).copy(out, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** The protobuf pieces an Event needs: varints, tags, and length-delimited, 64-bit and 32-bit fields. */
class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(v: bigint): void {
    const bytes: number[] = [];
    let x = BigInt.asUintN(64, v);
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      bytes.push(b);
    } while (x > 0n);
    this.parts.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  int64(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(BigInt(Math.trunc(v)));
    return this;
  }

  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
    return this;
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }

  bytes(field: number, v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.parts.push(b);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One scalar of an event: its tag and value. */
export interface Scalar {
  tag: string;
  value: number;
}

/** The bytes of an Event with wall time (seconds), step and scalars (non-finite values are left out). */
export function scalarEvent(wallTime: number, step: number, scalars: readonly Scalar[]): Buffer {
  const summary = new ProtoWriter();
  for (const s of scalars) {
    if (Number.isFinite(s.value)) summary.bytes(1, new ProtoWriter().bytes(1, s.tag).float(2, s.value).finish());
  }
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}

/** The first Event of every file: the format version TensorBoard checks. */
function versionEvent(wallTime: number): Buffer {
  return new ProtoWriter().double(1, wallTime).int64(2, 0).bytes(3, 'brain.Event:2').finish();
}

const EPOCH_SCALARS = ['trainLoss', 'trainTop1', 'trainTop5', 'testLoss', 'testTop1', 'testTop5', 'valLoss', 'valTop1', 'lr'] as const;

/** What {@link exportTensorBoard} wrote. */
export interface TensorBoardExport {
  /** Event files written, one per run. */
  files: string[];
  /** Events (records after the version record) written over all files. */
  events: number;
}

/** The events of one run folder, in step order. */
function runEvents(runDir: string): { wallTime: number; step: number; scalars: Scalar[] }[] {
  const m = readManifest(runDir);
  const started = Date.parse(m.startedAt) / 1000;
  const events: { wallTime: number; step: number; scalars: Scalar[] }[] = [];
  for (const l of readStepLines(runDir)) {
    const scalars: Scalar[] = [
      { tag: 'step/loss', value: l.loss },
      { tag: 'step/stepMs', value: l.stepMs },
      { tag: 'step/imagesPerSec', value: l.imagesPerSec },
    ];
    if (l.lr !== null) scalars.push({ tag: 'step/lr', value: l.lr });
    for (const g of l.grads ?? []) {
      scalars.push({ tag: `grad/rawL2/${g.variable}`, value: g.rawL2 }, { tag: `grad/actL2/${g.variable}`, value: g.actL2 });
      if (g.enlarged !== null) scalars.push({ tag: `grad/enlarged/${g.variable}`, value: g.enlarged });
      if (g.restricted !== null) scalars.push({ tag: `grad/restricted/${g.variable}`, value: g.restricted });
    }
    events.push({ wallTime: l.time / 1000, step: l.step, scalars });
  }
  let elapsed = 0;
  for (const e of readJsonLines<Record<string, unknown>>(path.join(runDir, RUN_FILES.metrics))) {
    elapsed += typeof e.epochSeconds === 'number' ? e.epochSeconds : 0;
    const scalars = EPOCH_SCALARS.filter((k) => typeof e[k] === 'number').map((k) => ({ tag: `epoch/${k}`, value: e[k] as number }));
    // The epoch line has no clock time of its own: the run's start plus the epochs' durations.
    if (scalars.length) events.push({ wallTime: started + elapsed, step: Number(e.step), scalars });
  }
  return events.sort((a, b) => a.step - b.step);
}

/**
 * Writes one TensorBoard event file per run found under `dirs` (run or sweep folders) into
 * `<outDir>/<run folder relative to its DIR>/`; `tensorboard --logdir OUT` shows them as runs.
 * Each file is written whole and atomically, so exporting again replaces it.
 */
export function exportTensorBoard(dirs: readonly string[], outDir: string): TensorBoardExport {
  const files: string[] = [];
  let events = 0;
  const now = Date.now() / 1000;
  for (const dir of dirs) {
    const label = dirs.length > 1 ? path.basename(path.resolve(dir)) : '';
    for (const runDir of findRunDirs(dir)) {
      const evs = runEvents(runDir);
      const rel = path.relative(dir, runDir) || path.basename(path.resolve(runDir));
      const target = path.join(outDir, label, rel);
      makeDirs(target);
      for (const f of fs.readdirSync(target)) if (f.startsWith('events.out.tfevents.')) fs.rmSync(path.join(target, f));
      const records = [
        tfRecord(versionEvent(evs[0]?.wallTime ?? now)),
        ...evs.map((e) => tfRecord(scalarEvent(e.wallTime, e.step, e.scalars))),
      ];
      const file = path.join(target, `events.out.tfevents.${Math.floor(evs[0]?.wallTime ?? now)}.${os.hostname()}`);
      writeFileAtomic(file, Buffer.concat(records));
      files.push(file);
      events += evs.length;
    }
  }
  return { files, events };
}
