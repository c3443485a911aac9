/** Chat templates by name. Adding one means one template file and one entry here. */
import type { ChatTemplateName } from "../llm/config.js";
import { gemma2 } from "./gemma_2.js";
import { llama3 } from "./llama_3.js";
import { llama31 } from "./llama_3_1.js";
import { llama31Reasoning } from "./llama_3_1_reasoning.js";
import { phi4 } from "./phi_4.js";
import { plain } from "./plain.js";
import type { ChatTemplate } from "./template.js";
import { vicunaV1 } from "./vicuna_v1.js";

export type TemplateName = ChatTemplateName | "plain";

export const CHAT_TEMPLATES: Record<TemplateName, ChatTemplate> = {
  plain,
  vicuna_v1: vicunaV1,
  llama_3: llama3,
  llama_3_1: llama31,
  llama_3_1_reasoning: llama31Reasoning,
  gemma_2: gemma2,
  phi_4: phi4,
};

export function chatTemplate(name: string): ChatTemplate {
  const t = (CHAT_TEMPLATES as Record<string, ChatTemplate>)[name];
  if (!t) throw new Error(`unknown chat template "${name}"; expected one of ${Object.keys(CHAT_TEMPLATES).join(", ")}`);
  return t;
}
