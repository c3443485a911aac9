/**
 * Multi-head / grouped-query self-attention with RoPE, causal and sliding-window masks, an optional
 * logit soft-cap (Gemma 2), a fused QKV projection (Phi-3) and a key-value cache for generation.
 *
 *   scores = (q kᵀ) · scale,  [optionally cap · tanh(scores / cap)],  + mask,  softmax,  · v
 */
import * as tf from "@tensorflow/tfjs";
import {
  bitChangingFusionsAllowed,
  FUSED_ATTENTION,
  FUSED_ATTENTION_GRAD,
  FUSED_ATTENTION_SOFTMAX,
  FUSED_ATTENTION_SOFTMAX_GRAD,
  hasKernels,
  type FusedAttentionAttrs,
} from "../../backend/native.js";
import { Module, type Rng } from "../module.js";
import { Linear, matMulWeight } from "./linear.js";
import { applyRope } from "./rope.js";

export interface AttentionConfig {
  hidden: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Bias on the q, k, v projections (ViTs) — the output projection follows `outBias`. */
  qkvBias: boolean;
  outBias: boolean;
  /** One qkv_proj of width (H + 2·H_kv)·d instead of q_proj, k_proj, v_proj (Phi-3). */
  fusedQkv: boolean;
  causal: boolean;
  /** Each query sees only the last `slidingWindow` keys, itself included (Gemma 2 local layers). */
  slidingWindow?: number;
  /** Attention logit soft-cap (Gemma 2: 50). */
  softcap?: number;
  /** Multiplier of q kᵀ; default 1/√head_dim. */
  scale?: number;
  /** Names of the projections: LLMs use q_proj… o_proj, CLIP/SigLIP out_proj, DINOv2 its own. */
  names?: { q: string; k: string; v: string; o: string; qkv?: string };
}

/** CLIP-style projection names (q_proj, k_proj, v_proj, out_proj). */
export const CLIP_ATTENTION_NAMES = { q: "q_proj", k: "k_proj", v: "v_proj", o: "out_proj" } as const;

/**
 * Plain multi-head attention as ViTs and small text transformers have it: every head its own keys
 * and values, biases on all projections, separate q/k/v.
 */
export function multiHeadAttentionConfig(hidden: number, numHeads: number, causal: boolean, names: AttentionConfig["names"] = CLIP_ATTENTION_NAMES): AttentionConfig {
  return { hidden, numHeads, numKvHeads: numHeads, headDim: hidden / numHeads, qkvBias: true, outBias: true, fusedQkv: false, causal, names };
}

/** The keys and values seen so far by one layer: [B, H_kv, T, head_dim]. */
export interface LayerCache {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export interface AttentionInputs {
  /** RoPE tables for the positions of x (absent for ViTs). */
  rope?: { cos: tf.Tensor2D; sin: tf.Tensor2D };
  /** Cache of this layer, updated in place with the new keys and values (generation). */
  cache?: { layer?: LayerCache };
  /** [B, T_k] 1 for real tokens, 0 for padding. */
  keyMask?: tf.Tensor2D;
}

const NEG = -1e9;

/** Additive mask [T_q, T_k] for queries at positions offset … offset+T_q−1 over keys 0 … T_k−1. */
export function attentionMask(tq: number, tk: number, offset: number, causal: boolean, window?: number): tf.Tensor2D | undefined {
  if (!causal && window === undefined) return undefined;
  const m = new Float32Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    const q = offset + i;
    for (let j = 0; j < tk; j++) {
      const blocked = (causal && j > q) || (window !== undefined && q - j >= window);
      if (blocked) m[i * tk + j] = NEG;
    }
  }
  return tf.tensor2d(m, [tq, tk]);
}

/** softmax(cap·tanh(raw·scale/cap) + mask) as one kernel and one gradient kernel, where the backend has them. */
function fusedAttentionSoftmax(raw: tf.Tensor, mask: tf.Tensor2D | undefined, scale: number, softcap: number | undefined): tf.Tensor | undefined {
  if (!hasKernels(FUSED_ATTENTION_SOFTMAX, FUSED_ATTENTION_SOFTMAX_GRAD)) return undefined;
  const attrs = { scale, cap: softcap ?? 0 };
  const engine = tf.engine();
  const op = tf.customGrad(((scores: tf.Tensor, save: tf.GradSaveFunc) => {
    const probs = engine.runKernel(FUSED_ATTENTION_SOFTMAX, { scores, ...(mask ? { mask } : {}) }, attrs) as tf.Tensor;
    save([probs, scores]);
    return {
      value: probs,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        engine.runKernel(FUSED_ATTENTION_SOFTMAX_GRAD, { probs: saved[0]!, dy: dy as tf.Tensor, scores: saved[1]! }, attrs) as tf.Tensor,
    };
  }) as never) as (scores: tf.Tensor) => tf.Tensor;
  return op(raw);
}

/** Whether a forward pass runs as one fused kernel: on the native backend, without a cache, outside portable-bits mode. */
function fusedAttentionApplies(inputs: AttentionInputs): boolean {
  return !inputs.cache && bitChangingFusionsAllowed() && hasKernels(FUSED_ATTENTION, FUSED_ATTENTION_GRAD);
}

/**
 * The whole attention of qkv [B, T, (H + 2·H_kv)·d] — the q, k and v projections side by side, as one
 * product makes them — as one kernel and one gradient kernel: RoPE, scores, masks, soft-cap, softmax
 * and the value product per (batch, key-value head), reading the projections where they are (no
 * split, no head transposes, no probabilities tensor between kernels) and writing their gradients
 * into one tensor, so the three projections' input gradient is one product, not three and two adds.
 */
function fusedAttention(qkv: tf.Tensor, c: AttentionConfig, inputs: AttentionInputs): tf.Tensor {
  const rope = inputs.rope;
  const attrs: FusedAttentionAttrs = {
    numHeads: c.numHeads,
    numKvHeads: c.numKvHeads,
    headDim: c.headDim,
    rotary: rope ? rope.cos.shape[1] : 0,
    causal: c.causal,
    window: c.slidingWindow ?? 0,
    scale: c.scale ?? 1 / Math.sqrt(c.headDim),
    cap: c.softcap ?? 0,
  };
  const keyMask = inputs.keyMask ? tf.cast(inputs.keyMask, "float32") : undefined;
  const engine = tf.engine();
  // cos and sin go through save(): the gradient runs after the forward pass's tidy has released them.
  const op = tf.customGrad(((packed: tf.Tensor, save: tf.GradSaveFunc) => {
    const [ctx, probs] = engine.runKernel(FUSED_ATTENTION, { qkv: packed, ...(rope ? { cos: rope.cos, sin: rope.sin } : {}), ...(keyMask ? { keyMask } : {}) }, { ...attrs }) as tf.Tensor[];
    save([packed, probs!, ...(rope ? [rope.cos, rope.sin] : [])]);
    return {
      value: ctx!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sqkv, probsSaved, cos, sin] = saved as [tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
        return engine.runKernel(FUSED_ATTENTION_GRAD, { qkv: sqkv, probs: probsSaved, dy: dy as tf.Tensor, ...(cos && sin ? { cos, sin } : {}) }, { ...attrs }) as tf.Tensor[];
      },
    };
  }) as never) as (qkv: tf.Tensor) => tf.Tensor;
  return op(qkv);
}

export class Attention extends Module {
  private readonly q?: Linear;
  private readonly k?: Linear;
  private readonly v?: Linear;
  private readonly qkv?: Linear;
  private readonly o: Linear;

  constructor(
    readonly config: AttentionConfig,
    rng: Rng,
  ) {
    super();
    const c = config;
    if (c.numHeads % c.numKvHeads !== 0) throw new Error(`numHeads ${c.numHeads} is not a multiple of numKvHeads ${c.numKvHeads}`);
    const names = c.names ?? { q: "q_proj", k: "k_proj", v: "v_proj", o: "o_proj", qkv: "qkv_proj" };
    const qDim = c.numHeads * c.headDim;
    const kvDim = c.numKvHeads * c.headDim;
    if (c.fusedQkv) {
      this.qkv = this.child(names.qkv ?? "qkv_proj", new Linear(c.hidden, qDim + 2 * kvDim, rng, { bias: c.qkvBias }));
    } else {
      this.q = this.child(names.q, new Linear(c.hidden, qDim, rng, { bias: c.qkvBias }));
      this.k = this.child(names.k, new Linear(c.hidden, kvDim, rng, { bias: c.qkvBias }));
      this.v = this.child(names.v, new Linear(c.hidden, kvDim, rng, { bias: c.qkvBias }));
    }
    this.o = this.child(names.o, new Linear(qDim, c.hidden, rng, { bias: c.outBias }));
  }

  /** q [B, T, H·d], k and v [B, T, H_kv·d]. */
  private projections(x: tf.Tensor3D): [tf.Tensor, tf.Tensor, tf.Tensor] {
    const c = this.config;
    if (!this.qkv) return [this.q!.forward(x), this.k!.forward(x), this.v!.forward(x)];
    const kvDim = c.numKvHeads * c.headDim;
    return tf.split(this.qkv.forward(x), [c.numHeads * c.headDim, kvDim, kvDim], -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
  }

  /** q, k and v side by side [B, T, (H + 2·H_kv)·d]: one product, separate projections' weights concatenated. */
  private packedProjections(x: tf.Tensor3D): tf.Tensor {
    if (this.qkv) return this.qkv.forward(x);
    const [q, k, v] = [this.q!, this.k!, this.v!];
    const bias = q.bias && k.bias && v.bias ? tf.concat([q.bias, k.bias, v.bias]) : undefined;
    return matMulWeight(x, tf.concat([q.weight, k.weight, v.weight]), bias);
  }

  /** x [B, T, hidden] -> [B, T, hidden]. */
  forward(x: tf.Tensor3D, inputs: AttentionInputs = {}): tf.Tensor3D {
    if (fusedAttentionApplies(inputs)) return tf.tidy(() => this.o.forward(fusedAttention(this.packedProjections(x), this.config, inputs)) as tf.Tensor3D);
    const c = this.config;
    const [b, t] = x.shape;
    const heads = (y: tf.Tensor, n: number) => tf.transpose(tf.reshape(y, [b, t, n, c.headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
    const result = tf.tidy(() => {
      const [qs, ks, vs] = this.projections(x);
      let [q, k, v] = [heads(qs, c.numHeads), heads(ks, c.numKvHeads), heads(vs, c.numKvHeads)];
      if (inputs.rope) {
        q = applyRope(q, inputs.rope.cos, inputs.rope.sin);
        k = applyRope(k, inputs.rope.cos, inputs.rope.sin);
      }
      const past = inputs.cache?.layer;
      const offset = past ? past.k.shape[2] : 0;
      if (past) {
        k = tf.concat([past.k, k], 2) as tf.Tensor4D;
        v = tf.concat([past.v, v], 2) as tf.Tensor4D;
      }
      const newCache = inputs.cache ? { k: tf.keep(k), v: tf.keep(v) } : undefined;
      const rep = c.numHeads / c.numKvHeads;
      const tk = k.shape[2];
      // Grouped-query attention without copying keys and values: query head h reads key-value head
      // ⌊h / rep⌋ (Hugging Face repeat_kv), so the rep query heads of a group are stacked along the
      // query axis and multiplied with their group's keys in one batched product. (tf.tile of the
      // keys, the obvious way, is a slow generic kernel: 90% of a decoding step.)
      const grouped = (y: tf.Tensor, rows: number): tf.Tensor4D => (rep === 1 ? (y as tf.Tensor4D) : (tf.reshape(y, [b, c.numKvHeads, rep * rows, y.shape[3]!]) as tf.Tensor4D));
      const raw = tf.reshape(tf.matMul(grouped(q, t), k, false, true), [b, c.numHeads, t, tk]);
      const mask = attentionMask(t, tk, offset, c.causal, c.slidingWindow);
      const scale = c.scale ?? 1 / Math.sqrt(c.headDim);
      let probs = inputs.keyMask ? undefined : fusedAttentionSoftmax(raw, mask, scale, c.softcap);
      if (!probs) {
        let scores: tf.Tensor = tf.mul(raw, scale);
        if (c.softcap !== undefined) scores = tf.mul(tf.tanh(tf.div(scores, c.softcap)), c.softcap);
        if (mask) scores = tf.add(scores, mask);
        if (inputs.keyMask) scores = tf.add(scores, tf.reshape(tf.mul(tf.sub(1, inputs.keyMask), NEG), [b, 1, 1, tk]));
        probs = tf.softmax(scores);
      }
      const context = tf.reshape(tf.matMul(grouped(probs, t), v), [b, c.numHeads, t, c.headDim]);
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [b, t, c.numHeads * c.headDim]);
      return { out: this.o.forward(merged) as tf.Tensor3D, newCache };
    });
    if (inputs.cache) {
      if (inputs.cache.layer) {
        inputs.cache.layer.k.dispose();
        inputs.cache.layer.v.dispose();
      }
      inputs.cache.layer = result.newCache;
    }
    return result.out;
  }
}
