/**
 * Typed configuration of the vision towers (ViTs). Each family file states its real architecture's
 * quirks (definition.ts); `buildVisionConfig` scales it to a preset, keeping the real grid ratios
 * (CLIP 336/14 = 24², SigLIP 384/14 = 27², DINOv2 224/14 = 16²) and width/depth ratios.
 */
import type { VisionArchitectureSpec } from "./definition.js";
import { VISION_FAMILIES, type TowerObjectiveName, type VisionFamily } from "./towers.js";
import type { Preset } from "../../presets.js";
import { pick } from "../../util/object.js";

export { VISION_FAMILIES, type TowerObjectiveName, type VisionFamily };

export const isVisionFamily = (name: string): name is VisionFamily => (VISION_FAMILIES as readonly string[]).includes(name);

/** What a registered tower's real architecture fixes, and the objective that trains it (its file's definition). */
export type VisionArchitecture = VisionArchitectureSpec<VisionFamily, TowerObjectiveName>;

/** The architecture fields that pass unchanged from a tower family to every scaled config. */
const VISION_ARCHITECTURE_FLAGS = [
  "family",
  "activation",
  "normEps",
  "classToken",
  "registers",
  "preLayerNorm",
  "layerScale",
  "patchBias",
  "attentionPoolingHead",
  "dropLeadingTokens",
  "naming",
  "imageMean",
  "imageStd",
] as const;

export interface VisionConfig extends Pick<VisionArchitecture, (typeof VISION_ARCHITECTURE_FLAGS)[number]> {
  preset: Preset;
  imageSize: number;
  patchSize: number;
  channels: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  layerScaleInit: number;
  /** Hidden-state index used as the feature: −2 is the second-to-last block (mm_vision_select_layer). */
  selectLayer: number;
}

/** Per preset: patch size, the fraction of the real patch grid, and the width, depth and heads of a 1024-wide, 24-deep real tower. */
export const VISION_PRESET_SCALE: Record<Preset, { patchSize: number; gridScale: number; hidden: number; layers: number; heads: number }> = {
  tiny: { patchSize: 4, gridScale: 1 / 6, hidden: 32, layers: 2, heads: 4 },
  small: { patchSize: 8, gridScale: 1 / 3, hidden: 128, layers: 4, heads: 4 },
  base: { patchSize: 14, gridScale: 1 / 2, hidden: 256, layers: 8, heads: 8 },
};

const roundHalfUp = (x: number): number => Math.floor(x + 0.5);

export function buildVisionConfig(arch: VisionArchitecture, preset: Preset): VisionConfig {
  const s = VISION_PRESET_SCALE[preset];
  const grid = Math.max(2, roundHalfUp((arch.realImageSize / arch.realPatchSize) * s.gridScale));
  const hiddenSize = s.heads * 2 * roundHalfUp((s.hidden * arch.realHidden) / 1024 / s.heads / 2);
  return {
    ...pick(arch, VISION_ARCHITECTURE_FLAGS),
    preset,
    imageSize: grid * s.patchSize,
    patchSize: s.patchSize,
    channels: 3,
    hiddenSize,
    numLayers: Math.max(2, roundHalfUp((s.layers * arch.realLayers) / 24)),
    numHeads: s.heads,
    intermediateSize: 2 * roundHalfUp((hiddenSize * arch.realIntermediate) / arch.realHidden / 2),
    layerScaleInit: 1e-5,
    selectLayer: -2,
  };
}

/** Patch tokens per image (the visual tokens the LLM sees). */
export const patchGrid = (c: VisionConfig, imageSize = c.imageSize): number => imageSize / c.patchSize;

/** Parameter count implied by a config, computed without building the tower. */
export function visionParameterCount(c: VisionConfig): number {
  const d = c.hiddenSize;
  const grid = patchGrid(c);
  const lead = c.classToken ? 1 : 0;
  const embeddings =
    d * c.channels * c.patchSize * c.patchSize + (c.patchBias ? d : 0) + (grid * grid + lead) * d + lead * d + c.registers * d + (c.naming === "dinov2" ? d : 0);
  const mlp = 2 * d * c.intermediateSize + c.intermediateSize + d;
  const layer = 4 * (d * d + d) + mlp + 4 * d + (c.layerScale ? 2 * d : 0);
  const head = c.attentionPoolingHead ? d + 3 * d * d + 3 * d + d * d + d + 2 * d + mlp : 0;
  return embeddings + (c.preLayerNorm ? 2 * d : 0) + c.numLayers * layer + 2 * d + head;
}
