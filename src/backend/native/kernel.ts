/** What every group of native kernels is written with: the kernel's arguments, the backend's arrays, strides and output helpers. */
import type { KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { NativeBackend } from "./backend.js";

export type Backend = NativeBackend;
export type Args = { inputs: Record<string, TensorInfo>; backend: Backend; attrs?: NamedAttrMap };

/** One native kernel: the TF.js kernel name it registers and its function. */
export type NativeKernel = [string, (args: Args) => TensorInfo | TensorInfo[]];
/** The CPU backend's kernel of a name: what a native kernel runs for the cases it does not cover (dtypes other than float32, …). */
export type Fallback = (name: string) => KernelFunc;

/** The tensor's own Float32Array; a float32 tensor backed by another array type (some CPU casts keep the source array) is converted. */
export const valuesOf = (backend: Backend, t: TensorInfo): Float32Array => {
  const values = backend.data.get(t.dataId).values as ArrayLike<number>;
  return values instanceof Float32Array ? values : Float32Array.from(values);
};
export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

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

export const be = (args: Args) => args.backend;
// Outputs come from the backend's recycled buffers: every native kernel writes each element it returns.
export const alloc = (args: Args, n: number) => args.backend.alloc(n);
export const f32 = (...ts: TensorInfo[]) => ts.every((t) => t.dtype === "float32");
export const out = (args: Args, shape: number[], values: Float32Array) => be(args).makeTensorInfo(shape, "float32", values);
