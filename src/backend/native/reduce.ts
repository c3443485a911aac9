/** The reductions Sum, Mean, Max and Min, on the addon's row and column reductions. */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, contiguousStrides, f32, out, size, valuesOf, type Args, type Fallback, type NativeKernel } from "./kernel.js";

export function reduceKernels(addon: NativeAddon, fallback: Fallback): NativeKernel[] {
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

  const kernels: NativeKernel[] = [
    [tf.Sum, reduceKernel(tf.Sum, 0)],
    [tf.Mean, reduceKernel(tf.Mean, 1)],
    [tf.Max, reduceKernel(tf.Max, 2)],
    [tf.Min, reduceKernel(tf.Min, 3)],
  ];
  return kernels;
}
