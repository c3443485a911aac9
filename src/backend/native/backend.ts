/** The native backend's tensor storage: TF.js's CPU backend with recycled output buffers. */
import type { BackendValues, DataId, DataType } from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { totalmem } from "node:os";

/**
 * Freed output buffers by capacity, reused by the next kernel asking for a length of that size class;
 * past a byte cap, the classes asked for least recently are dropped. Capacities are rounded up to quarter steps between powers of two (at most
 * 25% unused), so outputs whose length changes a little from call to call (micro-batches of different
 * sequence lengths) still find a buffer.
 */
class BufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lastUse = new Map<number, number>();
  private bytes = 0;
  private tick = 0;

  constructor(private readonly capBytes: number) {}

  /** The capacity, in floats, of the buffer that holds `length` floats. */
  static capacity(length: number): number {
    const step = 2 ** Math.max(0, Math.floor(Math.log2(length)) - 2);
    return Math.ceil(length / step) * step;
  }

  take(capacity: number): ArrayBuffer | undefined {
    this.lastUse.set(capacity, ++this.tick);
    const buffer = this.free.get(capacity)?.pop();
    if (buffer) this.bytes -= buffer.byteLength;
    return buffer;
  }

  /** Keeps a freed buffer; past the cap, the size classes asked for least recently are dropped first. */
  give(buffer: ArrayBuffer): void {
    const capacity = buffer.byteLength / 4;
    while (this.bytes + buffer.byteLength > this.capBytes) {
      let stalest: number | undefined;
      for (const [c, list] of this.free) {
        if (list.length > 0 && c !== capacity && (stalest === undefined || (this.lastUse.get(c) ?? 0) < (this.lastUse.get(stalest) ?? 0))) stalest = c;
      }
      if (stalest === undefined) return;
      for (const dropped of this.free.get(stalest)!) this.bytes -= dropped.byteLength;
      this.free.delete(stalest);
    }
    const list = this.free.get(capacity);
    if (list) list.push(buffer);
    else this.free.set(capacity, [buffer]);
    this.bytes += buffer.byteLength;
  }

  pooledBytes(): number {
    return this.bytes;
  }

  fill(value: number): void {
    for (const list of this.free.values()) for (const buffer of list) new Float32Array(buffer).fill(value);
  }
}

/** Typed arrays up to 64 bytes live on V8's heap: they cost nothing to collect and are not pooled. */
const MIN_POOLED_LENGTH = 17;
/** Freed buffers kept for reuse: a quarter of the machine's memory, at most 4 GiB (a small-preset stage-2 micro-batch frees over 1 GiB at its end). */
const POOL_CAP_BYTES = Math.min(totalmem() / 4, 4 * 2 ** 30);

/**
 * The CPU backend with recycled output buffers. Every training step allocates hundreds of MB of
 * short-lived float32 outputs; as fresh ArrayBuffers they cost page faults and, worse, V8 answers the
 * external-memory churn with several full heap collections per step (each marking the whole JS heap:
 * the bigger the process, the slower every step). Here a native kernel's output array goes back to a
 * pool when its tensor's data is freed and serves the next output of about that length. The pool's arrays
 * never leave the backend: reads return copies, and an array a CPU kernel derives from one (Slice
 * returns subarrays of its input) is copied when written.
 */
export class NativeBackend extends MathBackendCPU {
  private readonly pool = new BufferPool(POOL_CAP_BYTES);
  private readonly ownedBuffers = new WeakSet<ArrayBuffer>();
  private readonly fresh = new WeakSet<Float32Array>();
  private readonly counts = { reused: 0, allocated: 0 };

  constructor() {
    super();
    // A CPU backend's first write prints TF.js's banner recommending tfjs-node.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** An output array of `length` floats with arbitrary contents: the kernel must write every element. */
  alloc(length: number): Float32Array {
    if (length < MIN_POOLED_LENGTH) return new Float32Array(length);
    const capacity = BufferPool.capacity(length);
    let buffer = this.pool.take(capacity);
    if (buffer) this.counts.reused++;
    else {
      buffer = new ArrayBuffer(capacity * 4);
      this.ownedBuffers.add(buffer);
      this.counts.allocated++;
    }
    const array = new Float32Array(buffer, 0, length);
    this.fresh.add(array);
    return array;
  }

  /** How many pooled outputs were served from recycled arrays, how many were allocated, and the bytes waiting in the pool. */
  poolStats(): { reused: number; allocated: number; pooledBytes: number } {
    return { ...this.counts, pooledBytes: this.pool.pooledBytes() };
  }

  /** Fills every recycled array waiting in the pool (tests use NaN to prove each kernel writes its whole output). */
  poisonPool(value: number): void {
    this.pool.fill(value);
  }

  private owns(values: BackendValues | undefined): values is Float32Array {
    return values instanceof Float32Array && this.ownedBuffers.has(values.buffer as ArrayBuffer);
  }

  override write(values: BackendValues, shape: number[], dtype: DataType): DataId {
    if (this.owns(values) && !this.fresh.delete(values)) values = values.slice();
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    return this.owns(values) ? values.slice() : values;
  }

  override disposeData(dataId: DataId, force?: boolean): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)!.values : undefined;
    const released = super.disposeData(dataId, force);
    if (this.owns(values) && !this.data.has(dataId)) this.pool.give(values.buffer as ArrayBuffer);
    return released;
  }
}
