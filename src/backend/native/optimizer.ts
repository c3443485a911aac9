/** The fused AdamW update: one kernel for a parameter's step, on the native backend only. */
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, out, size, valuesOf, type Args, type NativeKernel } from "./kernel.js";

/** Kernel name of the fused AdamW update (inputs param, grad, m, v; outputs param, m, v). */
export const FUSED_ADAMW = "LlavaMoreAdamW";

export function optimizerKernels(addon: NativeAddon): NativeKernel[] {
  const adamw = (args: Args): TensorInfo[] => {
    const { param, grad, m, v } = args.inputs as Record<"param" | "grad" | "m" | "v", TensorInfo>;
    const h = args.attrs as { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number };
    const n = size(param.shape);
    const [p2, m2, v2] = [alloc(args, n), alloc(args, n), alloc(args, n)];
    const hyper = Float64Array.from([h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, 1 - h.beta1 ** h.step, 1 - h.beta2 ** h.step]);
    addon.adamw(valuesOf(be(args), param), valuesOf(be(args), grad), valuesOf(be(args), m), valuesOf(be(args), v), p2, m2, v2, hyper);
    return [out(args, param.shape, p2), out(args, param.shape, m2), out(args, param.shape, v2)];
  };

  const kernels: NativeKernel[] = [
    [FUSED_ADAMW, adamw],
  ];
  return kernels;
}
