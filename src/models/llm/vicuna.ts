import { defineLlmFamily } from "./definition.js";

/** Vicuna-7B-v1.5 (LLaMA-2 architecture), the LLM of the LLaVA-1.5 baseline. */
export const vicuna = defineLlmFamily({
  family: "vicuna",
  realModel: "Vicuna-7B-v1.5",
  defaultSize: "7b",
  template: "vicuna_v1",
  realVocabSize: 32000,
  queryPerKvHead: 1,
  mlpRatio: 11008 / 4096,
  headDimRatio: 1,
  ropeTheta: 10000,
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
  zoo: [{ name: "vicuna-7b", size: "7b" }],
});
