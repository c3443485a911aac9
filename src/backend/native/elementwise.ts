/** The elementwise kernels: binary ops with broadcasting (Add … SquaredDifference) and unary ops (Neg … Relu), by the addon's op codes. */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, broadcastStrides, f32, out, size, valuesOf, type Args, type Fallback, type NativeKernel } from "./kernel.js";

export function elementwiseKernels(addon: NativeAddon, fallback: Fallback): NativeKernel[] {
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

  const kernels: NativeKernel[] = [
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
  ];
  return kernels;
}
