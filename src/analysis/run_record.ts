/**
 * What a study run is and what it leaves behind: the pairing it trains (its id and the id of the
 * pairing whatever the seed) and the record of its result.json. The study writes these records
 * (src/study/run.ts) and the analysis reads them, so they live here, below both.
 */
import type { GpuAdapterInfo } from "../backend/webgpu.js";
import { PORTABLE_CLASS, type KernelBuild } from "../backend/kernel_build.js";
import type { CaptionStyle } from "../data/captions.js";
import type { VisionFamily } from "../models/vision/config.js";
import { resolutionLabel, type ResolutionSpec } from "../models/vision/resolution.js";
import type { Preset } from "../presets.js";
import type { Profile } from "../eval/profile.js";
import type { BindingScore } from "../probes/binding_eval.js";
import type { ImageReliance } from "../probes/image_reliance.js";
import type { ZooLlmName } from "../train/llm_recipes.js";

export interface PairingSpec {
  llm: ZooLlmName;
  tower: VisionFamily;
  resolution: ResolutionSpec;
  /** Stage-1 caption set (LCS-558K's analogue is `short`). */
  captions: CaptionStyle;
  seed: number;
}

/** A pairing whatever its seed: `llama3.1-8b__clip-1x__short`. */
export function pairingId(p: Omit<PairingSpec, "seed">): string {
  return `${p.llm}__${p.tower}-${resolutionLabel(p.resolution)}__${p.captions}`;
}

/** A readable, file-safe run id: `llama3.1-8b__clip-1x__short__s0`. */
export function runId(p: PairingSpec): string {
  return `${pairingId(p)}__s${p.seed}`;
}

export interface StageSummary {
  steps: number;
  samples: number;
  truncated: number;
  dropped: number;
  firstLoss: number;
  finalLoss: number;
  seconds: number;
  tokensPerSecond: number;
}

/** Binding accuracy per family after `step` stage-2 steps. */
export interface BindingPoint {
  step: number;
  accuracy: Record<string, number>;
}

export interface RunResult {
  id: string;
  key: string;
  preset: Preset;
  spec: PairingSpec;
  protocolVersion: number;
  llm: { name: string; family: string; size: string; parameters: number };
  tower: { family: string; resolution: string; side: number; s2: boolean; tokens: number; dim: number };
  stage1: StageSummary;
  stage2: StageSummary;
  /** Stage-2 loss on validation conversations with their own images and with other scenes' (src/probes/image_reliance.ts). */
  imageReliance?: ImageReliance;
  /**
   * Binding per family on multi-object validation scenes against its shortcut and the text-only
   * prior (src/probes/binding.ts), and its accuracy during stage 2; absent from runs before it.
   */
  binding?: { questions: number; priorQuestions: number; families: BindingScore[]; curve: BindingPoint[] };
  eval: {
    tasks: Record<string, { metrics: Record<string, number>; n: number; seconds: number }>;
    /** README column -> score in the README's units. */
    headline: Record<string, number>;
    limit?: number;
    /** Present when the run was evaluated on the validation split instead of the benchmark files. */
    split?: "validation";
    maxNewTokens: number;
    /** The scoring profile (src/eval/profile.ts); absent in results written before profiles existed, which are vendored. */
    lmmsEval?: Profile;
    /** Prompts cut to fit the LLM's context (header and image kept, the start of the question dropped). */
    truncatedPrompts: number;
    seconds: number;
  };
  backend: string;
  /**
   * The kernel build and CPU it ran on (src/backend/kernel_build.ts); absent in runs before builds were
   * recorded, which all ran the portable bits. Its class is part of the run's key.
   */
  kernels?: KernelBuild;
  /**
   * SHA-1 of the zoo weights the run started from (the LLM's and the tower's model.safetensors). Two
   * builds of one entry by the same recipe differ where the machines' floating point does (the native
   * kernels are compiled for the CPU they build on), so this tells runs of different builds apart.
   */
  zooWeights?: { llm: string; tower: string };
  /** The WebGPU adapter, when the run used one: vendor, architecture, description, fallback and software flags. */
  adapter?: GpuAdapterInfo;
  /** Wall time of the whole run, summed over the processes that worked on it. */
  seconds: number;
  finished: string;
}

/** The class of the kernel build a result was computed with ("portable" for results from before builds were recorded). */
export const resultKernels = (r: Pick<RunResult, "kernels">): string => r.kernels?.class ?? PORTABLE_CLASS;

/**
 * A run's wall time. `seconds` gains a process's time only when it finishes, so a run killed and
 * resumed shows just its last segment; its stages count every segment's steps, a floor that holds.
 */
export const runWallSeconds = (r: RunResult): number => Math.max(r.seconds, r.stage1.seconds + r.stage2.seconds + r.eval.seconds);
