/**
 * The study's LLM families: one line per family file, in the order of LLM_FAMILIES (run ids, run keys
 * and grids depend on it). Adding a family means its file, one line here, and its test
 * (test/families/<family>.test.ts).
 */
import { gemma2 } from "./gemma2.js";
import { llama3 } from "./llama3.js";
import { llama3_1 } from "./llama3_1.js";
import { phi4Mini } from "./phi4_mini.js";
import { r1DistillLlama } from "./r1_distill_llama.js";
import { vicuna } from "./vicuna.js";
import { familyNames } from "../../util/object.js";

export const LLM_FAMILY_DEFINITIONS = [
  vicuna,
  llama3,
  llama3_1,
  gemma2,
  phi4Mini,
  r1DistillLlama,
] as const;

type Definitions = typeof LLM_FAMILY_DEFINITIONS;

/** The family names, in definition order (a tuple of their literal types). */
export const LLM_FAMILIES = familyNames(LLM_FAMILY_DEFINITIONS);
export type LlmFamily = (typeof LLM_FAMILIES)[number];

/** The names of the zoo's LLMs, from the families' rungs. */
export type ZooLlmName = Definitions[number]["zoo"][number]["name"];
