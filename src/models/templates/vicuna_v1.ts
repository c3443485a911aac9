import { turnTemplate } from "./template.js";

/** Vicuna v1 (LLaVA-1.5): system, then "USER: … ASSISTANT: …</s>", turns separated by a space. */
export const vicunaV1 = turnTemplate({
  name: "vicuna_v1",
  specialTokens: ["<s>", "</s>"],
  stopTokens: ["</s>"],
  documentMarks: { bos: "<s>", eos: "</s>" },
  defaultSystem:
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.",
  header: (system) => `<s>${system ?? ""} `,
  userTurn: (user) => `USER: ${user} ASSISTANT: `,
  replyEnd: "</s>",
});
