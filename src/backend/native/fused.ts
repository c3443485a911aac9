/** The workbench's fused layer kernels (linear, attention softmax, activation, norm, each with its gradient): exist only on the native backend. */
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, be, out, size, valuesOf, type Args, type NativeKernel } from "./kernel.js";

/** Fused row normalisation (LayerNorm when center, else RMSNorm): inputs x, w[, b]; outputs y, mean, rstd. */
export const FUSED_NORM = "LlavaMoreNorm";
/** Its gradient: inputs x, w, dy, mean, rstd; outputs dx, dw[, db]. */
export const FUSED_NORM_GRAD = "LlavaMoreNormGrad";

/** Fused activation (attr kind: 0 GELU, 1 GELU-tanh, 2 quick-GELU, 3 SiLU): input x; output y. */
export const FUSED_ACTIVATION = "LlavaMoreActivation";
/** Its gradient: inputs x, dy; output dx. */
export const FUSED_ACTIVATION_GRAD = "LlavaMoreActivationGrad";

/** Gated activation act(gate) ⊙ up (attr kind as above): inputs gate, up; output y. Same bits as the activation and the product apart. */
export const FUSED_GATED_ACTIVATION = "LlavaMoreGatedActivation";
/** Its gradient: inputs gate, up, dy; outputs dgate, dup. */
export const FUSED_GATED_ACTIVATION_GRAD = "LlavaMoreGatedActivationGrad";

/** Attention probabilities softmax(cap·tanh(s·scale/cap) + mask): inputs scores[, mask]; output probs. */
export const FUSED_ATTENTION_SOFTMAX = "LlavaMoreAttentionSoftmax";
/** Its gradient: inputs probs, dy, scores; output dscores. */
export const FUSED_ATTENTION_SOFTMAX_GRAD = "LlavaMoreAttentionSoftmaxGrad";

/** y = x·wᵀ (+ b) for x [rows, in], w [out, in]: inputs x, w[, b]; output y. */
export const FUSED_LINEAR = "LlavaMoreLinear";
/** Its gradient: inputs x, w, dy (attr bias); outputs dx, dw[, db]. */
export const FUSED_LINEAR_GRAD = "LlavaMoreLinearGrad";

export function fusedKernels(addon: NativeAddon): NativeKernel[] {
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

  const gated = (args: Args): TensorInfo => {
    const { gate, up } = args.inputs as { gate: TensorInfo; up: TensorInfo };
    const y = alloc(args, size(gate.shape));
    addon.gatedActivation((args.attrs as { kind: number }).kind, valuesOf(be(args), gate), valuesOf(be(args), up), y);
    return out(args, gate.shape, y);
  };
  const gatedGrad = (args: Args): TensorInfo[] => {
    const { gate, up, dy } = args.inputs as { gate: TensorInfo; up: TensorInfo; dy: TensorInfo };
    const [dg, du] = [alloc(args, size(gate.shape)), alloc(args, size(gate.shape))];
    addon.gatedActivationGrad((args.attrs as { kind: number }).kind, valuesOf(be(args), gate), valuesOf(be(args), up), valuesOf(be(args), dy), dg, du);
    return [out(args, gate.shape, dg), out(args, gate.shape, du)];
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

  const kernels: NativeKernel[] = [
    [FUSED_LINEAR, linear],
    [FUSED_LINEAR_GRAD, linearGrad],
    [FUSED_ATTENTION_SOFTMAX, attentionSoftmax],
    [FUSED_ATTENTION_SOFTMAX_GRAD, attentionSoftmaxGrad],
    [FUSED_ACTIVATION, activation],
    [FUSED_ACTIVATION_GRAD, activationGrad],
    [FUSED_GATED_ACTIVATION, gated],
    [FUSED_GATED_ACTIVATION_GRAD, gatedGrad],
    [FUSED_NORM, norm],
    [FUSED_NORM_GRAD, normGrad],
  ];
  return kernels;
}
