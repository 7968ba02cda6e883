/**
 * A job of kernel calls laid out once per convolution geometry, written per call with that
 * call's operand addresses. Planning a job in JavaScript took 0.5-3 ms per kernel call on the
 * calling thread alone (about 50 ms of a 600 ms ResNet-20 step at 2 threads); relocating a
 * laid-out job takes a few microseconds.
 * @module
 */
import { CALL_SLOTS, TileJob } from './tile-threads';

/** Units of call records whose first `addressParams` parameters are offsets from the operands' addresses. */
export class JobTemplate {
  /** The unit table (units + 1 indices, relative to the job's start), then the records. */
  private readonly image: Int32Array;
  private readonly records: number;
  readonly units: number;

  /**
   * @param units each a list of call records ({@link callRecord}) planned with operand addresses 0.
   * @param addressParams how many leading parameters of every record are operand addresses, in the order of `bases` in {@link write}.
   */
  constructor(
    units: readonly (readonly number[])[],
    readonly addressParams: number,
  ) {
    this.units = units.length;
    const total = units.reduce((a, u) => a + u.length, 0);
    this.image = new Int32Array(units.length + 1 + total);
    let b = units.length + 1;
    units.forEach((records, u) => {
      this.image[u] = b;
      this.image.set(records, b);
      b += records.length;
    });
    this.image[units.length] = b;
    this.records = total / CALL_SLOTS;
  }

  /** Heap int32 slots the job takes. */
  get slots(): number {
    return this.image.length;
  }

  /** Writes the job at heap int32 index `at`, its address parameters offset by `bases` (bytes). */
  write(heap: Int32Array, at: number, bases: readonly number[]): TileJob {
    if (bases.length !== this.addressParams) throw new Error(`internal: ${bases.length} operand addresses for ${this.addressParams}`);
    heap.set(this.image, at);
    for (let u = 0; u <= this.units; u++) heap[at + u] += at;
    const first = at + this.units + 1;
    for (let r = 0; r < this.records; r++) {
      const p = first + r * CALL_SLOTS + 1;
      for (let i = 0; i < bases.length; i++) heap[p + i] += bases[i]!;
    }
    return { table: at, units: this.units };
  }
}

const MAX_CACHED = 256;
const cache = new Map<string, JobTemplate>();

/** The template for `key` (a geometry), made by `make` the first time; at most 256 are kept. */
export function cachedJobTemplate(key: string, make: () => JobTemplate): JobTemplate {
  let t = cache.get(key);
  if (t === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    t = make();
    cache.set(key, t);
  }
  return t;
}
