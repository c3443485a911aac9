import { defineVisionTower } from "./definition.js";

/** SigLIP SO400M/14-384: no CLS, GELU-tanh, attention-pooling head for pretraining; features keep every token. */
export const siglip = defineVisionTower({
  family: "siglip",
  realModel: "SigLIP SO400M/14-384",
  realImageSize: 384,
  realPatchSize: 14,
  realHidden: 1152,
  realLayers: 27,
  realIntermediate: 4304,
  activation: "gelu_tanh",
  normEps: 1e-6,
  classToken: false,
  registers: 0,
  preLayerNorm: false,
  layerScale: false,
  patchBias: true,
  attentionPoolingHead: true,
  dropLeadingTokens: 0,
  naming: "siglip",
  imageMean: [0.5, 0.5, 0.5],
  imageStd: [0.5, 0.5, 0.5],
  objective: "siglip",
});
