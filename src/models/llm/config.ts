/**
 * Typed configuration of a decoder-only LLM and the size ladder of the study. Each family file
 * (vicuna.ts, llama3.ts, …) describes its real architecture's ratios and quirks (definition.ts);
 * `buildLlmConfig` scales them to a preset and a rung of the ladder.
 */
import type { Llama3RopeScaling } from "../nn/rope.js";
import type { ChatTemplateName } from "../templates/registry.js";
import { LLM_SIZES, type LlmArchitectureSpec, type LlmSize } from "./definition.js";
import { LLM_FAMILIES, type LlmFamily } from "./families.js";
import type { Preset } from "../../presets.js";
import { pick } from "../../util/object.js";

/** The divisor that turns n into its nearest divisor of `of` (for head counts that must divide). */
export function closestDivisor(of: number, target: number): number {
  let best = 1;
  for (let d = 1; d <= of; d++) if (of % d === 0 && Math.abs(d - target) < Math.abs(best - target)) best = d;
  return best;
}

export { LLM_FAMILIES, LLM_SIZES, type ChatTemplateName, type LlmFamily, type LlmSize };

/**
 * Heads (of the preset's head size) and layers per rung. Non-embedding parameters grow as
 * layers · heads², giving 64 : 125 : 245 : 256 : 288 ≈ 1 : 1.95 : 3.8 : 4.0 : 4.5, the ratios of
 * 2B : 3.8B : 7B : 8B : 9B.
 */
export const LADDER: Record<LlmSize, { heads: number; layers: number }> = {
  "2b": { heads: 4, layers: 4 },
  "3.8b": { heads: 5, layers: 5 },
  "7b": { heads: 7, layers: 5 },
  "8b": { heads: 8, layers: 4 },
  "9b": { heads: 6, layers: 8 },
};

export const PRESET_SCALE: Record<Preset, { headDim: number; maxPositions: number; vocabDivisor: number }> = {
  tiny: { headDim: 8, maxPositions: 64, vocabDivisor: 100 },
  small: { headDim: 32, maxPositions: 512, vocabDivisor: 62.5 },
  base: { headDim: 64, maxPositions: 1024, vocabDivisor: 15.625 },
};


/** What a registered family's real configuration fixes, independent of scale (its file's definition). */
export type LlmArchitecture = LlmArchitectureSpec<LlmFamily, ChatTemplateName>;

/** The architecture flags that pass unchanged from a family to every scaled config. */
const LLM_ARCHITECTURE_FLAGS = [
  "family",
  "template",
  "ropeTheta",
  "norm",
  "normEps",
  "mlpActivation",
  "fusedQkv",
  "fusedGateUp",
  "sandwichNorms",
  "attnSoftcap",
  "finalSoftcap",
  "scaleEmbeddings",
  "tieEmbeddings",
] as const;

export interface LlmConfig extends Pick<LlmArchitecture, (typeof LLM_ARCHITECTURE_FLAGS)[number]> {
  size: LlmSize;
  preset: Preset;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  intermediateSize: number;
  maxPositions: number;
  rotaryDim: number;
  ropeScaling?: Llama3RopeScaling;
  slidingWindow?: number;
  attentionScale: number;
  initStd: number;
}

const even = (n: number): number => Math.max(2, 2 * Math.round(n / 2));

export function buildLlmConfig(arch: LlmArchitecture, size: LlmSize, preset: Preset): LlmConfig {
  const scale = PRESET_SCALE[preset];
  const rung = LADDER[size];
  const hiddenSize = rung.heads * scale.headDim;
  const numHeads = rung.heads;
  const headDim = even(scale.headDim * arch.headDimRatio);
  const maxPositions = scale.maxPositions;
  return {
    ...pick(arch, LLM_ARCHITECTURE_FLAGS),
    size,
    preset,
    vocabSize: Math.round(arch.realVocabSize / scale.vocabDivisor),
    hiddenSize,
    numLayers: rung.layers,
    numHeads,
    numKvHeads: closestDivisor(numHeads, numHeads / arch.queryPerKvHead),
    headDim,
    intermediateSize: even(hiddenSize * arch.mlpRatio),
    maxPositions,
    rotaryDim: even(headDim * arch.partialRotaryFactor),
    ropeScaling: arch.ropeScaling && {
      factor: arch.ropeScaling.factor,
      lowFreqFactor: arch.ropeScaling.lowFreqFactor,
      highFreqFactor: arch.ropeScaling.highFreqFactor,
      originalMaxPositions: Math.round(maxPositions * arch.ropeScaling.originalContextFraction),
    },
    slidingWindow: arch.slidingWindowFraction === undefined ? undefined : Math.round(maxPositions * arch.slidingWindowFraction),
    attentionScale: 1 / Math.sqrt(headDim),
    initStd: 0.02,
  };
}

/** Parameter count implied by a config, computed without building the model. */
export function llmParameterCount(c: LlmConfig): number {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const attention = c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize;
  const mlp = 3 * c.hiddenSize * c.intermediateSize;
  const norms = (c.sandwichNorms ? 4 : 2) * c.hiddenSize;
  const embeddings = c.vocabSize * c.hiddenSize * (c.tieEmbeddings ? 1 : 2);
  return c.numLayers * (attention + mlp + norms) + c.hiddenSize + embeddings;
}
