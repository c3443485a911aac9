/**
 * A trained LLaVA model as the evaluation runner's model under test: each benchmark prompt built as
 * lmms-eval's LLaVA model builds it (the family template, `<image>` then the question), the image's
 * cached tower features looked up by the item's image path, answers generated greedily in batches.
 */
import type { BatchedModel, GenerationRequest } from "../eval/runner.js";
import { IMAGE_TOKEN_INDEX, type LlavaModel } from "../models/llava/llava.js";
import { encodeWithImage, stopTokenIds } from "../models/templates/encode.js";
import type { ChatTemplate } from "../models/templates/template.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import type { FeatureStore } from "../data/feature_cache.js";

/** A benchmark-answering model over cached features of the held-out scenes, in batches. */
export function cachedFeatureModel(options: {
  model: LlavaModel;
  tokenizer: FamilyTokenizer;
  template: ChatTemplate;
  features: FeatureStore;
  system?: string;
  batchSize: number;
  maxNewTokens: number;
}): BatchedModel & { truncatedPrompts: number } {
  const stops = stopTokenIds(options.tokenizer, options.template);
  const model = {
    batchSize: options.batchSize,
    /** Prompts cut to fit the LLM's context (only the tiny preset's 64 positions need it). */
    truncatedPrompts: 0,
    async generateBatch(requests: readonly GenerationRequest[]): Promise<string[]> {
      const maxNewTokens = Math.min(options.maxNewTokens, Math.max(...requests.map((r) => r.maxNewTokens)));
      const room = options.model.llm.config.maxPositions - maxNewTokens - (options.features.tokens - 1);
      const prompts = requests.map((r) => {
        const ids = encodeWithImage(options.tokenizer, options.template.prompt(options.system === undefined ? { turns: [] } : { turns: [], system: options.system }, r.prompt));
        if (ids.length <= room) return ids;
        model.truncatedPrompts++;
        return fitPrompt(ids, room);
      });
      const images = options.features.batch(requests.map((r) => options.features.indexOf(r.imagePath.replace(/\.png$/, ""))));
      try {
        const outputs = await options.model.generateBatch(prompts, images, { maxNewTokens, stopTokens: stops });
        return outputs.map((ids) => options.tokenizer.decode(ids.filter((id) => !stops.includes(id)), true).trim());
      } finally {
        images.dispose();
      }
    },
  };
  return model;
}

/**
 * A prompt cut to `room` ids: the template's header and the image kept, then the prompt's last ids;
 * when the header and image alone do not fit, the image and the last ids.
 */
export function fitPrompt(ids: readonly number[], room: number): number[] {
  const at = ids.indexOf(IMAGE_TOKEN_INDEX);
  const head = at >= 0 && at + 2 <= room ? ids.slice(0, at + 1) : at >= 0 ? [IMAGE_TOKEN_INDEX] : [];
  const tail = room - head.length;
  if (tail < 1) throw new Error(`a prompt of ${ids.length} ids cannot be cut to ${room}`);
  return [...head, ...ids.slice(Math.max(at + 1, ids.length - tail))];
}
