import { defineLlmFamily } from "./definition.js";
import { llama3_1 } from "./llama3_1.js";

/** DeepSeek-R1-Distill-Llama-8B: the LLaMA-3.1 architecture, text pretraining ending on reasoning traces. */
export const r1DistillLlama = defineLlmFamily({
  ...llama3_1,
  family: "r1-distill-llama",
  realModel: "DeepSeek-R1-Distill-Llama-8B",
  template: "llama_3_1_reasoning",
  reasoningTraces: true,
  zoo: [{ name: "r1-distill-llama-8b", size: "8b" }],
});
