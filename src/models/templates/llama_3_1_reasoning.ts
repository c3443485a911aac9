import { LLAMA_SYSTEM } from "./llama_3.js";
import { turnTemplate } from "./template.js";

/**
 * DeepSeek-R1-Distill-Llama-8B: rendered by its own tokenizer's template
 * (<｜begin▁of▁sentence｜>system<｜User｜>…<｜Assistant｜>…<｜end▁of▁sentence｜>) with LLaMA-3.1's system prompt
 * and stop ids; its text pretraining wrote reasoning as <think> … </think> before the answer.
 */
export const llama31Reasoning = turnTemplate({
  name: "llama_3_1_reasoning",
  specialTokens: ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>", "<|eot_id|>", "<|eom_id|>", "<think>", "</think>"],
  stopTokens: ["<｜end▁of▁sentence｜>", "<|eot_id|>", "<|eom_id|>"],
  documentMarks: { bos: "<｜begin▁of▁sentence｜>", eos: "<｜end▁of▁sentence｜>" },
  defaultSystem: LLAMA_SYSTEM,
  header: (system) => `<｜begin▁of▁sentence｜>${system ?? ""}`,
  userTurn: (user) => `<｜User｜>${user}<｜Assistant｜>`,
  replyEnd: "<｜end▁of▁sentence｜>",
});
