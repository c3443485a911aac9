/**
 * What every vision-tower pretraining objective takes and gives back. One file per objective
 * (clip.ts, siglip.ts, siglip2.ts, dinov2.ts) exports a `TowerObjective`; the zoo builder runs them
 * all the same way.
 */
import type * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../../data/dataset.js";
import type { Module } from "../../models/module.js";
import type { Preset } from "../../presets.js";
import type { VisionFamily } from "../../models/vision/config.js";
import type { VisionTower } from "../../models/vision/vit.js";

export interface TowerPretrainContext {
  dataset: Dataset;
  family: VisionFamily;
  preset: Preset;
  seed: number;
  /** Resumable checkpoints go here (the run continues from them after a crash). */
  checkpointDir?: string;
  progress?: boolean;
  /** Overrides the recipe's number of steps (tests). */
  steps?: number;
}

/** The text side of a text-aligned tower: what zero-shot retrieval needs, saved beside the tower. */
export interface TextSide {
  /** L2-normalised image embeddings [B, e] in the shared space. */
  embedImages(tower: VisionTower, images: tf.Tensor4D): tf.Tensor2D;
  /** L2-normalised text embeddings [N, e] in the shared space. */
  embedTexts(texts: readonly string[]): tf.Tensor2D;
  /** Writes everything needed to rebuild it (weights, config, tokenizer) into `dir`. */
  save(dir: string): void;
  dispose(): void;
}

export interface TowerPretrainResult {
  tower: VisionTower;
  /** Present for text-aligned objectives (CLIP, SigLIP, SigLIP2). */
  textSide?: TextSide;
  /** Other trained modules kept with the tower (heads, decoders), by name; saved for inspection. */
  extras: Record<string, Module>;
  losses: number[];
  /** Named loss terms of the last steps, e.g. { sigmoid: 0.41, caption: 2.3, dense: 0.12 }. */
  finalTerms: Record<string, number>;
  steps: number;
  batchSize: number;
  seconds: number;
  /** What the run trained on, in words (caption sets, image counts, crops). */
  data: string;
}

export interface TowerObjective {
  /** "clip" | "siglip" | "siglip2" | "dinov2" (dinov2-reg uses dinov2 with registers). */
  name: string;
  /** One-line description of the loss for manifests and docs/zoo.md. */
  summary: string;
  pretrain(ctx: TowerPretrainContext): Promise<TowerPretrainResult>;
  /** The preset's recipe, as data: part of a zoo entry's build key, so that changing it rebuilds the tower. */
  recipe(preset: Preset): object;
  /** Rebuilds the text side saved by TextSide.save (text-aligned objectives only). */
  loadTextSide?(dir: string): TextSide;
}
