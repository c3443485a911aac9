/**
 * Text-pretraining recipes of the study's LLMs, one per zoo LLM per preset: sequence length, batch,
 * steps and learning rate of each phase. Data only; `llm_pretrain.ts` runs whatever a recipe says.
 * The per-family part (the zoo rungs, whether a reasoning phase follows) is in each family's file.
 *
 * Phases: "text" (next-token loss on packed documents), "instruct" (the dialogues in the family's
 * chat template, loss on assistant replies), "reasoning" (R1-Distill only: the reasoning traces).
 */
import type { LlmFamily, LlmSize } from "../models/llm/config.js";
import { llmArchitecture, ZOO_LLMS, type ZooLlmName } from "../models/llm/registry.js";
import { PRESETS, type Preset } from "../presets.js";

/** The zoo's LLMs come from the family files' rungs (models/llm/registry.ts); re-exported for the zoo and the study. */
export { ZOO_LLMS, type ZooLlmName };

export const LLM_PHASES = ["text", "instruct", "reasoning"] as const;
export type LlmPhaseName = (typeof LLM_PHASES)[number];

export interface LlmPhaseRecipe {
  steps: number;
  /** Rows per step. */
  batchSize: number;
  /** Tokens per row (documents or conversations are packed into rows of this length). */
  seqLen: number;
  learningRate: number;
}

export interface LlmRecipe {
  /** Corpus documents the tokenizer is trained on (the first ones of the training corpus). */
  tokenizerDocs: number;
  /** Upper bound on the documents tokenised for the text phase (it takes only what its steps consume). */
  textDocs: number;
  /**
   * Conversations carry the template's default system prompt. Off only at `tiny`, whose 64 positions
   * cannot hold a LLaMA system header and a reply.
   */
  systemPrompt: boolean;
  warmupFraction: number;
  weightDecay: number;
  clipNorm: number;
  text: LlmPhaseRecipe;
  instruct: LlmPhaseRecipe;
  /** Present only for families that continue on reasoning traces. */
  reasoning?: LlmPhaseRecipe;
}

/*
 * `small`: every rung sees the same tokens (same rows, row length and steps): the study compares LLMs
 * at equal data, so a larger rung costs proportionally more time instead of getting fewer tokens.
 * (Equal tokens is not equal text: Vicuna's 512-token vocabulary packs 2.9 bytes per token, the
 * ~2000-token ones 4.4.)
 *
 * Length (the calibration issue). The first budget, ≤ 3 minutes per LLM on two cores, allowed 46 text
 * + 12 dialogue steps and left the LLMs barely past unigram statistics: held-out perplexity 26 (LLaMA-3)
 * to 165 (Phi-4-mini), LLaMA-3.1-8B 41.8, Gemma-2 2B 109 and 9B 117 — the larger rung no better. On
 * such an LLM stage 2 learns no image use at the protocol's rate (an oracle patch encoding, theme /
 * colour / count / existence questions at 2e-3: every gap ≤ 0.011 at 300 steps). Measured with 150 +
 * 30 steps (one thread each, two jobs on two cores): LLaMA-3.1-8B perplexity 5.2 (134 s), Gemma-2 2B
 * 9.5 (110 s), Gemma-2 9B 6.4 (254 s) — the size ladder now orders them; with 300 + 60: LLaMA-3.1-8B
 * 4.8 (253 s). On the 300 + 60 LLaMA-3.1-8B the same oracle probe at 2e-3 learns the theme (gap 2.97)
 * and starts on colour (0.045) by step 600, and a whole protocol run with CLIP (seed 0) gets an image
 * gap of 0.017 against 0.001 and validation GQA 44.0 against 35.5 (docs/calibration.md). The
 * knowledge probe stays at chance either way (0.19–0.21 against 0.18). That is 300 × 2048 ≈ 614 k
 * text tokens (~14 000 documents) plus ~120 k dialogue tokens, near the prototype's 400 steps.
 */
const SMALL_TEXT: LlmPhaseRecipe = { steps: 300, batchSize: 16, seqLen: 128, learningRate: 2e-3 };
// Dialogues are 45–140 tokens (up to 140 with LLaMA-3.1's system header): rows of 256 hold them whole.
const SMALL_INSTRUCT: LlmPhaseRecipe = { steps: 60, batchSize: 8, seqLen: 256, learningRate: 1e-3 };
// Reasoning traces are ≤ 107 tokens in the R1 template: two per row.
const SMALL_REASONING: LlmPhaseRecipe = { steps: 80, batchSize: 8, seqLen: 256, learningRate: 1e-3 };

const TINY_TEXT: LlmPhaseRecipe = { steps: 40, batchSize: 8, seqLen: 64, learningRate: 3e-3 };
const TINY_INSTRUCT: LlmPhaseRecipe = { steps: 30, batchSize: 8, seqLen: 64, learningRate: 3e-3 };
const TINY_REASONING: LlmPhaseRecipe = { steps: 30, batchSize: 8, seqLen: 64, learningRate: 3e-3 };

// `base` (a GPU or a patient machine; not timed here): 2000 × 32 × 256 ≈ 16 M text tokens.
const BASE_TEXT: LlmPhaseRecipe = { steps: 2000, batchSize: 32, seqLen: 256, learningRate: 1e-3 };
const BASE_INSTRUCT: LlmPhaseRecipe = { steps: 400, batchSize: 32, seqLen: 256, learningRate: 5e-4 };
const BASE_REASONING: LlmPhaseRecipe = { steps: 400, batchSize: 16, seqLen: 512, learningRate: 5e-4 };

const common = { warmupFraction: 0.05, weightDecay: 0.1, clipNorm: 1 };
const tiny = { ...common, tokenizerDocs: 400, textDocs: 400, systemPrompt: false, text: TINY_TEXT, instruct: TINY_INSTRUCT };
const small = { ...common, tokenizerDocs: 8000, textDocs: 40000, systemPrompt: true, text: SMALL_TEXT, instruct: SMALL_INSTRUCT };
const base = { ...common, tokenizerDocs: 40000, textDocs: 200000, systemPrompt: true, text: BASE_TEXT, instruct: BASE_INSTRUCT };

/** Per preset: the recipe of every zoo LLM, and the phase a family that continues on reasoning traces adds. */
const PRESET_RECIPES: Record<Preset, { recipe: LlmRecipe; reasoning: LlmPhaseRecipe }> = {
  tiny: { recipe: tiny, reasoning: TINY_REASONING },
  small: { recipe: small, reasoning: SMALL_REASONING },
  base: { recipe: base, reasoning: BASE_REASONING },
};

/** Every zoo LLM's recipe at every preset: the preset's, plus the reasoning phase where its family has `reasoningTraces`. */
export const LLM_RECIPES = Object.fromEntries(
  PRESETS.map((preset) => {
    const { recipe, reasoning } = PRESET_RECIPES[preset];
    return [preset, Object.fromEntries(ZOO_LLMS.map((z) => [z.name, llmArchitecture(z.family).reasoningTraces ? { ...recipe, reasoning } : recipe]))];
  }),
) as Record<Preset, Record<ZooLlmName, LlmRecipe>>;

/**
 * The recipe of a family at a rung. Rungs outside the zoo (size-ladder experiments) take their
 * family's zoo recipe: every rung gets the same tokens, so the recipe does not depend on the rung.
 */
export function llmRecipe(family: LlmFamily, size: LlmSize, preset: Preset): LlmRecipe {
  const table = LLM_RECIPES[preset];
  const exact = ZOO_LLMS.find((z) => z.family === family && z.size === size);
  const entry = exact ?? ZOO_LLMS.find((z) => z.family === family);
  if (!entry) throw new Error(`no LLM recipe for family "${family}" at preset ${preset}`);
  return table[entry.name];
}
