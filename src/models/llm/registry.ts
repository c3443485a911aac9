/**
 * The LLM families of the study, built from the family files' definitions (families.ts lists them):
 * architectures, the family → template map and the zoo's LLMs. Adding a family means its file, one
 * line in families.ts, and its test.
 */
import { buildLlmConfig, type ChatTemplateName, type LlmArchitecture, type LlmConfig, type LlmFamily, type LlmSize } from "./config.js";
import type { LlmFamilyDefinition } from "./definition.js";
import { LLM_FAMILIES, LLM_FAMILY_DEFINITIONS, type ZooLlmName } from "./families.js";
import type { Preset } from "../../presets.js";

export { LLM_FAMILIES, type LlmFamily, type ZooLlmName };

/** The definitions, typed against the registered templates: a family naming an unknown template does not compile. */
const DEFINITIONS: readonly LlmFamilyDefinition<LlmFamily, ChatTemplateName, ZooLlmName>[] = LLM_FAMILY_DEFINITIONS;

export const LLM_ARCHITECTURES = Object.fromEntries(DEFINITIONS.map((d): [LlmFamily, LlmArchitecture] => [d.family, d])) as Record<LlmFamily, LlmArchitecture>;

/** Each family's chat template. */
export const LLM_FAMILY_TEMPLATES = Object.fromEntries(DEFINITIONS.map((d) => [d.family, d.template])) as Record<LlmFamily, ChatTemplateName>;

export interface ZooLlm {
  name: ZooLlmName;
  family: LlmFamily;
  size: LlmSize;
}

/** The paper's seven LLMs, as the zoo builds them: every family's rungs, in family order. */
export const ZOO_LLMS: readonly ZooLlm[] = DEFINITIONS.flatMap((d) => d.zoo.map((rung) => ({ name: rung.name, family: d.family, size: rung.size })));

export function llmArchitecture(family: string): LlmArchitecture {
  const arch = (LLM_ARCHITECTURES as Record<string, LlmArchitecture>)[family];
  if (!arch) throw new Error(`unknown LLM family "${family}"; expected one of ${LLM_FAMILIES.join(", ")}`);
  return arch;
}

/** The config of a family at a preset; the size defaults to the family's real size. */
export function llmConfig(family: LlmFamily, preset: Preset, size?: LlmSize): LlmConfig {
  const arch = llmArchitecture(family);
  return buildLlmConfig(arch, size ?? arch.defaultSize, preset);
}
