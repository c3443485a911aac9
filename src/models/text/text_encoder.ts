/**
 * The text tower of the contrastive objectives (CLIP, SigLIP, SigLIP 2), a pre-LN transformer with
 * learned positions, named as Hugging Face's CLIPTextModel / SiglipTextModel:
 *
 *   h₀ = token_embedding(ids) + position_embedding[0…T−1]
 *   hₗ₊₁ = hₗ + attn(LN₁ hₗ);  hₗ₊₁ += mlp(LN₂ hₗ₊₁)          (attention causal for CLIP only)
 *   CLIP:   text embedding = text_projection(final_LN(h_L)[end-of-text position])
 *   SigLIP: text embedding = head(final_LN(h_L)[last position])   (captions padded to the context)
 */
import * as tf from "@tensorflow/tfjs";
import type { Preset } from "../../presets.js";
import { Module, ModuleList, Rng } from "../module.js";
import type { Activation } from "../nn/activations.js";
import { Attention, multiHeadAttentionConfig } from "../nn/attention.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { Mlp } from "../nn/mlp.js";
import { LayerNorm } from "../nn/norm.js";
import { oneHotFloat } from "../nn/ops.js";
import type { CaptionTokenizer } from "./caption_tokenizer.js";

/** `clip`: causal, [SOT] text [EOT] pooled at EOT. `siglip`: bidirectional, text [EOT] padded to the context, pooled at the last position. */
export type TextStyle = "clip" | "siglip";

export interface TextEncoderConfig {
  style: TextStyle;
  preset: Preset;
  vocabSize: number;
  /** Tokens per caption, specials included; longer captions are truncated. */
  contextLength: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  activation: Activation;
  normEps: number;
  /** Width of the shared image–text embedding space. */
  projectionDim: number;
  sotId: number;
  eotId: number;
  padId: number;
}

/**
 * Per preset: tokenizer vocabulary, context and transformer size. The real towers (CLIP-L text:
 * d 768 × 12, context 77; SigLIP SO400M text: d 1152 × 27, context 64) scaled like the vision towers;
 * `small` keeps SigLIP's 64-token context, which holds every short and noisy caption and about 60%
 * of the dense ones whole (the rest lose their last sentences).
 */
export const TEXT_PRESETS: Record<Preset, { vocabSize: number; contextLength: number; hidden: number; layers: number; heads: number }> = {
  tiny: { vocabSize: 400, contextLength: 32, hidden: 32, layers: 2, heads: 2 },
  small: { vocabSize: 1000, contextLength: 64, hidden: 128, layers: 4, heads: 4 },
  base: { vocabSize: 4000, contextLength: 64, hidden: 256, layers: 8, heads: 8 },
};

const STYLE_QUIRKS: Record<TextStyle, { activation: Activation; normEps: number }> = {
  clip: { activation: "quick_gelu", normEps: 1e-5 },
  siglip: { activation: "gelu_tanh", normEps: 1e-6 },
};

/** The text tower of `style` at `preset`, sized to the trained tokenizer's actual vocabulary. */
export function textEncoderConfig(style: TextStyle, preset: Preset, tokenizer: CaptionTokenizer, projectionDim: number): TextEncoderConfig {
  const p = TEXT_PRESETS[preset];
  return {
    style,
    preset,
    vocabSize: tokenizer.vocabSize,
    contextLength: p.contextLength,
    hiddenSize: p.hidden,
    numLayers: p.layers,
    numHeads: p.heads,
    intermediateSize: 4 * p.hidden,
    ...STYLE_QUIRKS[style],
    projectionDim,
    sotId: tokenizer.sot,
    eotId: tokenizer.eot,
    padId: tokenizer.pad,
  };
}

/** Token ids of a batch of captions, row-major [batch, length], and the position each row is pooled at. */
export interface TokenizedTexts {
  ids: Int32Array;
  batch: number;
  length: number;
  pool: number[];
}

/**
 * CLIP: [SOT] tokens [EOT], padded to the longest row (the causal mask keeps EOT blind to the pads).
 * SigLIP: tokens [EOT] padded to the full context, as SigLIP was trained (padding="max_length").
 */
export function tokenizeTexts(config: TextEncoderConfig, tokenizer: CaptionTokenizer, texts: readonly string[]): TokenizedTexts {
  const ctx = config.contextLength;
  const rows = texts.map((text) => {
    const body = tokenizer.encode(text);
    return config.style === "clip" ? [config.sotId, ...body.slice(0, ctx - 2), config.eotId] : [...body.slice(0, ctx - 1), config.eotId];
  });
  const length = config.style === "clip" ? Math.max(1, ...rows.map((r) => r.length)) : ctx;
  const ids = new Int32Array(rows.length * length).fill(config.padId);
  rows.forEach((r, i) => ids.set(r, i * length));
  const pool = rows.map((r) => (config.style === "clip" ? r.length - 1 : length - 1));
  return { ids, batch: rows.length, length, pool };
}

class TextEmbeddings extends Module {
  readonly token: Embedding;
  readonly position: Embedding;
  constructor(c: TextEncoderConfig, rng: Rng) {
    super();
    this.token = this.child("token_embedding", new Embedding(c.vocabSize, c.hiddenSize, rng, 0.02));
    this.position = this.child("position_embedding", new Embedding(c.contextLength, c.hiddenSize, rng, 0.01));
  }
  forward(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [, t] = ids.shape;
      return tf.add(this.token.forward(ids), tf.slice(this.position.weight, [0, 0], [t, -1])) as tf.Tensor3D;
    });
  }
}

class TextEncoderLayer extends Module {
  private readonly attn: Attention;
  private readonly norm1: LayerNorm;
  private readonly mlp: Mlp;
  private readonly norm2: LayerNorm;
  constructor(c: TextEncoderConfig, rng: Rng) {
    super();
    const d = c.hiddenSize;
    this.norm1 = this.child("layer_norm1", new LayerNorm(d, c.normEps, rng));
    this.attn = this.child("self_attn", new Attention(multiHeadAttentionConfig(d, c.numHeads, c.style === "clip"), rng));
    this.norm2 = this.child("layer_norm2", new LayerNorm(d, c.normEps, rng));
    this.mlp = this.child("mlp", new Mlp(d, c.intermediateSize, c.activation, rng));
  }
  forward(h: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const mid = tf.add(h, this.attn.forward(this.norm1.forward(h) as tf.Tensor3D));
      return tf.add(mid, this.mlp.forward(this.norm2.forward(mid))) as tf.Tensor3D;
    });
  }
}

class TextTransformer extends Module {
  readonly embeddings: TextEmbeddings;
  readonly layers: ModuleList<TextEncoderLayer>;
  readonly finalNorm: LayerNorm;
  /** SigLIP's projection of the pooled token into the shared space. */
  readonly head?: Linear;
  constructor(c: TextEncoderConfig, rng: Rng) {
    super();
    if (c.hiddenSize % c.numHeads !== 0) throw new Error(`text hidden size ${c.hiddenSize} is not a multiple of ${c.numHeads} heads`);
    this.embeddings = this.child("embeddings", new TextEmbeddings(c, rng));
    this.layers = this.child("encoder.layers", new ModuleList(Array.from({ length: c.numLayers }, () => new TextEncoderLayer(c, rng))));
    this.finalNorm = this.child("final_layer_norm", new LayerNorm(c.hiddenSize, c.normEps, rng));
    if (c.style === "siglip") this.head = this.child("head", new Linear(c.hiddenSize, c.projectionDim, rng, { bias: true }));
  }
}

/** The text tower with its projection into the shared space (CLIP's text_projection, SigLIP's head). */
export class TextEncoder extends Module {
  private readonly textModel: TextTransformer;
  private readonly projection?: Linear;

  constructor(
    readonly config: TextEncoderConfig,
    rng: Rng,
  ) {
    super();
    this.textModel = this.child("text_model", new TextTransformer(config, rng));
    if (config.style === "clip") this.projection = this.child("text_projection", new Linear(config.hiddenSize, config.projectionDim, rng));
  }

  /** Final-LN hidden states of every token: [B, T, d]. */
  lastHidden(ids: tf.Tensor2D): tf.Tensor3D {
    const [, t] = ids.shape;
    if (t > this.config.contextLength) throw new Error(`${t} tokens exceed the text context of ${this.config.contextLength}`);
    return tf.tidy(() => {
      let h = this.textModel.embeddings.forward(ids);
      for (const layer of this.textModel.layers.items) h = layer.forward(h);
      return this.textModel.finalNorm.forward(h) as tf.Tensor3D;
    });
  }

  /** Text embeddings in the shared space, not normalised: [B, projectionDim]. */
  forward(texts: TokenizedTexts): tf.Tensor2D {
    return tf.tidy(() => {
      const ids = tf.tensor2d(texts.ids, [texts.batch, texts.length], "int32");
      const hidden = this.lastHidden(ids);
      // Pooling as a one-hot weighted sum: a gather's gradient fails on the WebAssembly backend.
      const select = tf.reshape(oneHotFloat(tf.tensor1d(texts.pool, "int32"), texts.length), [texts.batch, texts.length, 1]);
      const pooled = tf.sum(tf.mul(hidden, select), 1);
      const head = this.textModel.head ?? this.projection!;
      return head.forward(pooled) as tf.Tensor2D;
    });
  }
}
