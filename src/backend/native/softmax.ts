/** Softmax over the last axis on the addon's row softmax. */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, size, valuesOf, type Args, type Fallback, type NativeKernel } from "./kernel.js";

export function softmaxKernels(addon: NativeAddon, fallback: Fallback): NativeKernel[] {
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

  const kernels: NativeKernel[] = [
    [tf.Softmax, softmax],
  ];
  return kernels;
}
