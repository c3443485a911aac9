/**
 * The LLaVA model: projected image features replace the <image> placeholder in the token sequence
 * of the LLM; labels are IGNORE (−100) on the image tokens and wherever the caller masked them.
 * The vision tower is frozen in both stages of the protocol, so the model takes tower features
 * (computed once and cached) rather than pixels; `VisionTower.features` or `s2Features` produce them.
 */
import * as tf from "@tensorflow/tfjs";
import { Module } from "../module.js";
import { CausalLM, IGNORE_INDEX, causalLmLoss, type GenerateOptions } from "../llm/decoder.js";
import { Projector, type ProjectorInit, type ProjectorType } from "./projector.js";

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
  /** 1 for real positions, 0 for padding (on the right in `buildBatch`). */
  keyMask: tf.Tensor2D;
}

export type LlavaComponent = "vision" | "projector" | "llm";

export class LlavaModel extends Module {
  readonly projector: Projector;
  readonly llm: CausalLM;

  constructor(llm: CausalLM, projectorType: ProjectorType, visionDim: number, seed = 0, projectorInit: ProjectorInit = "normal") {
    super();
    this.llm = this.child("", llm);
    this.projector = this.child("model.mm_projector", new Projector(projectorType, visionDim, llm.config.hiddenSize, seed, projectorInit));
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
    return this.paddedBatch("buildBatch", samples, imageFeatures, "right");
  }

  /**
   * The samples' rows (`sampleRows`) zero-padded to the longest: on the right for training (a causal
   * LM needs no mask then), on the left for batched generation (every row ends at its last token).
   */
  private paddedBatch(caller: string, samples: readonly LlavaSample[], imageFeatures: tf.Tensor3D | undefined, side: "left" | "right"): LlavaBatch {
    const lengths = this.sampleLengths(caller, samples, imageFeatures);
    const maxLength = Math.max(...lengths);
    if (maxLength > this.llm.config.maxPositions) throw new Error(`a sample of ${maxLength} positions exceeds the LLM's ${this.llm.config.maxPositions}`);
    const d = this.llm.config.hiddenSize;
    return tf.tidy(() => {
      const { rows, labels } = this.sampleRows(samples, imageFeatures);
      const padded: tf.Tensor2D[] = [];
      const paddedLabels: number[][] = [];
      const mask: number[][] = [];
      rows.forEach((row, i) => {
        const length = lengths[i]!;
        const pad = maxLength - length;
        const zeros = pad > 0 ? [tf.zeros([pad, d]) as tf.Tensor2D] : [];
        const ignore = Array<number>(pad).fill(IGNORE_INDEX);
        const real = Array<number>(length).fill(1);
        const none = Array<number>(pad).fill(0);
        if (side === "right") {
          padded.push(zeros.length ? (tf.concat([row, ...zeros], 0) as tf.Tensor2D) : row);
          paddedLabels.push([...labels[i]!, ...ignore]);
          mask.push([...real, ...none]);
        } else {
          padded.push(zeros.length ? (tf.concat([...zeros, row], 0) as tf.Tensor2D) : row);
          paddedLabels.push([...ignore, ...labels[i]!]);
          mask.push([...none, ...real]);
        }
      });
      return {
        embeddings: tf.stack(padded) as tf.Tensor3D,
        labels: tf.tensor2d(paddedLabels, [samples.length, maxLength], "int32"),
        keyMask: tf.tensor2d(mask, [samples.length, maxLength], "float32"),
      };
    });
  }

  /** Checks the samples against the images; each sample's length once its placeholder holds N features. */
  private sampleLengths(caller: string, samples: readonly LlavaSample[], imageFeatures: tf.Tensor3D | undefined): number[] {
    if (samples.length === 0) throw new Error(`${caller}: no samples`);
    if (imageFeatures && imageFeatures.shape[0] !== samples.length) {
      throw new Error(`${caller}: ${samples.length} samples but ${imageFeatures.shape[0]} images`);
    }
    const n = imageFeatures?.shape[1] ?? 0;
    return samples.map((s, i) => {
      if (s.ids.length !== s.labels.length) throw new Error(`sample ${i}: ${s.ids.length} ids but ${s.labels.length} labels`);
      const at = s.ids.indexOf(IMAGE_TOKEN_INDEX);
      if (at >= 0 && s.ids.indexOf(IMAGE_TOKEN_INDEX, at + 1) >= 0) throw new Error(`sample ${i}: more than one <image> placeholder`);
      if (at >= 0 && !imageFeatures) throw new Error(`sample ${i} has an <image> placeholder but no image features were given`);
      return s.ids.length + (at >= 0 ? n - 1 : 0);
    });
  }

  /**
   * Each sample's unpadded embedding rows [L_i, d] — its text embeddings with the projected features
   * of its image spliced in at the placeholder — and its labels (IGNORE_INDEX on the image).
   * Checked by `sampleLengths` first; call inside tf.tidy.
   */
  private sampleRows(samples: readonly LlavaSample[], imageFeatures: tf.Tensor3D | undefined): { rows: tf.Tensor2D[]; labels: number[][] } {
    const n = imageFeatures?.shape[1] ?? 0;
    const d = this.llm.config.hiddenSize;
    const projected = imageFeatures ? this.projector.forward(imageFeatures) : undefined;
    const rows: tf.Tensor2D[] = [];
    const labels: number[][] = [];
    samples.forEach((s, i) => {
      const at = s.ids.indexOf(IMAGE_TOKEN_INDEX);
      const text = s.ids.filter((id) => id !== IMAGE_TOKEN_INDEX);
      const emb = tf.reshape(this.llm.embed(tf.tensor2d([text], [1, text.length], "int32")), [text.length, d]) as tf.Tensor2D;
      if (at >= 0) {
        const parts: tf.Tensor2D[] = [];
        if (at > 0) parts.push(tf.slice(emb, [0, 0], [at, d]));
        parts.push(tf.reshape(tf.slice(projected!, [i, 0, 0], [1, n, d]), [n, d]) as tf.Tensor2D);
        if (at < text.length) parts.push(tf.slice(emb, [at, 0], [text.length - at, d]));
        rows.push(parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D));
        labels.push([...s.labels.slice(0, at), ...Array<number>(n).fill(IGNORE_INDEX), ...s.labels.slice(at + 1)]);
      } else {
        rows.push(emb);
        labels.push([...s.labels]);
      }
    });
    return { rows, labels };
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
  async generate(promptIds: number[], imageFeatures: tf.Tensor3D | undefined, options: GenerateOptions): Promise<number[]> {
    const prefix = tf.tidy(() => this.buildBatch([{ ids: promptIds, labels: promptIds.map(() => IGNORE_INDEX) }], imageFeatures).embeddings);
    try {
      return await this.llm.generateFromEmbeddings(prefix, options);
    } finally {
      prefix.dispose();
    }
  }

  /**
   * Greedy answers to several prompts at once, each about its own image: `prompts[i]` (ids with one
   * IMAGE_TOKEN_INDEX, or none for text only) goes with image i of `imageFeatures` [B, N, d_vis].
   * The rows are built as `buildBatch` builds them but left-padded, with the key mask, and decoded
   * in lockstep (`CausalLM.generateBatchFromEmbeddings`): each row gets what `generate` gives it.
   */
  async generateBatch(prompts: number[][], imageFeatures: tf.Tensor3D | undefined, options: GenerateOptions): Promise<number[][]> {
    prompts.forEach((p, i) => {
      if (p.length === 0) throw new Error(`generateBatch: prompt ${i} is empty`);
    });
    const batch = this.paddedBatch("generateBatch", prompts.map((ids) => ({ ids, labels: ids.map(() => IGNORE_INDEX) })), imageFeatures, "left");
    try {
      return await this.llm.generateBatchFromEmbeddings(batch.embeddings, batch.keyMask, options);
    } finally {
      batch.embeddings.dispose();
      batch.labels.dispose();
      batch.keyMask.dispose();
    }
  }
}
