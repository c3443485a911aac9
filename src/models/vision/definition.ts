/**
 * What one vision-tower file declares, in one object: its real architecture's quirks and the name of
 * the pretraining objective that trains it (implemented in train/objectives/, mapped by name in its
 * registry). `towers.ts` lists the tower files; VISION_FAMILIES and the registry are built from them.
 */
import type { Activation } from "../nn/activations.js";

export interface VisionArchitectureSpec<F extends string = string, O extends string = string> {
  family: F;
  realModel: string;
  realImageSize: number;
  realPatchSize: number;
  realHidden: number;
  realLayers: number;
  realIntermediate: number;
  activation: Activation;
  normEps: number;
  classToken: boolean;
  registers: number;
  /** LayerNorm on the embeddings before the encoder (CLIP's pre_layrnorm). */
  preLayerNorm: boolean;
  /** Per-channel residual scales initialised small (DINOv2). */
  layerScale: boolean;
  patchBias: boolean;
  /** Attention-pooling (MAP) head, used by the pretraining objective only (SigLIP, SigLIP2). */
  attentionPoolingHead: boolean;
  /** Tokens at the start of the sequence that `patch` feature selection drops (CLS, registers). */
  dropLeadingTokens: number;
  /** Hugging Face parameter naming scheme. */
  naming: "clip" | "siglip" | "dinov2";
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  /** The pretraining objective that trains this tower, by name (train/objectives/registry.ts). */
  objective: O;
}

/** Types a tower file's definition, keeping its family and objective names as literal types. */
export const defineVisionTower = <const F extends string, const O extends string>(definition: VisionArchitectureSpec<F, O>): VisionArchitectureSpec<F, O> => definition;
