/**
 * The text side of a text-aligned tower: the caption tokenizer, the text encoder, the image-side
 * projection (CLIP's visual_projection; SigLIP's image embedding is the attention-pooling head's
 * output, so it has none) and the learned logit scale (and SigLIP's bias). Parameters are named as
 * in Hugging Face's CLIPModel / SiglipModel without the vision_model part, which the tower holds.
 */
import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint, readConfig, saveCheckpoint } from "../checkpoint.js";
import { Module, Rng, constant } from "../module.js";
import { Linear } from "../nn/linear.js";
import type { VisionTower } from "../vision/vit.js";
import { CaptionTokenizer } from "./caption_tokenizer.js";
import { TextEncoder, tokenizeTexts, type TextEncoderConfig } from "./text_encoder.js";

/** `clip`: softmax (InfoNCE) loss, logit scale only. `siglip`: sigmoid loss, logit scale and bias. */
export type ContrastiveKind = "clip" | "siglip";

export interface TextSideConfig {
  model_type: ContrastiveKind;
  vision_hidden_size: number;
  projection_dim: number;
  text_config: TextEncoderConfig;
  /** Initial log logit scale (CLIP: log(1/0.07); SigLIP: t′) and SigLIP's initial bias b. */
  logit_scale_init_value: number;
  logit_bias_init_value?: number;
}

/**
 * The shared-space width and loss constants of each kind, for a tower of width `visionHidden`.
 * CLIP's scale starts at log(1/0.07); SigLIP's t′ and b at the paper's log 10 and −10 unless the
 * recipe says otherwise (siglip.ts explains why the lab's recipes do).
 */
export function textSideConfig(kind: ContrastiveKind, text: TextEncoderConfig, visionHidden: number, siglipInit: { logitScale?: number; logitBias?: number } = {}): TextSideConfig {
  const base = { vision_hidden_size: visionHidden, projection_dim: text.projectionDim, text_config: text };
  return kind === "clip"
    ? { model_type: "clip", ...base, logit_scale_init_value: Math.log(1 / 0.07) }
    : { model_type: "siglip", ...base, logit_scale_init_value: siglipInit.logitScale ?? Math.log(10), logit_bias_init_value: siglipInit.logitBias ?? -10 };
}

/** Each row divided by its L2 norm. */
export const l2normalize = (x: tf.Tensor2D): tf.Tensor2D => tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D);

/** Structurally a `TextSide` (train/objectives/objective.ts), without models/ importing from train/. */
export class ContrastiveTextSide extends Module {
  readonly encoder: TextEncoder;
  readonly visualProjection?: Linear;
  /** CLIP: the temperature's log, logits = exp(s)·cos. SigLIP: t′, logits = exp(t′)·cos + b. */
  readonly logitScale: tf.Variable;
  readonly logitBias?: tf.Variable;

  constructor(
    readonly config: TextSideConfig,
    readonly tokenizer: CaptionTokenizer,
    seed = 0,
  ) {
    super();
    const rng = new Rng(seed);
    const c = config;
    if (c.model_type === "siglip" && c.projection_dim !== c.vision_hidden_size) {
      throw new Error(`SigLIP's text head must map into the image embedding's width ${c.vision_hidden_size}, got ${c.projection_dim}`);
    }
    this.encoder = this.child("", new TextEncoder(c.text_config, rng));
    if (c.model_type === "clip") this.visualProjection = this.child("visual_projection", new Linear(c.vision_hidden_size, c.projection_dim, rng));
    this.logitScale = this.param("logit_scale", c.model_type === "clip" ? [] : [1], constant(c.logit_scale_init_value), rng);
    if (c.logit_bias_init_value !== undefined) this.logitBias = this.param("logit_bias", [1], constant(c.logit_bias_init_value), rng);
  }

  /** The tower's pooled output (CLS or attention pooling) into the shared space, not normalised. */
  projectImage(pooled: tf.Tensor2D): tf.Tensor2D {
    return this.visualProjection ? (this.visualProjection.forward(pooled) as tf.Tensor2D) : pooled;
  }

  /** Captions into the shared space, not normalised. */
  projectTexts(texts: readonly string[]): tf.Tensor2D {
    return this.encoder.forward(tokenizeTexts(this.config.text_config, this.tokenizer, texts));
  }

  embedImages(tower: VisionTower, images: tf.Tensor4D): tf.Tensor2D {
    if (tower.config.hiddenSize !== this.config.vision_hidden_size) {
      throw new Error(`this text side was trained with a ${this.config.vision_hidden_size}-wide tower, got ${tower.config.hiddenSize}`);
    }
    return tf.tidy(() => l2normalize(this.projectImage(tower.pooled(images))));
  }

  embedTexts(texts: readonly string[]): tf.Tensor2D {
    const chunk = 256;
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      for (let i = 0; i < texts.length; i += chunk) parts.push(l2normalize(this.projectTexts(texts.slice(i, i + chunk))));
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
    });
  }

  save(dir: string): void {
    saveCheckpoint(dir, this, this.config);
    this.tokenizer.save(dir);
  }
}

/** Rebuilds a text side written by `ContrastiveTextSide.save`. */
export function loadTextSide(dir: string, kind?: ContrastiveKind): ContrastiveTextSide {
  const config = readConfig<TextSideConfig>(dir);
  if (config.model_type !== "clip" && config.model_type !== "siglip") throw new Error(`${dir}: config.json is not a text side (model_type "${String(config.model_type)}")`);
  if (kind && config.model_type !== kind) throw new Error(`${dir}: holds a ${config.model_type} text side, expected ${kind}`);
  const tokenizer = CaptionTokenizer.load(dir);
  if (tokenizer.vocabSize !== config.text_config.vocabSize) throw new Error(`${dir}: tokenizer.json has ${tokenizer.vocabSize} tokens, config.json expects ${config.text_config.vocabSize}`);
  const side = new ContrastiveTextSide(config, tokenizer);
  loadCheckpoint(dir, side);
  return side;
}
