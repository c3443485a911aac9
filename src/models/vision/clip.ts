import { defineVisionTower } from "./definition.js";

/** OpenAI CLIP ViT-L/14-336: CLS token, quick-GELU, pre-LN on the embeddings; features drop CLS. */
export const clip = defineVisionTower({
  family: "clip",
  realModel: "CLIP ViT-L/14-336",
  realImageSize: 336,
  realPatchSize: 14,
  realHidden: 1024,
  realLayers: 24,
  realIntermediate: 4096,
  activation: "quick_gelu",
  normEps: 1e-5,
  classToken: true,
  registers: 0,
  preLayerNorm: true,
  layerScale: false,
  patchBias: false,
  attentionPoolingHead: false,
  dropLeadingTokens: 1,
  naming: "clip",
  imageMean: [0.48145466, 0.4578275, 0.40821073],
  imageStd: [0.26862954, 0.26130258, 0.27577711],
  objective: "clip",
});
