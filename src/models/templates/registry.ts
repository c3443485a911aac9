/** Chat templates by name, built from the template files: adding one means its file and one line in FAMILY_TEMPLATE_LIST. */
import { gemma2 } from "./gemma_2.js";
import { llama3 } from "./llama_3.js";
import { llama31 } from "./llama_3_1.js";
import { llama31Reasoning } from "./llama_3_1_reasoning.js";
import { phi4 } from "./phi_4.js";
import { plain } from "./plain.js";
import type { ChatTemplate, FamilyTemplate } from "./template.js";
import { vicunaV1 } from "./vicuna_v1.js";

/** The templates LLM families are pretrained and tuned with (each carries its document marks), one line per template file. */
const FAMILY_TEMPLATE_LIST = [
  vicunaV1,
  llama3,
  llama31,
  llama31Reasoning,
  gemma2,
  phi4,
] as const;

/** The name of a template an LLM family can name (every template but stage 1's `plain`). */
export type ChatTemplateName = (typeof FAMILY_TEMPLATE_LIST)[number]["name"];
export type TemplateName = ChatTemplateName | "plain";

export const FAMILY_TEMPLATES = Object.fromEntries(FAMILY_TEMPLATE_LIST.map((t) => [t.name, t])) as Record<ChatTemplateName, FamilyTemplate>;

export const CHAT_TEMPLATES: Record<TemplateName, ChatTemplate> = { plain, ...FAMILY_TEMPLATES };

export function chatTemplate(name: string): ChatTemplate {
  const t = (CHAT_TEMPLATES as Record<string, ChatTemplate>)[name];
  if (!t) throw new Error(`unknown chat template "${name}"; expected one of ${Object.keys(CHAT_TEMPLATES).join(", ")}`);
  return t;
}

/** A family template (a chat template with its document marks) by name. */
export function familyTemplate(name: string): FamilyTemplate {
  const t = (FAMILY_TEMPLATES as Record<string, FamilyTemplate>)[name];
  if (!t) throw new Error(`unknown family template "${name}"; expected one of ${Object.keys(FAMILY_TEMPLATES).join(", ")}`);
  return t;
}
