import { defineLlmFamily } from "./definition.js";
import { llama3 } from "./llama3.js";

/**
 * Meta-Llama-3.1-8B-Instruct: LLaMA-3 plus the llama3 RoPE scaling (factor 8, low 1, high 4;
 * original context 8192 of 131072, i.e. 1/16 of the context).
 */
export const llama3_1 = defineLlmFamily({
  ...llama3,
  family: "llama3.1",
  realModel: "LLaMA-3.1-8B-Instruct",
  template: "llama_3_1",
  ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalContextFraction: 8192 / 131072 },
  zoo: [{ name: "llama3.1-8b", size: "8b" }],
});
