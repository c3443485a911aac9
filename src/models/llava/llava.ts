/**
 * The LLaVA model: projected image features replace the <image> placeholder in the token sequence
 * of the LLM; labels are IGNORE (−100) on the image tokens and wherever the caller masked them.
 * The vision tower is frozen in both stages of the protocol, so the model takes tower features
 * (computed once and cached) rather than pixels; `VisionTower.features` or `s2Features` produce them.
 */
import * as tf from "@tensorflow/tfjs";
import { Module } from "../module.js";
import { CausalLM, IGNORE_INDEX, causalLmLoss, type GenerateOptions } from "../llm/decoder.js";
import { Projector, type ProjectorType } from "./projector.js";

/** The placeholder id of <image> in token sequences, as in the LLaVA code base. */
export const IMAGE_TOKEN_INDEX = -200;

export interface LlavaSample {
  /** Token ids with exactly one IMAGE_TOKEN_INDEX where the image goes (or none for text-only). */
  ids: number[];
  /** Same length as ids: the target id, or IGNORE_INDEX where no loss is taken. */
  labels: number[];
}

export interface LlavaBatch {
  embeddings: tf.Tensor3D;
  labels: tf.Tensor2D;
  /** 1 for real positions, 0 for right padding. */
  keyMask: tf.Tensor2D;
}

export type LlavaComponent = "vision" | "projector" | "llm";

export class LlavaModel extends Module {
  readonly projector: Projector;
  readonly llm: CausalLM;

  constructor(llm: CausalLM, projectorType: ProjectorType, visionDim: number, seed = 0) {
    super();
    this.llm = this.child("", llm);
    this.projector = this.child("model.mm_projector", new Projector(projectorType, visionDim, llm.config.hiddenSize, seed));
  }

  /** Trainable or frozen by component: stage 1 trains the projector only, stage 2 projector and LLM. */
  setTrainableComponents(trainable: Partial<Record<Exclude<LlavaComponent, "vision">, boolean>>): void {
    if (trainable.projector !== undefined) this.projector.setTrainable(trainable.projector);
    if (trainable.llm !== undefined) this.llm.setTrainable(trainable.llm);
  }

  /**
   * Input embeddings, labels and padding mask for a batch: each sample's text embeddings with its
   * image's projected features spliced in at the placeholder, right-padded to the longest sample.
   * `imageFeatures` [B, N, d_vis] holds one image per sample.
   */
  buildBatch(samples: readonly LlavaSample[], imageFeatures: tf.Tensor3D | undefined): LlavaBatch {
    if (samples.length === 0) throw new Error("buildBatch: no samples");
    if (imageFeatures && imageFeatures.shape[0] !== samples.length) {
      throw new Error(`buildBatch: ${samples.length} samples but ${imageFeatures.shape[0]} images`);
    }
    const n = imageFeatures?.shape[1] ?? 0;
    const d = this.llm.config.hiddenSize;
    const layout = samples.map((s, i) => {
      if (s.ids.length !== s.labels.length) throw new Error(`sample ${i}: ${s.ids.length} ids but ${s.labels.length} labels`);
      const at = s.ids.indexOf(IMAGE_TOKEN_INDEX);
      if (at >= 0 && s.ids.indexOf(IMAGE_TOKEN_INDEX, at + 1) >= 0) throw new Error(`sample ${i}: more than one <image> placeholder`);
      if (at >= 0 && !imageFeatures) throw new Error(`sample ${i} has an <image> placeholder but no image features were given`);
      return { at, length: s.ids.length + (at >= 0 ? n - 1 : 0) };
    });
    const maxLength = Math.max(...layout.map((l) => l.length));
    if (maxLength > this.llm.config.maxPositions) throw new Error(`a sample of ${maxLength} positions exceeds the LLM's ${this.llm.config.maxPositions}`);
    return tf.tidy(() => {
      const projected = imageFeatures ? this.projector.forward(imageFeatures) : undefined;
      const rows: tf.Tensor2D[] = [];
      const labels: number[][] = [];
      const mask: number[][] = [];
      samples.forEach((s, i) => {
        const { at, length } = layout[i]!;
        const text = s.ids.filter((id) => id !== IMAGE_TOKEN_INDEX);
        const emb = tf.reshape(this.llm.embed(tf.tensor2d([text], [1, text.length], "int32")), [text.length, d]) as tf.Tensor2D;
        const parts: tf.Tensor2D[] = [];
        let rowLabels: number[];
        if (at >= 0) {
          if (at > 0) parts.push(tf.slice(emb, [0, 0], [at, d]));
          parts.push(tf.reshape(tf.slice(projected!, [i, 0, 0], [1, n, d]), [n, d]) as tf.Tensor2D);
          if (at < text.length) parts.push(tf.slice(emb, [at, 0], [text.length - at, d]));
          rowLabels = [...s.labels.slice(0, at), ...Array<number>(n).fill(IGNORE_INDEX), ...s.labels.slice(at + 1)];
        } else {
          parts.push(emb);
          rowLabels = [...s.labels];
        }
        const pad = maxLength - length;
        if (pad > 0) parts.push(tf.zeros([pad, d]));
        rows.push(tf.concat(parts, 0) as tf.Tensor2D);
        labels.push([...rowLabels, ...Array<number>(pad).fill(IGNORE_INDEX)]);
        mask.push([...Array<number>(length).fill(1), ...Array<number>(pad).fill(0)]);
      });
      return {
        embeddings: tf.stack(rows) as tf.Tensor3D,
        labels: tf.tensor2d(labels, [samples.length, maxLength], "int32"),
        keyMask: tf.tensor2d(mask, [samples.length, maxLength], "float32"),
      };
    });
  }

  /** Mean next-token loss over the supervised tokens of the batch. */
  loss(samples: readonly LlavaSample[], imageFeatures: tf.Tensor3D | undefined): tf.Scalar {
    return tf.tidy(() => {
      const batch = this.buildBatch(samples, imageFeatures);
      // Right padding needs no key mask for a causal LM: real positions never attend to later ones.
      return causalLmLoss(this.llm.forwardEmbeddings(batch.embeddings), batch.labels);
    });
  }

  /** Greedy answer to one prompt (ids with the image placeholder) about one image [1, N, d_vis]. */
  generate(promptIds: number[], imageFeatures: tf.Tensor3D | undefined, options: GenerateOptions): number[] {
    const prefix = tf.tidy(() => this.buildBatch([{ ids: promptIds, labels: promptIds.map(() => IGNORE_INDEX) }], imageFeatures).embeddings);
    try {
      return this.llm.generateFromEmbeddings(prefix, options);
    } finally {
      prefix.dispose();
    }
  }
}
