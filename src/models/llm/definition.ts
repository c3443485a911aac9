/**
 * What one LLM family file declares, in one object: its real architecture's ratios and quirks, the
 * chat template it speaks (by name), and the rungs of it that the zoo pretrains. `families.ts` lists
 * the family files; the registry builds every per-family list (LLM_FAMILIES, the family → template
 * map, ZOO_LLMS) from those definitions.
 */
import type { Llama3RopeScaling } from "../nn/rope.js";

/** Rungs of the ladder, named after the real parameter counts they mirror. */
export const LLM_SIZES = ["2b", "3.8b", "7b", "8b", "9b"] as const;
export type LlmSize = (typeof LLM_SIZES)[number];

/** What a family's real configuration fixes, independent of scale. */
export interface LlmArchitectureSpec<F extends string = string, T extends string = string> {
  family: F;
  /** The real model this family stands for, and its size on the ladder. */
  realModel: string;
  defaultSize: LlmSize;
  /** The family's chat template (templates/registry.ts), which also frames its pretraining documents. */
  template: T;
  realVocabSize: number;
  /** num_heads / num_kv_heads of the real model (1 = full multi-head attention). */
  queryPerKvHead: number;
  /** intermediate_size / hidden_size of the real model. */
  mlpRatio: number;
  /** head_dim / (hidden_size / num_heads) of the real model (Gemma 2 9B: 256 / 224). */
  headDimRatio: number;
  ropeTheta: number;
  partialRotaryFactor: number;
  /** llama3 rope scaling with original_max_position_embeddings given as a fraction of the context. */
  ropeScaling?: Omit<Llama3RopeScaling, "originalMaxPositions"> & { originalContextFraction: number };
  norm: "rmsnorm" | "rmsnorm_gemma";
  normEps: number;
  mlpActivation: "silu" | "gelu_tanh";
  fusedQkv: boolean;
  fusedGateUp: boolean;
  /** Norms before and after both attention and MLP (Gemma 2). */
  sandwichNorms: boolean;
  attnSoftcap?: number;
  finalSoftcap?: number;
  /** Sliding window on even layers, as a fraction of the context (Gemma 2: 4096 of 8192). */
  slidingWindowFraction?: number;
  scaleEmbeddings: boolean;
  tieEmbeddings: boolean;
  /** Continues text pretraining on reasoning traces (R1-Distill): its recipe adds the "reasoning" phase. */
  reasoningTraces: boolean;
}

/** A rung of a family that the zoo pretrains: its zoo name (run ids, run keys and grids name it) and its size. */
export interface ZooRung<Z extends string = string> {
  name: Z;
  size: LlmSize;
}

/** One family file's definition: the architecture and its pretraining data (zoo rungs; reasoning traces above). */
export interface LlmFamilyDefinition<F extends string = string, T extends string = string, Z extends string = string> extends LlmArchitectureSpec<F, T> {
  /**
   * The rungs the zoo pretrains, in zoo order. Each takes its preset's text-pretraining recipe
   * (train/llm_recipes.ts), plus the reasoning phase where `reasoningTraces`. A family that spreads
   * another's definition names its own rungs.
   */
  zoo: readonly ZooRung<Z>[];
}

/** Types a family file's definition, keeping its family, template and rung names as literal types. */
export const defineLlmFamily = <const F extends string, const T extends string, const Z extends string>(definition: LlmFamilyDefinition<F, T, Z>): LlmFamilyDefinition<F, T, Z> =>
  definition;
