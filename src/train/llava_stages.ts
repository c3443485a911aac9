/**
 * The two LLaVA training stages on cached tower features (data/paper/PROTOCOL.md §2):
 *
 *   stage 1 (alignment)   tower and LLM frozen, projector trained; template `plain`:
 *                         <image> caption \n, loss on the caption
 *   stage 2 (instruction) tower frozen, projector (from stage 1) and the full LLM trained;
 *                         the family's chat template, loss on the assistant replies
 *
 * Both run one epoch of `recipe.samples` samples in the run's seeded order through `trainLoop`
 * (AdamW, cosine schedule with warmup, clipping, gradient accumulation to the global batch,
 * resumable checkpoints, a stop with a clear error on a non-finite loss or gradient).
 */
import { IGNORE_INDEX } from "../models/llm/decoder.js";
import type { LlavaModel, LlavaSample } from "../models/llava/llava.js";
import { IMAGE_TOKEN_INDEX } from "../models/llava/llava.js";
import { encodeConversation } from "../models/templates/encode.js";
import type { ChatTemplate, Conversation } from "../models/templates/template.js";
import { plain } from "../models/templates/plain.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import type { LlavaSample as LlavaJsonSample } from "../data/llava_json.js";
import type { FeatureStore } from "../data/feature_cache.js";
import { Random } from "../util/random.js";
import { recipeOptimisation, trainLoop, type StepInfo, type TrainResult } from "./loop.js";
import { stageSteps, type StageRecipe } from "./protocol.js";

/** An encoded sample and the feature-store index of its image (−1: text only). */
export interface StageSample extends LlavaSample {
  image: number;
}

export interface EncodedSet {
  samples: StageSample[];
  /** Samples cut at the LLM's context (right truncation, as the LLaVA trainer's model_max_length). */
  truncated: number;
  /** Samples left without a supervised token after the cut, or whose image has no cached features. */
  dropped: number;
}

/** LLaVA-JSON conversation turns as template turns (human/gpt pairs). */
export function conversationOf(sample: LlavaJsonSample, system?: string): Conversation {
  const turns = [];
  for (let i = 0; i + 1 < sample.conversations.length; i += 2) {
    turns.push({ user: sample.conversations[i]!.value, assistant: sample.conversations[i + 1]!.value });
  }
  return system === undefined ? { turns } : { turns, system };
}

/**
 * Encodes samples in the run's order (a shuffle seeded by `seed` and `stage`), keeping those whose
 * image has cached features, until `limit` are kept; each is cut to `maxPositions` positions
 * counting the image's `imageTokens`.
 */
export function encodeSamples(
  samples: readonly LlavaJsonSample[],
  options: { tokenizer: FamilyTokenizer; template: ChatTemplate; features: FeatureStore; maxPositions: number; limit: number; seed: number; stage: string; system?: string },
): EncodedSet {
  const order = Random.stream(options.seed, "order", options.stage).shuffle(samples);
  const out: StageSample[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const sample of order) {
    if (out.length >= options.limit) break;
    const scene = sample.image?.replace(/\.png$/, "");
    if (scene !== undefined && !options.features.has(scene)) continue;
    const encoded = encodeConversation(options.tokenizer, options.template, conversationOf(sample, options.system));
    const hasImage = encoded.ids.includes(IMAGE_TOKEN_INDEX);
    const room = options.maxPositions - (hasImage ? options.features.tokens - 1 : 0);
    if (encoded.ids.length > room) truncated++;
    const fitted = fitToRoom(encoded, room);
    if (!fitted) {
      dropped++;
      continue;
    }
    out.push({ ...fitted, image: scene !== undefined ? options.features.indexOf(scene) : -1 });
  }
  return { samples: out, truncated, dropped };
}

/** Two encoded sets one after the other: `first`'s samples make the stage's first steps. */
export const concatSets = (first: EncodedSet, then: EncodedSet): EncodedSet => ({
  samples: [...first.samples, ...then.samples],
  truncated: first.truncated + then.truncated,
  dropped: first.dropped + then.dropped,
});

/**
 * An encoded conversation right-truncated to `room` positions (its image placeholder counted as one);
 * undefined when the cut leaves nothing supervised or cuts off the image.
 */
export function fitToRoom(encoded: { ids: readonly number[]; labels: readonly number[] }, room: number): { ids: number[]; labels: number[] } | undefined {
  const ids = encoded.ids.slice(0, room);
  const labels = encoded.labels.slice(0, room);
  if (labels.slice(1).every((l) => l === IGNORE_INDEX)) return undefined;
  if (encoded.ids.includes(IMAGE_TOKEN_INDEX) && !ids.includes(IMAGE_TOKEN_INDEX)) return undefined;
  return { ids, labels };
}

export const stage1Template = plain;

export interface StageOptions {
  label: string;
  model: LlavaModel;
  set: EncodedSet;
  features: FeatureStore;
  recipe: StageRecipe;
  checkpointDir?: string;
  onStep?(info: StepInfo): void;
  /** Awaited after each update (the run's binding measurements during stage 2). */
  afterStep?(step: number): void | Promise<void>;
  progress?: boolean;
}

/**
 * Micro-batch `micro` of step `step`: the step's global batch sorted by length (stable), then cut
 * in order, so samples of similar length share a micro-batch and little compute goes to padding —
 * what LLaVA's `group_by_modality_length` does for the same reason.
 */
export function microBatch(samples: readonly StageSample[], step: number, micro: number, recipe: Pick<StageRecipe, "globalBatch" | "microBatch">, imageTokens: number): StageSample[] {
  const global = samples.slice(step * recipe.globalBatch, (step + 1) * recipe.globalBatch);
  const positions = (s: StageSample): number => s.ids.length + (s.image >= 0 ? imageTokens - 1 : 0);
  const sorted = global.map((s, i) => ({ s, i })).sort((x, y) => positions(x.s) - positions(y.s) || x.i - y.i);
  return sorted.slice(micro * recipe.microBatch, (micro + 1) * recipe.microBatch).map((x) => x.s);
}

/** Trains whatever is trainable in `model` for one epoch of the set. */
export async function trainStage(options: StageOptions): Promise<TrainResult & { steps: number }> {
  const { recipe, set, model, features } = options;
  if (recipe.globalBatch % recipe.microBatch !== 0) throw new Error(`${options.label}: global batch ${recipe.globalBatch} is not a multiple of the micro-batch ${recipe.microBatch}`);
  if (set.samples.length < recipe.globalBatch) throw new Error(`${options.label}: ${set.samples.length} samples, fewer than one global batch of ${recipe.globalBatch}`);
  const steps = stageSteps(recipe, set.samples.length);
  const trainable = model.trainableParameters();
  // Checkpoints name variables by parameter name (TF.js's own names differ between processes).
  const state = new Map(model.namedParameters().filter(([, v]) => v.trainable));
  const result = await trainLoop({
    label: options.label,
    steps,
    ...recipeOptimisation(recipe),
    state,
    trainable,
    microBatches: recipe.globalBatch / recipe.microBatch,
    loss: (step, micro) => {
      const batch = microBatch(set.samples, step, micro, recipe, features.tokens);
      const images = features.batch(batch.map((s) => Math.max(0, s.image)));
      return model.loss(batch, images);
    },
    checkpointDir: options.checkpointDir,
    onStep: options.onStep,
    afterStep: options.afterStep,
    progress: options.progress,
  });
  return { ...result, steps };
}
