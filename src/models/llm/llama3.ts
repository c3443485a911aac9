import { defineLlmFamily } from "./definition.js";

/** Meta-Llama-3-8B-Instruct: grouped-query attention (32 : 8), RoPE θ = 500 000. */
export const llama3 = defineLlmFamily({
  family: "llama3",
  realModel: "LLaMA-3-8B-Instruct",
  defaultSize: "8b",
  template: "llama_3",
  realVocabSize: 128256,
  queryPerKvHead: 4,
  mlpRatio: 14336 / 4096,
  headDimRatio: 1,
  ropeTheta: 500000,
  partialRotaryFactor: 1,
  norm: "rmsnorm",
  normEps: 1e-5,
  mlpActivation: "silu",
  fusedQkv: false,
  fusedGateUp: false,
  sandwichNorms: false,
  scaleEmbeddings: false,
  tieEmbeddings: false,
  reasoningTraces: false,
  zoo: [{ name: "llama3-8b", size: "8b" }],
});
