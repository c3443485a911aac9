/** The kernels that copy strided boxes of a tensor: Slice, SplitV, Transpose, PadV2 and Concat, on the addon's copy; and GatherV2. */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, contiguousStrides, f32, out, size, valuesOf, type Args, type Backend, type Fallback, type NativeKernel } from "./kernel.js";

export function copyKernels(addon: NativeAddon, fallback: Fallback): NativeKernel[] {
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

  // Rows copied with TypedArray.set: the CPU backend's gather reads element by element through
  // TensorBuffer (27 ms a step for the bench decoder's 1,536 embedding rows of 256).
  const gather = (args: Args): TensorInfo => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims?: number };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const ids = be(args).data.get(indices.dataId).values as ArrayLike<number>;
    const axisDim = x.shape[ax]!;
    // Anything else (and an index out of range, which it reports) goes to the CPU kernel.
    if (!f32(x) || (batchDims ?? 0) !== 0 || Array.prototype.some.call(ids, (i: number) => !(i >= 0 && i < axisDim))) return fallback(tf.GatherV2)(args as never) as TensorInfo;
    const outer = size(x.shape.slice(0, ax));
    const inner = size(x.shape.slice(ax + 1));
    const shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
    const source = valuesOf(be(args), x);
    const values = alloc(args, size(shape));
    for (let o = 0, at = 0; o < outer; o++) {
      for (let j = 0; j < ids.length; j++, at += inner) {
        const from = (o * axisDim + ids[j]!) * inner;
        values.set(source.subarray(from, from + inner), at);
      }
    }
    return out(args, shape, values);
  };

  const kernels: NativeKernel[] = [
    [tf.Slice, slice],
    [tf.SplitV, splitV],
    [tf.Transpose, transpose],
    [tf.PadV2, pad],
    [tf.Concat, concat],
    [tf.GatherV2, gather],
  ];
  return kernels;
}
