import { llama3Template } from "./llama_3.js";

/**
 * LLaMA-3.1-8B-Instruct: the LLaMA-3 turns, the 3.1 tokenizer template's date preamble in the system
 * header, and three stop ids (<|eot_id|>, <|eom_id|>, <|end_of_text|>).
 */
export const llama31 = llama3Template(
  "llama_3_1",
  ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"],
  "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n",
);
