/**
 * LocCa's captioning decoder (Wan et al. 2024, used by SigLIP 2): a small pre-LN transformer decoder
 * whose tokens attend causally to each other and, by cross-attention, to every patch token of the
 * vision tower. It is trained with teacher forcing on "prompt → target" pairs (a caption, a
 * referring expression → where the object is, a place → what is there) and dropped after
 * pretraining; its gradient is what shapes the tower's patch tokens.
 *
 *   h₀ = embed_tokens(ids) + embed_positions[0…T−1]
 *   hₗ₊₁ = hₗ + self_attn(LN hₗ) (causal);  += encoder_attn(LN ·, patches);  += fc2(act(fc1(LN ·)))
 *   logits = LN(h_L) · embed_tokensᵀ                                          (tied embeddings)
 */
import * as tf from "@tensorflow/tfjs";
import type { Preset } from "../../presets.js";
import { Module, ModuleList, Rng } from "../module.js";
import type { Activation } from "../nn/activations.js";
import { Attention, multiHeadAttentionConfig } from "../nn/attention.js";
import { Embedding } from "../nn/embedding.js";
import { Linear, matMulWeight } from "../nn/linear.js";
import { Mlp } from "../nn/mlp.js";
import { LayerNorm } from "../nn/norm.js";
import { oneHotFloat } from "../nn/ops.js";
import type { CaptionTokenizer } from "./caption_tokenizer.js";

export interface CaptionDecoderConfig {
  vocabSize: number;
  /** Tokens per sequence, start token included. */
  contextLength: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  activation: Activation;
  normEps: number;
  /** Width of the patch tokens it attends to. */
  encoderHiddenSize: number;
  sotId: number;
  eotId: number;
  padId: number;
}

/** Per preset: a decoder shallower than the text encoder (it is thrown away after pretraining). */
export const DECODER_PRESETS: Record<Preset, { contextLength: number; hidden: number; layers: number; heads: number }> = {
  tiny: { contextLength: 32, hidden: 32, layers: 1, heads: 2 },
  small: { contextLength: 64, hidden: 128, layers: 2, heads: 4 },
  base: { contextLength: 64, hidden: 256, layers: 4, heads: 8 },
};

export function captionDecoderConfig(preset: Preset, tokenizer: CaptionTokenizer, encoderHiddenSize: number): CaptionDecoderConfig {
  const p = DECODER_PRESETS[preset];
  return {
    vocabSize: tokenizer.vocabSize,
    contextLength: p.contextLength,
    hiddenSize: p.hidden,
    numLayers: p.layers,
    numHeads: p.heads,
    intermediateSize: 4 * p.hidden,
    activation: "gelu_tanh",
    normEps: 1e-6,
    encoderHiddenSize,
    sotId: tokenizer.sot,
    eotId: tokenizer.eot,
    padId: tokenizer.pad,
  };
}

/** Queries from the decoder, keys and values from the patch tokens: softmax(q kᵀ / √d_h) v. */
class CrossAttention extends Module {
  private readonly q: Linear;
  private readonly k: Linear;
  private readonly v: Linear;
  private readonly o: Linear;
  constructor(
    private readonly heads: number,
    hidden: number,
    memoryHidden: number,
    rng: Rng,
  ) {
    super();
    this.q = this.child("q_proj", new Linear(hidden, hidden, rng, { bias: true }));
    this.k = this.child("k_proj", new Linear(memoryHidden, hidden, rng, { bias: true }));
    this.v = this.child("v_proj", new Linear(memoryHidden, hidden, rng, { bias: true }));
    this.o = this.child("out_proj", new Linear(hidden, hidden, rng, { bias: true }));
  }
  forward(x: tf.Tensor3D, memory: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, d] = x.shape;
      const n = memory.shape[1];
      const hd = d / this.heads;
      const split = (y: tf.Tensor, len: number) => tf.transpose(tf.reshape(y, [b, len, this.heads, hd]), [0, 2, 1, 3]);
      const q = split(this.q.forward(x), t);
      const k = split(this.k.forward(memory), n);
      const v = split(this.v.forward(memory), n);
      const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)));
      const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b, t, d]);
      return this.o.forward(ctx) as tf.Tensor3D;
    });
  }
}

class DecoderLayer extends Module {
  private readonly selfAttn: Attention;
  private readonly selfNorm: LayerNorm;
  private readonly crossAttn: CrossAttention;
  private readonly crossNorm: LayerNorm;
  private readonly mlp: Mlp;
  private readonly mlpNorm: LayerNorm;
  constructor(c: CaptionDecoderConfig, rng: Rng) {
    super();
    const d = c.hiddenSize;
    this.selfNorm = this.child("self_attn_layer_norm", new LayerNorm(d, c.normEps, rng));
    this.selfAttn = this.child("self_attn", new Attention(multiHeadAttentionConfig(d, c.numHeads, true), rng));
    this.crossNorm = this.child("encoder_attn_layer_norm", new LayerNorm(d, c.normEps, rng));
    this.crossAttn = this.child("encoder_attn", new CrossAttention(c.numHeads, d, c.encoderHiddenSize, rng));
    this.mlpNorm = this.child("final_layer_norm", new LayerNorm(d, c.normEps, rng));
    this.mlp = this.child("", new Mlp(d, c.intermediateSize, c.activation, rng));
  }
  forward(h: tf.Tensor3D, memory: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let x = tf.add(h, this.selfAttn.forward(this.selfNorm.forward(h) as tf.Tensor3D)) as tf.Tensor3D;
      x = tf.add(x, this.crossAttn.forward(this.crossNorm.forward(x) as tf.Tensor3D, memory)) as tf.Tensor3D;
      return tf.add(x, this.mlp.forward(this.mlpNorm.forward(x))) as tf.Tensor3D;
    });
  }
}

/** One decoder task: the prompt is read, the target is predicted (then the end-of-text token). */
export interface DecoderExample {
  prompt: string;
  target: string;
}

/** Teacher-forcing batch, row-major [batch, length]: inputs, next-token targets, and 1 where a target is scored. */
export interface DecoderBatch {
  input: Int32Array;
  target: Int32Array;
  weight: Float32Array;
  batch: number;
  length: number;
}

/** [SOT] prompt target [EOT], cut to the context; only the target and EOT positions carry loss. */
export function decoderBatch(config: CaptionDecoderConfig, tokenizer: CaptionTokenizer, examples: readonly DecoderExample[]): DecoderBatch {
  const rows = examples.map(({ prompt, target }) => {
    const p = tokenizer.encode(prompt);
    const seq = [config.sotId, ...p, ...tokenizer.encode(target), config.eotId].slice(0, config.contextLength + 1);
    return { seq, firstTarget: 1 + p.length };
  });
  const length = Math.max(1, ...rows.map((r) => r.seq.length - 1));
  const input = new Int32Array(rows.length * length).fill(config.padId);
  const target = new Int32Array(rows.length * length).fill(config.padId);
  const weight = new Float32Array(rows.length * length);
  rows.forEach(({ seq, firstTarget }, i) => {
    for (let t = 0; t + 1 < seq.length; t++) {
      input[i * length + t] = seq[t]!;
      target[i * length + t] = seq[t + 1]!;
      if (t + 1 >= firstTarget) weight[i * length + t] = 1;
    }
  });
  return { input, target, weight, batch: rows.length, length };
}

export class CaptionDecoder extends Module {
  private readonly embedTokens: Embedding;
  private readonly embedPositions: Embedding;
  private readonly layers: ModuleList<DecoderLayer>;
  private readonly norm: LayerNorm;

  constructor(
    readonly config: CaptionDecoderConfig,
    seed = 0,
  ) {
    super();
    const rng = new Rng(seed);
    const c = config;
    if (c.hiddenSize % c.numHeads !== 0) throw new Error(`decoder hidden size ${c.hiddenSize} is not a multiple of ${c.numHeads} heads`);
    this.embedTokens = this.child("embed_tokens", new Embedding(c.vocabSize, c.hiddenSize, rng, 0.02));
    this.embedPositions = this.child("embed_positions", new Embedding(c.contextLength, c.hiddenSize, rng, 0.01));
    this.layers = this.child("layers", new ModuleList(Array.from({ length: c.numLayers }, () => new DecoderLayer(c, rng))));
    this.norm = this.child("layer_norm", new LayerNorm(c.hiddenSize, c.normEps, rng));
  }

  /** ids [B, T], patch tokens [B, N, d_vision] -> logits [B, T, V]. */
  forward(ids: tf.Tensor2D, memory: tf.Tensor3D): tf.Tensor3D {
    const [, t] = ids.shape;
    if (t > this.config.contextLength) throw new Error(`${t} tokens exceed the decoder context of ${this.config.contextLength}`);
    return tf.tidy(() => {
      let h = tf.add(this.embedTokens.forward(ids), tf.slice(this.embedPositions.weight, [0, 0], [t, -1])) as tf.Tensor3D;
      for (const layer of this.layers.items) h = layer.forward(h, memory);
      return matMulWeight(this.norm.forward(h), this.embedTokens.weight) as tf.Tensor3D;
    });
  }

  /** Mean next-token cross-entropy over the scored positions of `batch`. */
  loss(batch: DecoderBatch, memory: tf.Tensor3D): tf.Scalar {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.input, [batch.batch, batch.length], "int32");
      const logits = tf.reshape(this.forward(ids, memory), [batch.batch * batch.length, this.config.vocabSize]);
      const logp = tf.logSoftmax(logits);
      const picked = tf.sum(tf.mul(logp, oneHotFloat(tf.tensor1d(batch.target, "int32"), this.config.vocabSize)), 1);
      const weight = tf.tensor1d(batch.weight);
      return tf.div(tf.neg(tf.sum(tf.mul(picked, weight))), tf.maximum(tf.sum(weight), 1)) as tf.Scalar;
    });
  }

  /**
   * Greedy decoding of the target for one image's patch tokens [1, N, d] after `prompt`; stops at EOT.
   * Each token is read back asynchronously (WebGPU cannot read synchronously in Node).
   */
  async generate(tokenizer: CaptionTokenizer, memory: tf.Tensor3D, prompt: string, maxNewTokens = 24): Promise<string> {
    const ids = [this.config.sotId, ...tokenizer.encode(prompt)];
    const out: number[] = [];
    while (out.length < maxNewTokens && ids.length < this.config.contextLength) {
      const best = tf.tidy(() => {
        const logits = this.forward(tf.tensor2d([ids], [1, ids.length], "int32"), memory);
        return tf.argMax(tf.reshape(tf.slice(logits, [0, ids.length - 1, 0], [1, 1, -1]), [-1]));
      });
      let next: number;
      try {
        next = (await best.data())[0]!;
      } finally {
        best.dispose();
      }
      if (next === this.config.eotId) break;
      ids.push(next);
      out.push(next);
    }
    return tokenizer.decode(out);
  }
}
