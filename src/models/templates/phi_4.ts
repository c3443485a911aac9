import { turnTemplate } from "./template.js";

/** Phi-4-mini: "<|system|>You are a helpful AI assistant.<|end|><|user|>…<|end|><|assistant|>…<|end|>". */
export const phi4 = turnTemplate({
  name: "phi_4",
  specialTokens: ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"],
  stopTokens: ["<|end|>", "<|endoftext|>"],
  // Phi-4-mini has no separate bos: <|endoftext|> both separates and starts documents.
  documentMarks: { eos: "<|endoftext|>" },
  defaultSystem: "You are a helpful AI assistant.",
  header: (system) => `<|system|>${system ?? ""}<|end|>`,
  userTurn: (user) => `<|user|>${user}<|end|><|assistant|>`,
  replyEnd: "<|end|>",
});
