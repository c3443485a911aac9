import { defineVisionTower } from "./definition.js";

/** DINOv2 ViT-L/14 at its 224 px crop: CLS, LayerScale, exact GELU; features drop CLS. */
export const dinov2 = defineVisionTower({
  family: "dinov2",
  realModel: "DINOv2 ViT-L/14",
  realImageSize: 224,
  realPatchSize: 14,
  realHidden: 1024,
  realLayers: 24,
  realIntermediate: 4096,
  activation: "gelu",
  normEps: 1e-6,
  classToken: true,
  registers: 0,
  preLayerNorm: false,
  layerScale: true,
  patchBias: true,
  attentionPoolingHead: false,
  dropLeadingTokens: 1,
  naming: "dinov2",
  imageMean: [0.485, 0.456, 0.406],
  imageStd: [0.229, 0.224, 0.225],
  objective: "dinov2",
});
