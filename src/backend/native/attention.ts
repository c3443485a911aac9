/** Fused self-attention (RoPE, scores, masks, soft-cap, softmax, value product) and its gradient: native backend only. */
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, out, size, valuesOf, type Args, type NativeKernel } from "./kernel.js";
import { portableBits } from "../kernel_build.js";

/**
 * Whole attention of a layer: inputs q [B, T, H·d], k, v [B, T, H_kv·d][, cos, sin [T, rotary]][, keyMask
 * [B, T]]; outputs the context [B, T, H·d] and the probabilities [B, H, T, T] (which the gradient reads).
 */
export const FUSED_ATTENTION = "LlavaMoreAttention";
/** Its gradient: inputs q, k, v[, cos, sin], probs, dy; outputs dq, dk, dv. */
export const FUSED_ATTENTION_GRAD = "LlavaMoreAttentionGrad";

export interface FusedAttentionAttrs {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Channels RoPE rotates (0 without cos and sin). */
  rotary: number;
  causal: boolean;
  /** Sliding window in keys, itself included (0: none). */
  window: number;
  scale: number;
  /** Logit soft-cap (0: none). */
  cap: number;
}

/**
 * Whether kernels that sum in another order than the composite ops they replace (and so give other
 * bits) may be used: not in portable-bits mode (LLAVA_MORE_PORTABLE_BITS=1), which keeps the bits of
 * the unfused path.
 */
export const bitChangingFusionsAllowed = (): boolean => !portableBits();

export function attentionKernels(addon: NativeAddon): NativeKernel[] {
  const dims = (q: TensorInfo, a: FusedAttentionAttrs): Float64Array => {
    const [batch, seq] = q.shape as [number, number, number];
    return Float64Array.from([batch, seq, a.numHeads, a.numKvHeads, a.headDim, a.rotary, a.causal ? 1 : 0, a.window]);
  };
  const optional = (args: Args, t: TensorInfo | undefined) => (t ? valuesOf(be(args), t) : null);

  const forward = (args: Args): TensorInfo[] => {
    const { q, k, v, cos, sin, keyMask } = args.inputs as Record<"q" | "k" | "v", TensorInfo> & Partial<Record<"cos" | "sin" | "keyMask", TensorInfo>>;
    const a = args.attrs as unknown as FusedAttentionAttrs;
    const [batch, seq] = q.shape as [number, number, number];
    const ctx = alloc(args, size(q.shape));
    const probs = alloc(args, batch * a.numHeads * seq * seq);
    if (ctx.length > 0) {
      addon.attentionForward(valuesOf(be(args), q), valuesOf(be(args), k), valuesOf(be(args), v), optional(args, cos), optional(args, sin), optional(args, keyMask), ctx, probs, dims(q, a), a.scale, a.cap);
    }
    return [out(args, q.shape, ctx), out(args, [batch, a.numHeads, seq, seq], probs)];
  };

  const backward = (args: Args): TensorInfo[] => {
    const { q, k, v, cos, sin, probs, dy } = args.inputs as Record<"q" | "k" | "v" | "probs" | "dy", TensorInfo> & Partial<Record<"cos" | "sin", TensorInfo>>;
    const a = args.attrs as unknown as FusedAttentionAttrs;
    const [dq, dk, dv] = [alloc(args, size(q.shape)), alloc(args, size(k.shape)), alloc(args, size(v.shape))];
    if (dq.length > 0) {
      const values = (t: TensorInfo) => valuesOf(be(args), t);
      addon.attentionBackward(values(q), values(k), values(v), optional(args, cos), optional(args, sin), values(probs), values(dy), dq, dk, dv, dims(q, a), a.scale, a.cap);
    }
    return [out(args, q.shape, dq), out(args, k.shape, dk), out(args, v.shape, dv)];
  };

  const kernels: NativeKernel[] = [
    [FUSED_ATTENTION, forward],
    [FUSED_ATTENTION_GRAD, backward],
  ];
  return kernels;
}
