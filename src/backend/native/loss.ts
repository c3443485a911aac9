/** The fused causal-LM cross-entropy and its gradient: native backend only. */
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, out, size, valuesOf, type Args, type NativeKernel } from "./kernel.js";

/**
 * Mean cross-entropy of position t predicting label t + 1: inputs logits [B, T, V] (float32), labels
 * [B, T] (int32; attr ignore: the label that counts for nothing); outputs the loss [] and each
 * prediction's log-sum-exp [B, T − 1] (which the gradient reads).
 */
export const FUSED_CAUSAL_LM_LOSS = "LlavaMoreCausalLmLoss";
/** Its gradient: inputs logits, labels, lse, dy; output dlogits. */
export const FUSED_CAUSAL_LM_LOSS_GRAD = "LlavaMoreCausalLmLossGrad";

export function lossKernels(addon: NativeAddon): NativeKernel[] {
  const labelsOf = (args: Args, t: TensorInfo): Int32Array => {
    const values = be(args).data.get(t.dataId).values;
    return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  };

  const loss = (args: Args): TensorInfo[] => {
    const { logits, labels } = args.inputs as Record<"logits" | "labels", TensorInfo>;
    const [batch, seq, vocab] = logits.shape as [number, number, number];
    const lse = alloc(args, batch * Math.max(0, seq - 1));
    const value = addon.causalLmLoss(valuesOf(be(args), logits), labelsOf(args, labels), lse, batch, seq, vocab, (args.attrs as { ignore: number }).ignore);
    return [out(args, [], Float32Array.of(value)), out(args, [batch, Math.max(0, seq - 1)], lse)];
  };

  const lossGrad = (args: Args): TensorInfo => {
    const { logits, labels, lse, dy } = args.inputs as Record<"logits" | "labels" | "lse" | "dy", TensorInfo>;
    const [batch, seq, vocab] = logits.shape as [number, number, number];
    const dlogits = alloc(args, size(logits.shape));
    const g = valuesOf(be(args), dy)[0]!;
    addon.causalLmLossGrad(valuesOf(be(args), logits), labelsOf(args, labels), valuesOf(be(args), lse), g, dlogits, batch, seq, vocab, (args.attrs as { ignore: number }).ignore);
    return out(args, logits.shape, dlogits);
  };

  const kernels: NativeKernel[] = [
    [FUSED_CAUSAL_LM_LOSS, loss],
    [FUSED_CAUSAL_LM_LOSS_GRAD, lossGrad],
  ];
  return kernels;
}
