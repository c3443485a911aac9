/** Each LLM family's tokenizer: byte-level BPE at the family's vocabulary size with its template's special tokens. */
import type { LlmConfig } from "../llm/config.js";
import { chatTemplate } from "../templates/registry.js";
import { trainByteLevelBpe } from "./bpe.js";
import { FamilyTokenizer } from "./tokenizer.js";

export function familySpecialTokens(config: LlmConfig): string[] {
  return [...chatTemplate(config.template).specialTokens];
}

/** Trains the tokenizer of `config`'s family on a corpus, to exactly config.vocabSize when the corpus allows. */
export function trainFamilyTokenizer(config: LlmConfig, corpus: Iterable<string>): FamilyTokenizer {
  const json = trainByteLevelBpe(corpus, { vocabSize: config.vocabSize, specialTokens: familySpecialTokens(config) });
  return new FamilyTokenizer(json, { tokenizer_class: "PreTrainedTokenizerFast", chat_template_name: config.template, model_max_length: config.maxPositions });
}
