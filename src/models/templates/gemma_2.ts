import { turnTemplate } from "./template.js";

/** Gemma-2 instruct: no system role; "<start_of_turn>user\n…<end_of_turn>\n<start_of_turn>model\n…<end_of_turn>\n". */
export const gemma2 = turnTemplate({
  name: "gemma_2",
  specialTokens: ["<bos>", "<eos>", "<start_of_turn>", "<end_of_turn>"],
  stopTokens: ["<eos>", "<end_of_turn>"],
  documentMarks: { bos: "<bos>", eos: "<eos>" },
  header: () => "<bos>",
  userTurn: (user) => `<start_of_turn>user\n${user}<end_of_turn>\n<start_of_turn>model\n`,
  replyEnd: "<end_of_turn>",
  afterReply: "\n",
});
