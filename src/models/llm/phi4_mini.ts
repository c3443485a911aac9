import { defineLlmFamily } from "./definition.js";

/**
 * Phi-4-mini-instruct (Phi-3 architecture): fused qkv_proj and gate_up_proj, grouped-query attention
 * (24 : 8), partial rotary (0.75 of each head), tied embeddings. Its LongRoPE scaling is not modelled:
 * lab contexts stay inside the original 4096-position window it leaves unchanged.
 */
export const phi4Mini = defineLlmFamily({
  family: "phi4-mini",
  realModel: "Phi-4-mini-instruct",
  defaultSize: "3.8b",
  template: "phi_4",
  realVocabSize: 200064,
  queryPerKvHead: 3,
  mlpRatio: 8192 / 3072,
  headDimRatio: 1,
  ropeTheta: 10000,
  partialRotaryFactor: 0.75,
  norm: "rmsnorm",
  normEps: 1e-5,
  mlpActivation: "silu",
  fusedQkv: true,
  fusedGateUp: true,
  sandwichNorms: false,
  scaleEmbeddings: false,
  tieEmbeddings: true,
  reasoningTraces: false,
  zoo: [{ name: "phi4-mini-3.8b", size: "3.8b" }],
});
