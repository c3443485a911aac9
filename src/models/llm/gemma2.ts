import { defineLlmFamily } from "./definition.js";

/**
 * Gemma-2 (2B and 9B): RMSNorm with (1 + w), GeGLU-tanh, norms before and after attention and MLP,
 * attention logit soft-cap 50, final logit soft-cap 30, sliding window (4096 of 8192) on alternating
 * layers, head_dim 256 wider than hidden / heads (3584 / 16 = 224), embeddings scaled by √hidden,
 * tied embeddings.
 */
export const gemma2 = defineLlmFamily({
  family: "gemma2",
  realModel: "Gemma-2-9B-it",
  defaultSize: "9b",
  template: "gemma_2",
  realVocabSize: 256000,
  queryPerKvHead: 2,
  mlpRatio: 14336 / 3584,
  headDimRatio: 256 / 224,
  ropeTheta: 10000,
  partialRotaryFactor: 1,
  norm: "rmsnorm_gemma",
  normEps: 1e-6,
  mlpActivation: "gelu_tanh",
  fusedQkv: false,
  fusedGateUp: false,
  sandwichNorms: true,
  attnSoftcap: 50,
  finalSoftcap: 30,
  slidingWindowFraction: 0.5,
  scaleEmbeddings: true,
  tieEmbeddings: true,
  reasoningTraces: false,
  zoo: [
    { name: "gemma2-2b", size: "2b" },
    { name: "gemma2-9b", size: "9b" },
  ],
});
