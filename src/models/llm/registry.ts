/** The LLM families of the study. Adding one means one architecture file and one entry here. */
import { buildLlmConfig, LLM_FAMILIES, type LlmArchitecture, type LlmConfig, type LlmFamily, type LlmSize } from "./config.js";
import { gemma2 } from "./gemma2.js";
import { llama3 } from "./llama3.js";
import { llama3_1 } from "./llama3_1.js";
import { phi4Mini } from "./phi4_mini.js";
import { r1DistillLlama } from "./r1_distill_llama.js";
import { vicuna } from "./vicuna.js";
import type { Preset } from "../../presets.js";

export const LLM_ARCHITECTURES: Record<LlmFamily, LlmArchitecture> = {
  vicuna,
  llama3,
  "llama3.1": llama3_1,
  gemma2,
  "phi4-mini": phi4Mini,
  "r1-distill-llama": r1DistillLlama,
};

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
