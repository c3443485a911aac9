import { turnTemplate, type FamilyTemplate } from "./template.js";

export const LLAMA_SYSTEM =
  "You are a helpful language and vision assistant. You are able to understand the visual content that the user provides, and assist the user with a variety of tasks using natural language.";

export const LLAMA3_SPECIAL = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<|eom_id|>"] as const;

const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;

/** LLaMA-3 instruct chat template; replies end with <|eot_id|>. */
export function llama3Template<const N extends string>(name: N, stopTokens: readonly string[], systemPreamble = ""): FamilyTemplate<N> {
  return turnTemplate({
    name,
    specialTokens: LLAMA3_SPECIAL,
    stopTokens,
    documentMarks: { bos: "<|begin_of_text|>", eos: "<|end_of_text|>" },
    defaultSystem: LLAMA_SYSTEM,
    header: (system) => `<|begin_of_text|>${header("system")}${systemPreamble}${system ?? ""}<|eot_id|>`,
    userTurn: (user) => `${header("user")}${user}<|eot_id|>${header("assistant")}`,
    replyEnd: "<|eot_id|>",
  });
}

/** LLaMA-3-8B-Instruct (the LLaVA-v1.5-LLaMA3 baseline): stop id <|eot_id|>. */
export const llama3 = llama3Template("llama_3", ["<|eot_id|>"]);
