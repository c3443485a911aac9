/** Fused self-attention (RoPE, scores, masks, soft-cap, softmax, value product) and its gradient: native backend only. */
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, out, size, valuesOf, type Args, type NativeKernel } from "./kernel.js";
import { portableBits } from "../kernel_build.js";

/**
 * Whole attention of a layer: inputs q [B, T, H·d], k, v [B, T, H_kv·d] — or qkv [B, T, (H + 2·H_kv)·d],
 * the three projections side by side — [, cos, sin [T, rotary]][, keyMask [B, T]]; outputs the context
 * [B, T, H·d] and the probabilities [B, H, T, T] (which the gradient reads).
 */
export const FUSED_ATTENTION = "LlavaMoreAttention";
/** Its gradient: inputs q, k, v (or qkv)[, cos, sin], probs, dy; outputs dq, dk, dv (or dqkv). */
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

type Inputs = Partial<Record<"q" | "k" | "v" | "qkv" | "cos" | "sin" | "keyMask" | "probs" | "dy", TensorInfo>>;

export function attentionKernels(addon: NativeAddon): NativeKernel[] {
  const dims = (batch: number, seq: number, a: FusedAttentionAttrs, packed: boolean): Float64Array =>
    Float64Array.from([batch, seq, a.numHeads, a.numKvHeads, a.headDim, a.rotary, a.causal ? 1 : 0, a.window, packed ? 1 : 0]);
  const optional = (args: Args, t: TensorInfo | undefined) => (t ? valuesOf(be(args), t) : null);
  /** q (or qkv), k, v as the addon takes them, and [B, T]. */
  const projections = (args: Args, inputs: Inputs) => {
    const first = (inputs.qkv ?? inputs.q)!;
    const [batch, seq] = first.shape as [number, number, number];
    return { first, batch, seq, packed: inputs.qkv !== undefined, k: optional(args, inputs.k), v: optional(args, inputs.v) };
  };

  const forward = (args: Args): TensorInfo[] => {
    const inputs = args.inputs as Inputs;
    const a = args.attrs as unknown as FusedAttentionAttrs;
    const { first, batch, seq, packed, k, v } = projections(args, inputs);
    const ctxShape = [batch, seq, a.numHeads * a.headDim];
    const ctx = alloc(args, size(ctxShape));
    const probs = alloc(args, batch * a.numHeads * seq * seq);
    if (ctx.length > 0) {
      addon.attentionForward(valuesOf(be(args), first), k, v, optional(args, inputs.cos), optional(args, inputs.sin), optional(args, inputs.keyMask), ctx, probs, dims(batch, seq, a, packed), a.scale, a.cap);
    }
    return [out(args, ctxShape, ctx), out(args, [batch, a.numHeads, seq, seq], probs)];
  };

  const backward = (args: Args): TensorInfo[] => {
    const inputs = args.inputs as Inputs;
    const a = args.attrs as unknown as FusedAttentionAttrs;
    const { first, batch, seq, packed, k, v } = projections(args, inputs);
    const values = (t: TensorInfo) => valuesOf(be(args), t);
    const grads = [first, ...(packed ? [] : [inputs.k!, inputs.v!])].map((t) => ({ shape: t.shape, values: alloc(args, size(t.shape)) }));
    if (grads[0]!.values.length > 0) {
      const [dq, dk, dv] = grads.map((g) => g.values);
      addon.attentionBackward(values(first), k, v, optional(args, inputs.cos), optional(args, inputs.sin), values(inputs.probs!), values(inputs.dy!), dq!, dk ?? null, dv ?? null, dims(batch, seq, a, packed), a.scale, a.cap);
    }
    return grads.map((g) => out(args, g.shape, g.values));
  };

  const kernels: NativeKernel[] = [
    [FUSED_ATTENTION, forward],
    [FUSED_ATTENTION_GRAD, backward],
  ];
  return kernels;
}
