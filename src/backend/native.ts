/**
 * The "native" backend: TF.js's CPU backend (tensors in plain typed arrays) with its hot kernels
 * replaced by the N-API addon in native/ (OpenBLAS sgemm when installed, else a built-in vectorised
 * kernel; both cores). The addon reads and writes the backend's own arrays: nothing is copied.
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendValues, DataId, DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { projectPath } from "../util/paths.js";

export interface NativeAddon {
  gemm(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, transA: boolean, transB: boolean, aOffsets: Float64Array, bOffsets: Float64Array, builtin?: boolean): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, shape: Float64Array, aStrides: Float64Array, bStrides: Float64Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  copy(src: Float32Array, srcOffset: number, dst: Float32Array, dstOffset: number, shape: Float64Array, srcStrides: Float64Array, dstStrides: Float64Array): void;
  reduceRows(op: number, x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  reduceCols(op: number, x: Float32Array, out: Float32Array, rows: number, cols: number): void;
  normForward(x: Float32Array, w: Float32Array, b: Float32Array | null, out: Float32Array, mean: Float32Array, rstd: Float32Array, d: number, eps: number, center: boolean, offset: number): void;
  normBackward(x: Float32Array, w: Float32Array, dy: Float32Array, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array | null, d: number, center: boolean, offset: number): void;
  activation(kind: number, x: Float32Array, out: Float32Array): void;
  activationGrad(kind: number, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  attentionSoftmax(scores: Float32Array, mask: Float32Array | null, y: Float32Array, tq: number, tk: number, scale: number, cap: number): void;
  attentionSoftmaxGrad(y: Float32Array, dy: Float32Array, scores: Float32Array, ds: Float32Array, tk: number, scale: number, cap: number): void;
  linearForward(x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array, rows: number, inDim: number, outDim: number): void;
  linearBackward(x: Float32Array, w: Float32Array, dy: Float32Array, dx: Float32Array, dw: Float32Array, db: Float32Array | null, rows: number, inDim: number, outDim: number): void;
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, outParam: Float32Array, outM: Float32Array, outV: Float32Array, hyper: Float64Array): void;
  info(): { blas: "openblas" | "builtin"; threads: number };
}

/** Fused row normalisation (LayerNorm when center, else RMSNorm): inputs x, w[, b]; outputs y, mean, rstd. */
export const FUSED_NORM = "LlavaMoreNorm";
/** Its gradient: inputs x, w, dy, mean, rstd; outputs dx, dw[, db]. */
export const FUSED_NORM_GRAD = "LlavaMoreNormGrad";

/** Fused activation (attr kind: 0 GELU, 1 GELU-tanh, 2 quick-GELU, 3 SiLU): input x; output y. */
export const FUSED_ACTIVATION = "LlavaMoreActivation";
/** Its gradient: inputs x, dy; output dx. */
export const FUSED_ACTIVATION_GRAD = "LlavaMoreActivationGrad";

/** Attention probabilities softmax(cap·tanh(s·scale/cap) + mask): inputs scores[, mask]; output probs. */
export const FUSED_ATTENTION_SOFTMAX = "LlavaMoreAttentionSoftmax";
/** Its gradient: inputs probs, dy, scores; output dscores. */
export const FUSED_ATTENTION_SOFTMAX_GRAD = "LlavaMoreAttentionSoftmaxGrad";

/** y = x·wᵀ (+ b) for x [rows, in], w [out, in]: inputs x, w[, b]; output y. */
export const FUSED_LINEAR = "LlavaMoreLinear";
/** Its gradient: inputs x, w, dy (attr bias); outputs dx, dw[, db]. */
export const FUSED_LINEAR_GRAD = "LlavaMoreLinearGrad";

/** Whether the active backend has every one of these (fused) kernels. */
export const hasKernels = (...names: string[]): boolean => {
  const backend = tf.getBackend();
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
};

/** Kernel name of the fused AdamW update (inputs param, grad, m, v; outputs param, m, v). */
export const FUSED_ADAMW = "LlavaMoreAdamW";

export const NATIVE_ADDON_PATH = (): string => projectPath("native", "build", "Release", "llava_native.node");

/**
 * OpenBLAS picks its sgemm kernels by CPU (on this machine's AMD EPYC "Cooperlake", an AVX-512 kernel),
 * and each kernel sums in its own order, so one seed gave other weights on another CPU. Pinned to the
 * Haswell (AVX2 + FMA) kernels wherever the CPU has them, every such machine multiplies alike, as the
 * addon's own kernels do (compiled for x86-64-v3, native/detect-march.cjs); measured here, a 384³
 * sgemm on one thread ran at 94.5 GFLOP/s pinned and 95.6 unpinned. Read when OpenBLAS loads (with
 * the addon); an OPENBLAS_CORETYPE already set is kept.
 */
export function pinBlasKernels(): void {
  if (process.env["OPENBLAS_CORETYPE"] === undefined && hasAvx2Fma()) process.env["OPENBLAS_CORETYPE"] = "Haswell";
}

/** Whether this is an x86-64 CPU with AVX2 and FMA (Linux's /proc/cpuinfo; false where it cannot be read). */
export function hasAvx2Fma(): boolean {
  if (process.arch !== "x64") return false;
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "";
    return /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
  } catch {
    return false;
  }
}

/** The built addon, or the reason it cannot be used. */
export function loadNativeAddon(): NativeAddon | string {
  if (process.env["LLAVA_MORE_NATIVE"] === "off") return "turned off by LLAVA_MORE_NATIVE=off";
  const path = NATIVE_ADDON_PATH();
  if (!existsSync(path)) return "native kernels not built (npm run build:native; needs a C++ compiler)";
  pinBlasKernels();
  try {
    return createRequire(projectPath("package.json"))(path) as NativeAddon;
  } catch (err) {
    return `native addon failed to load: ${(err as Error).message.split("\n")[0]}`;
  }
}

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

type Backend = NativeBackend;
type Args = { inputs: Record<string, TensorInfo>; backend: Backend; attrs?: NamedAttrMap };

/** The tensor's own Float32Array; a float32 tensor backed by another array type (some CPU casts keep the source array) is converted. */
const valuesOf = (backend: Backend, t: TensorInfo): Float32Array => {
  const values = backend.data.get(t.dataId).values as ArrayLike<number>;
  return values instanceof Float32Array ? values : Float32Array.from(values);
};
const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Element strides of an operand of shape `own` read along the broadcast output shape (0 where broadcast). */
export function broadcastStrides(outShape: readonly number[], own: readonly number[]): Float64Array {
  const rank = outShape.length;
  const padded = [...Array<number>(rank - own.length).fill(1), ...own];
  const contiguous = contiguousStrides(padded);
  return Float64Array.from(padded.map((d, i) => (d === 1 ? 0 : contiguous[i]!)));
}

/** Flat offsets of each broadcast batch entry into an operand with batch shape `own`. */
function batchOffsets(outBatch: number[], own: number[], matrixSize: number): Float64Array {
  const total = size(outBatch);
  const offsets = new Float64Array(total);
  const rank = outBatch.length;
  const strides = broadcastStrides(outBatch, own).map((s) => s * matrixSize);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let off = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const dim = outBatch[d]!;
      off += (rest % dim) * strides[d]!;
      rest = Math.floor(rest / dim);
    }
    offsets[i] = off;
  }
  return offsets;
}

function nativeKernels(addon: NativeAddon, fallback: (name: string) => KernelFunc): KernelConfig[] {
  const be = (args: Args) => args.backend;
  // Outputs come from the backend's recycled buffers: every kernel below writes each element it returns.
  const alloc = (args: Args, n: number) => args.backend.alloc(n);
  const batchMatMul = (args: Args): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(tf.BatchMatMul)(args as never) as TensorInfo;
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb) {
      throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${!!transposeA} and transposeB=${!!transposeB} must match.`);
    }
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = alloc(args, size(outBatch) * m * n);
    if (out.length > 0) {
      addon.gemm(valuesOf(args.backend, a), valuesOf(args.backend, b), out, m, n, k, !!transposeA, !!transposeB, batchOffsets(outBatch, a.shape.slice(0, -2), m * k), batchOffsets(outBatch, b.shape.slice(0, -2), k * n));
    }
    return args.backend.makeTensorInfo([...outBatch, m, n], "float32", out);
  };

  const softmax = (args: Args): TensorInfo => {
    const { logits } = args.inputs as { logits: TensorInfo };
    const dim = (args.attrs as { dim?: number } | undefined)?.dim ?? -1;
    const axis = dim < 0 ? logits.shape.length + dim : dim;
    if (logits.dtype !== "float32" || axis !== logits.shape.length - 1) return fallback(tf.Softmax)(args as never) as TensorInfo;
    const cols = logits.shape[axis] ?? 1;
    const out = alloc(args, size(logits.shape));
    if (out.length > 0) addon.softmax(valuesOf(args.backend, logits), out, out.length / cols, cols);
    return args.backend.makeTensorInfo(logits.shape, "float32", out);
  };

  const f32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === "float32");
  const out = (args: Args, shape: number[], values: Float32Array) => be(args).makeTensorInfo(shape, "float32", values);

  const binaryKernel = (name: string, op: number) => (args: Args): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (!f32(a, b)) return fallback(name)(args as never) as TensorInfo;
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const values = alloc(args, size(shape));
    if (values.length > 0) {
      addon.binary(op, valuesOf(be(args), a), valuesOf(be(args), b), values, Float64Array.from(shape), broadcastStrides(shape, a.shape), broadcastStrides(shape, b.shape));
    }
    return out(args, shape, values);
  };

  const unaryKernel = (name: string, op: number) => (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(name)(args as never) as TensorInfo;
    const values = alloc(args, size(x.shape));
    addon.unary(op, valuesOf(be(args), x), values);
    return out(args, x.shape, values);
  };

  /** out[box] = x[begin + box]: the copy behind Slice and SplitV. */
  const sliceValues = (backend: Backend, x: TensorInfo, begin: number[], sizes: number[]): Float32Array => {
    const strides = contiguousStrides(x.shape);
    const values = backend.alloc(size(sizes));
    if (values.length > 0) {
      const offset = begin.reduce((acc, b, d) => acc + b * strides[d]!, 0);
      addon.copy(valuesOf(backend, x), offset, values, 0, Float64Array.from(sizes), Float64Array.from(strides), Float64Array.from(contiguousStrides(sizes)));
    }
    return values;
  };

  const slice = (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(tf.Slice)(args as never) as TensorInfo;
    const { begin, size: sz } = args.attrs as { begin: number | number[]; size: number | number[] };
    const [b, s] = tf.slice_util.parseSliceParams(x as never, begin, sz);
    return out(args, s, sliceValues(be(args), x, b, s));
  };

  const splitV = (args: Args): TensorInfo[] => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(tf.SplitV)(args as never) as TensorInfo[];
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as never, numOrSizeSplits, ax);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const shape = [...x.shape];
      shape[ax] = s;
      const piece = out(args, shape, sliceValues(be(args), x, [...begin], shape));
      begin[ax]! += s;
      return piece;
    });
  };

  const transpose = (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(tf.Transpose)(args as never) as TensorInfo;
    const { perm } = args.attrs as { perm: number[] };
    const strides = contiguousStrides(x.shape);
    const shape = perm.map((p) => x.shape[p]!);
    const values = alloc(args, size(shape));
    if (values.length > 0) {
      addon.copy(valuesOf(be(args), x), 0, values, 0, Float64Array.from(shape), Float64Array.from(perm.map((p) => strides[p]!)), Float64Array.from(contiguousStrides(shape)));
    }
    return out(args, shape, values);
  };

  const pad = (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(tf.PadV2)(args as never) as TensorInfo;
    const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
    const shape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
    const strides = contiguousStrides(shape);
    const values = alloc(args, size(shape)).fill(constantValue);
    if (size(x.shape) > 0) {
      const offset = paddings.reduce((acc, [before], d) => acc + before * strides[d]!, 0);
      addon.copy(valuesOf(be(args), x), 0, values, offset, Float64Array.from(x.shape), Float64Array.from(contiguousStrides(x.shape)), Float64Array.from(strides));
    }
    return out(args, shape, values);
  };

  const concat = (args: Args): TensorInfo => {
    const inputs = args.inputs as unknown as TensorInfo[];
    if (!f32(...inputs)) return fallback(tf.Concat)(args as never) as TensorInfo;
    const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
    const shape = tf.backend_util.computeOutShape(inputs.map((t) => t.shape), axis);
    const strides = contiguousStrides(shape);
    const values = alloc(args, size(shape));
    let at = 0;
    for (const t of inputs) {
      if (size(t.shape) > 0) {
        addon.copy(valuesOf(be(args), t), 0, values, at * strides[axis]!, Float64Array.from(t.shape), Float64Array.from(contiguousStrides(t.shape)), Float64Array.from(strides));
      }
      at += t.shape[axis]!;
    }
    return out(args, shape, values);
  };

  const reduceKernel = (name: string, op: number) => (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (!f32(x)) return fallback(name)(args as never) as TensorInfo;
    // Max names its axes reductionIndices; Sum, Mean and Min name them axis.
    const { axis, reductionIndices, keepDims } = args.attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam((axis ?? reductionIndices)!, x.shape).sort((p, q) => p - q);
    const rank = x.shape.length;
    const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const cols = size(axes.map((d) => x.shape[d]!));
    const rows = size(kept.map((d) => x.shape[d]!));
    let source = valuesOf(be(args), x);
    const leading = axes.every((d, i) => d === i);
    const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((d) => x.shape[d]!);
    if (leading && op <= 1 && rows > 0 && cols > 0) {
      // Sum or mean over leading axes (bias gradients): column sums, no transpose.
      const values = alloc(args, rows);
      addon.reduceCols(op, source, values, cols, rows);
      return out(args, shape, values);
    }
    const trailing = axes.every((d, i) => d === rank - axes.length + i);
    if (!trailing && rows * cols > 0) {
      const perm = [...kept, ...axes];
      const strides = contiguousStrides(x.shape);
      const permuted = perm.map((p) => x.shape[p]!);
      const moved = new Float32Array(rows * cols);
      addon.copy(source, 0, moved, 0, Float64Array.from(permuted), Float64Array.from(perm.map((p) => strides[p]!)), Float64Array.from(contiguousStrides(permuted)));
      source = moved;
    }
    const values = alloc(args, rows);
    if (rows > 0 && cols > 0) addon.reduceRows(op, source, values, rows, cols);
    else if (rows > 0) return fallback(name)(args as never) as TensorInfo;
    return out(args, shape, values);
  };

  const adamw = (args: Args): TensorInfo[] => {
    const { param, grad, m, v } = args.inputs as Record<"param" | "grad" | "m" | "v", TensorInfo>;
    const h = args.attrs as { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number };
    const n = size(param.shape);
    const [p2, m2, v2] = [alloc(args, n), alloc(args, n), alloc(args, n)];
    const hyper = Float64Array.from([h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, 1 - h.beta1 ** h.step, 1 - h.beta2 ** h.step]);
    addon.adamw(valuesOf(be(args), param), valuesOf(be(args), grad), valuesOf(be(args), m), valuesOf(be(args), v), p2, m2, v2, hyper);
    return [out(args, param.shape, p2), out(args, param.shape, m2), out(args, param.shape, v2)];
  };

  type NormAttrs = { eps: number; center: boolean; offset: number };
  const norm = (args: Args): TensorInfo[] => {
    const { x, w, b } = args.inputs as Record<"x" | "w" | "b", TensorInfo | undefined> as { x: TensorInfo; w: TensorInfo; b?: TensorInfo };
    const { eps, center, offset } = args.attrs as NormAttrs;
    const d = x.shape[x.shape.length - 1]!;
    const n = size(x.shape);
    const rows = d > 0 ? n / d : 0;
    const [y, mean, rstd] = [alloc(args, n), alloc(args, rows), alloc(args, rows)];
    if (n > 0) addon.normForward(valuesOf(be(args), x), valuesOf(be(args), w), b ? valuesOf(be(args), b) : null, y, mean, rstd, d, eps, center, offset);
    const rowShape = x.shape.slice(0, -1);
    return [out(args, x.shape, y), out(args, rowShape, mean), out(args, rowShape, rstd)];
  };

  const normGrad = (args: Args): TensorInfo[] => {
    const { x, w, dy, mean, rstd } = args.inputs as Record<"x" | "w" | "dy" | "mean" | "rstd", TensorInfo>;
    const { center, offset } = args.attrs as NormAttrs;
    const d = x.shape[x.shape.length - 1]!;
    const n = size(x.shape);
    const [dx, dw] = [alloc(args, n), alloc(args, d)];
    const db = center ? alloc(args, d) : null;
    if (n > 0) addon.normBackward(valuesOf(be(args), x), valuesOf(be(args), w), valuesOf(be(args), dy), valuesOf(be(args), mean), valuesOf(be(args), rstd), dx, dw, db, d, center, offset);
    else [dw, db].forEach((g) => g?.fill(0));
    return [out(args, x.shape, dx), out(args, [d], dw), ...(db ? [out(args, [d], db)] : [])];
  };

  const activation = (args: Args): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    const y = alloc(args, size(x.shape));
    addon.activation((args.attrs as { kind: number }).kind, valuesOf(be(args), x), y);
    return out(args, x.shape, y);
  };
  const activationGrad = (args: Args): TensorInfo => {
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const dx = alloc(args, size(x.shape));
    addon.activationGrad((args.attrs as { kind: number }).kind, valuesOf(be(args), x), valuesOf(be(args), dy), dx);
    return out(args, x.shape, dx);
  };

  type AttnAttrs = { scale: number; cap: number };
  const attentionSoftmax = (args: Args): TensorInfo => {
    const { scores, mask } = args.inputs as { scores: TensorInfo; mask?: TensorInfo };
    const { scale, cap } = args.attrs as AttnAttrs;
    const [tq, tk] = scores.shape.slice(-2) as [number, number];
    const y = alloc(args, size(scores.shape));
    if (y.length > 0) addon.attentionSoftmax(valuesOf(be(args), scores), mask ? valuesOf(be(args), mask) : null, y, tq, tk, scale, cap);
    return out(args, scores.shape, y);
  };
  const attentionSoftmaxGrad = (args: Args): TensorInfo => {
    const { probs, dy, scores } = args.inputs as { probs: TensorInfo; dy: TensorInfo; scores: TensorInfo };
    const { scale, cap } = args.attrs as AttnAttrs;
    const ds = alloc(args, size(scores.shape));
    if (ds.length > 0) addon.attentionSoftmaxGrad(valuesOf(be(args), probs), valuesOf(be(args), dy), valuesOf(be(args), scores), ds, scores.shape[scores.shape.length - 1]!, scale, cap);
    return out(args, scores.shape, ds);
  };

  const linear = (args: Args): TensorInfo => {
    const { x, w, b } = args.inputs as { x: TensorInfo; w: TensorInfo; b?: TensorInfo };
    const [rows, inDim] = x.shape as [number, number];
    const outDim = w.shape[0]!;
    const y = alloc(args, rows * outDim);
    if (y.length > 0) addon.linearForward(valuesOf(be(args), x), valuesOf(be(args), w), b ? valuesOf(be(args), b) : null, y, rows, inDim, outDim);
    return out(args, [rows, outDim], y);
  };
  const linearGrad = (args: Args): TensorInfo[] => {
    const { x, w, dy } = args.inputs as { x: TensorInfo; w: TensorInfo; dy: TensorInfo };
    const { bias } = args.attrs as { bias: boolean };
    const [rows, inDim] = x.shape as [number, number];
    const outDim = w.shape[0]!;
    const [dx, dw] = [alloc(args, rows * inDim), alloc(args, outDim * inDim)];
    const db = bias ? alloc(args, outDim) : null;
    addon.linearBackward(valuesOf(be(args), x), valuesOf(be(args), w), valuesOf(be(args), dy), dx, dw, db, rows, inDim, outDim);
    return [out(args, [rows, inDim], dx), out(args, [outDim, inDim], dw), ...(db ? [out(args, [outDim], db)] : [])];
  };

  const kernels: [string, (args: Args) => TensorInfo | TensorInfo[]][] = [
    [FUSED_LINEAR, linear],
    [FUSED_LINEAR_GRAD, linearGrad],
    [FUSED_ATTENTION_SOFTMAX, attentionSoftmax],
    [FUSED_ATTENTION_SOFTMAX_GRAD, attentionSoftmaxGrad],
    [FUSED_ACTIVATION, activation],
    [FUSED_ACTIVATION_GRAD, activationGrad],
    [FUSED_NORM, norm],
    [FUSED_NORM_GRAD, normGrad],
    [FUSED_ADAMW, adamw],
    [tf.BatchMatMul, batchMatMul],
    [tf.Softmax, softmax],
    [tf.Add, binaryKernel(tf.Add, 0)],
    [tf.Sub, binaryKernel(tf.Sub, 1)],
    [tf.Multiply, binaryKernel(tf.Multiply, 2)],
    [tf.RealDiv, binaryKernel(tf.RealDiv, 3)],
    [tf.Maximum, binaryKernel(tf.Maximum, 4)],
    [tf.Minimum, binaryKernel(tf.Minimum, 5)],
    [tf.SquaredDifference, binaryKernel(tf.SquaredDifference, 6)],
    [tf.Neg, unaryKernel(tf.Neg, 0)],
    [tf.Exp, unaryKernel(tf.Exp, 1)],
    [tf.Log, unaryKernel(tf.Log, 2)],
    [tf.Sqrt, unaryKernel(tf.Sqrt, 3)],
    [tf.Rsqrt, unaryKernel(tf.Rsqrt, 4)],
    [tf.Square, unaryKernel(tf.Square, 5)],
    [tf.Sigmoid, unaryKernel(tf.Sigmoid, 6)],
    [tf.Tanh, unaryKernel(tf.Tanh, 7)],
    [tf.Erf, unaryKernel(tf.Erf, 8)],
    [tf.Abs, unaryKernel(tf.Abs, 9)],
    [tf.Relu, unaryKernel(tf.Relu, 10)],
    [tf.Slice, slice],
    [tf.SplitV, splitV],
    [tf.Transpose, transpose],
    [tf.PadV2, pad],
    [tf.Concat, concat],
    [tf.Sum, reduceKernel(tf.Sum, 0)],
    [tf.Mean, reduceKernel(tf.Mean, 1)],
    [tf.Max, reduceKernel(tf.Max, 2)],
    [tf.Min, reduceKernel(tf.Min, 3)],
  ];
  return kernels.map(([kernelName, f]) => ({ kernelName, backendName: "native", kernelFunc: f as unknown as KernelFunc }));
}


/** A CPU backend's first write prints TF.js's banner recommending tfjs-node; this turns it off. */
function quietCpuBackend<T>(backend: T): T {
  (backend as unknown as { firstUse: boolean }).firstUse = false;
  return backend;
}

/** Registers the "native" backend once: every CPU kernel, with the addon's kernels on top. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackendFactory("native")) return;
  tf.registerBackend(
    "native",
    () => new NativeBackend(),
    3,
  );
  const cpu = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const fallback = (name: string): KernelFunc => {
    const k = cpu.get(name);
    if (!k) throw new Error(`the CPU backend has no ${name} kernel`);
    return k.kernelFunc;
  };
  const native = nativeKernels(addon, fallback);
  const replaced = new Set(native.map((k) => k.kernelName));
  for (const k of cpu.values()) if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: "native" });
  for (const k of native) tf.registerKernel(k);
}

/**
 * Runs every native kernel on small fixed inputs on the native and on the CPU backend and returns
 * the first disagreement beyond 1e-4 relative, or undefined. Leaves the CPU backend active.
 */
export async function nativeSelfCheck(): Promise<string | undefined> {
  const fill = (shape: number[], phase: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + phase)), shape);
  const engine = () => tf.engine();
  const cases: [string, () => tf.Tensor[]][] = [
    [tf.BatchMatMul, () => [tf.matMul(fill([2, 5, 4], 1), fill([2, 3, 4], 2), false, true), tf.matMul(fill([4, 5], 3), fill([4, 3], 4), true, false)]],
    [tf.Softmax, () => [tf.softmax(fill([3, 7], 5))]],
    ["binary ops", () => [tf.add(fill([2, 3, 4], 6), fill([4], 7)), tf.sub(fill([3, 1], 8), fill([1, 4], 9)), tf.mul(fill([5], 1), fill([5], 2)), tf.div(fill([4], 3), tf.add(fill([4], 4), 2)), tf.maximum(fill([4], 5), fill([4], 6)), tf.minimum(fill([4], 7), fill([4], 8)), tf.squaredDifference(fill([4], 9), fill([4], 1))]],
    ["unary ops", () => { const x = fill([9], 2); const p = tf.add(tf.abs(x), 0.1); return [tf.neg(x), tf.exp(x), tf.log(p), tf.sqrt(p), tf.rsqrt(p), tf.square(x), tf.sigmoid(x), tf.tanh(x), tf.erf(x), tf.abs(x), tf.relu(x)]; }],
    ["copies", () => { const x = fill([2, 3, 4], 3); return [tf.slice(x, [0, 1, 1], [2, 2, 2]), ...tf.split(x, [1, 3], 2), tf.transpose(x, [2, 0, 1]), tf.pad(x, [[1, 0], [0, 1], [0, 0]], 0.5), tf.concat([x, x], 1)]; }],
    ["reductions", () => { const x = fill([2, 3, 4], 4); return [tf.sum(x, 0), tf.sum(x, -1), tf.mean(x, [1, 2]), tf.max(x, 1), tf.min(x, 0)]; }],
    [FUSED_NORM, () => engine().runKernel(FUSED_NORM, { x: fill([3, 6], 5), w: fill([6], 6), b: fill([6], 7) }, { eps: 1e-5, center: true, offset: 0 }) as tf.Tensor[]],
    [FUSED_ACTIVATION, () => [0, 1, 2, 3].map((kind) => engine().runKernel(FUSED_ACTIVATION, { x: fill([8], kind) }, { kind }) as tf.Tensor)],
    [FUSED_ATTENTION_SOFTMAX, () => [engine().runKernel(FUSED_ATTENTION_SOFTMAX, { scores: fill([2, 3, 3], 6), mask: tf.tensor2d([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3]) }, { scale: 0.5, cap: 2 }) as tf.Tensor]],
    [FUSED_LINEAR, () => [engine().runKernel(FUSED_LINEAR, { x: fill([4, 5], 7), w: fill([3, 5], 8), b: fill([3], 9) }, {}) as tf.Tensor]],
    [FUSED_ADAMW, () => engine().runKernel(FUSED_ADAMW, { param: fill([6], 1), grad: fill([6], 2), m: fill([6], 3), v: tf.abs(fill([6], 4)) }, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 3 }) as tf.Tensor[]],
  ];
  // Fused kernels exist only on the native backend: their reference is the same formula in ops.
  const reference: Record<string, () => tf.Tensor[]> = {
    [FUSED_NORM]: () => {
      const [x, w, b] = [fill([3, 6], 5), fill([6], 6), fill([6], 7)];
      const { mean, variance } = tf.moments(x, -1, true);
      const rstd = tf.rsqrt(tf.add(variance, 1e-5));
      return [tf.add(tf.mul(tf.mul(tf.sub(x, mean), rstd), w), b), tf.reshape(mean, [3]), tf.reshape(rstd, [3])];
    },
    [FUSED_ACTIVATION]: () =>
      [0, 1, 2, 3].map((kind) => {
        const x = fill([8], kind);
        if (kind === 0) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
        if (kind === 1) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
        return tf.mul(x, tf.sigmoid(tf.mul(x, kind === 2 ? 1.702 : 1)));
      }),
    [FUSED_ATTENTION_SOFTMAX]: () => [tf.softmax(tf.add(tf.mul(tf.tanh(tf.div(tf.mul(fill([2, 3, 3], 6), 0.5), 2)), 2), tf.tensor2d([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3])))],
    [FUSED_LINEAR]: () => [tf.add(tf.matMul(fill([4, 5], 7), fill([3, 5], 8), false, true), fill([3], 9))],
    [FUSED_ADAMW]: () => {
      const [p, g, m, v] = [fill([6], 1), fill([6], 2), fill([6], 3), tf.abs(fill([6], 4))];
      const m2 = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
      const v2 = tf.add(tf.mul(v, 0.99), tf.mul(tf.square(g), 0.01));
      const update = tf.div(tf.div(m2, 1 - 0.9 ** 3), tf.add(tf.sqrt(tf.div(v2, 1 - 0.99 ** 3)), 1e-8));
      return [tf.sub(tf.mul(p, 1 - 0.01 * 0.1), tf.mul(0.01, update)), m2, v2];
    },
  };
  const run = (f: () => tf.Tensor[]) => tf.tidy(() => f().map((t) => Array.from(t.dataSync())));
  for (const [name, f] of cases) {
    await tf.setBackend("native");
    const got = run(f);
    await tf.setBackend("cpu");
    quietCpuBackend(tf.backend());
    const want = run(reference[name] ?? f);
    for (let i = 0; i < want.length; i++) {
      for (let j = 0; j < want[i]!.length; j++) {
        const [g, w] = [got[i]?.[j] ?? NaN, want[i]![j]!];
        if (!(Math.abs(g - w) <= 1e-4 * Math.max(1, Math.abs(w)))) return `native kernel ${name} disagrees with the CPU backend (output ${i}[${j}]: ${g} vs ${w})`;
      }
    }
  }
  return undefined;
}
