/**
 * TensorBoard export: the CRC against the published CRC-32C check value, and the event files
 * read back by a reader written here from the format's description (TFRecord framing with
 * masked CRCs, then a generic protobuf decode of Event / Summary / Value), independent of the
 * writer's code (a bitwise CRC instead of the writer's table, its own varint decoding).
 * Python's tensorboard package is not installed on these machines, so it is not used.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32c, exportTensorBoard, maskedCrc32c } from '../src/results/export-tensorboard';
import type { StepLine } from '../src/run-format/index';
import { tempDir, writeRun } from './results-fixtures';

const root = tempDir('tb');
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78), no table. */
function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number): number => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;

test('CRC-32C: the check value crc32c("123456789") = 0xE3069283, and the mask of the TFRecord format', () => {
  const nine = Buffer.from('123456789', 'ascii');
  assert.equal(crc32c(nine), 0xe3069283);
  assert.equal(crcBitwise(nine), 0xe3069283, 'the test reader CRC agrees with the published value too');
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 256));
  assert.equal(crc32c(data), crcBitwise(data));
  assert.equal(maskedCrc32c(data), mask(crcBitwise(data)));
  assert.equal(crc32c(new Uint8Array(0)), 0);
});

/** A protobuf field as the generic decoder sees it. */
type Field = { field: number; wire: number; value: bigint | Buffer };

function decodeProto(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let shift = 0n;
    let v = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 1) out.push({ field, wire, value: buf.subarray(i, (i += 8)) });
    else if (wire === 5) out.push({ field, wire, value: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const n = Number(varint());
      out.push({ field, wire, value: buf.subarray(i, (i += n)) });
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: Map<string, number>;
}

/** Reads a TFRecord file of Event protobufs, checking every length and data CRC. */
function readEvents(file: string): Event[] {
  const buf = fs.readFileSync(file);
  const events: Event[] = [];
  let i = 0;
  while (i < buf.length) {
    const lenBytes = buf.subarray(i, i + 8);
    assert.equal(buf.readUInt32LE(i + 8), mask(crcBitwise(lenBytes)), `length CRC at byte ${i}`);
    const n = Number(buf.readBigUInt64LE(i));
    const data = buf.subarray(i + 12, i + 12 + n);
    assert.equal(buf.readUInt32LE(i + 12 + n), mask(crcBitwise(data)), `data CRC at byte ${i}`);
    i += 12 + n + 4;
    const ev: Event = { wallTime: NaN, step: 0, values: new Map() };
    for (const f of decodeProto(data)) {
      if (f.field === 1 && f.wire === 1) ev.wallTime = (f.value as Buffer).readDoubleLE(0);
      else if (f.field === 2 && f.wire === 0) ev.step = Number(f.value);
      else if (f.field === 3 && f.wire === 2) ev.fileVersion = (f.value as Buffer).toString('utf8');
      else if (f.field === 5 && f.wire === 2) {
        for (const v of decodeProto(f.value as Buffer)) {
          assert.equal(v.field, 1, 'Summary.value is field 1');
          const parts = decodeProto(v.value as Buffer);
          const tag = (parts.find((p) => p.field === 1)!.value as Buffer).toString('utf8');
          const simple = parts.find((p) => p.field === 2 && p.wire === 5)!.value as Buffer;
          ev.values.set(tag, simple.readFloatLE(0));
        }
      } else assert.fail(`unexpected Event field ${f.field} (wire ${f.wire})`);
    }
    events.push(ev);
  }
  assert.equal(i, buf.length, 'the file ends on a record boundary');
  return events;
}

test('exportTensorBoard writes one event file per run that an independent reader decodes to the runs numbers', () => {
  const runs = path.join(root, 'runs');
  const dir = writeRun(runs, { seed: 1, gaf: { kind: 'atan', alpha: 0.1, beta: 20 }, testTop1: [0.5, 0.7], under: 'sweep' });
  writeRun(runs, { seed: 2, testTop1: [0.4], under: 'sweep' });
  const steps: StepLine[] = [1, 11].map((step, i) => ({
    step,
    epoch: 1,
    batch: step,
    batches: 16,
    loss: 2.1 - i * 0.3,
    lr: 0.1,
    stepMs: 12.5 + i,
    imagesPerSec: 5120,
    time: Date.parse('2025-01-01T00:00:01Z') + i * 1000,
    knee: 0.0713,
    grads: [{ variable: 'conv1/kernel', rawL2: 0.25 + i, actL2: 0.125, enlarged: 0.875, restricted: 0.125 }],
  }));
  // A torn last line (a write in progress) is not exported.
  fs.writeFileSync(path.join(dir, 'steps.jsonl'), steps.map((s) => JSON.stringify(s) + '\n').join('') + '{"step":21,"lo');

  const out = path.join(root, 'tb');
  const res = exportTensorBoard([runs], out);
  assert.equal(res.files.length, 2);
  const file = res.files.find((f) => f.includes(path.basename(dir)))!;
  assert.match(path.basename(file), /^events\.out\.tfevents\.\d+\./);
  assert.equal(path.relative(out, path.dirname(file)), path.join('sweep', path.basename(dir)));
  const events = readEvents(file);
  assert.equal(events[0]!.fileVersion, 'brain.Event:2');
  const rest = events.slice(1);
  // Two step lines and two epoch lines (fixture epochs end at steps 8 and 16), in step order.
  assert.deepEqual(
    rest.map((e) => e.step),
    [1, 8, 11, 16],
  );
  assert.equal(res.events, 4 + 1, 'two step and two epoch events here, one epoch event in the other run');
  const f32 = Math.fround;
  const s11 = rest[2]!;
  assert.equal(s11.wallTime, steps[1]!.time / 1000);
  assert.equal(s11.values.get('step/loss'), f32(steps[1]!.loss));
  assert.equal(s11.values.get('step/lr'), f32(0.1));
  assert.equal(s11.values.get('step/stepMs'), 13.5);
  assert.equal(s11.values.get('grad/rawL2/conv1/kernel'), 1.25);
  assert.equal(s11.values.get('grad/enlarged/conv1/kernel'), 0.875);
  assert.equal(s11.values.get('grad/restricted/conv1/kernel'), 0.125);
  // The fixture's epoch 2: testTop1 0.7, trainLoss 2.3*(1-0.7)+0.01.
  const e2 = rest[3]!;
  assert.equal(e2.values.get('epoch/testTop1'), f32(0.7));
  assert.equal(e2.values.get('epoch/trainLoss'), f32(2.3 * (1 - 0.7) + 0.01));
  // Exporting again replaces the file instead of adding a second one.
  exportTensorBoard([runs], out);
  assert.equal(fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('events.out')).length, 1);
});
