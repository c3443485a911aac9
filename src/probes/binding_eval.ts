/**
 * A LLaVA model answering the binding question set (binding.ts): each question asked as the GQA
 * analogue asks (the family's template, `<image>`, the question and lmms-eval's short-answer prompt;
 * greedy decoding, a few tokens), about
 * its scene's image features, and scored per family against the shortcut and the text-only prior.
 * Runs call it during stage 2 and at evaluation (src/study/run.ts); the binding probe after every
 * K steps (binding_probe.ts).
 */
import type * as tf from "@tensorflow/tfjs";
import { SHORT_ANSWER_PROMPT } from "../eval/prompts.js";
import { IMAGE_TOKEN_INDEX, type LlavaModel } from "../models/llava/llava.js";
import { encodeWithImage, stopTokenIds } from "../models/templates/encode.js";
import type { ChatTemplate, Conversation } from "../models/templates/template.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { bindingQuestions, scoreBinding, textPriorFromScenes, type BindingFamily, type BindingQuestion, type FamilyBinding } from "./binding.js";
import type { Scene } from "../world/scene.js";

/** Image features by index: a feature cache, or the binding probe's encodings. */
export interface FeatureSource {
  batch(indices: readonly number[]): tf.Tensor3D;
  readonly tokens: number;
}

export interface BindingAnswerOptions {
  model: LlavaModel;
  tokenizer: FamilyTokenizer;
  template: ChatTemplate;
  system?: string;
  features: FeatureSource;
  /** The feature index of a question's scene. */
  imageOf(question: BindingQuestion): number;
  batchSize?: number;
  /** Every binding answer is one word or a two-character label. */
  maxNewTokens?: number;
}

/** A question as the GQA analogue and the short-answer VQA turns of the stage-2 mixture ask it. */
export const bindingPrompt = (question: string): string => `${question}\n${SHORT_ANSWER_PROMPT}`;

/** The ids of a binding question asked as `answerBinding` asks it: the template around `<image>` and `bindingPrompt`. */
export const bindingPromptIds = (tokenizer: FamilyTokenizer, template: ChatTemplate, conversation: Conversation, question: string): number[] =>
  encodeWithImage(tokenizer, template.prompt(conversation, `<image>\n${bindingPrompt(question)}`));

/** Greedy answers to `questions`, in order. */
export async function answerBinding(questions: readonly BindingQuestion[], options: BindingAnswerOptions): Promise<string[]> {
  const { model, tokenizer, template } = options;
  const batchSize = options.batchSize ?? 32;
  const maxNewTokens = options.maxNewTokens ?? 4;
  const stops = stopTokenIds(tokenizer, template);
  const conversation = options.system === undefined ? { turns: [] } : { turns: [], system: options.system };
  const room = model.llm.config.maxPositions - maxNewTokens - (options.features.tokens - 1);
  const answers: string[] = [];
  for (let start = 0; start < questions.length; start += batchSize) {
    const batch = questions.slice(start, start + batchSize);
    const prompts = batch.map((q) => {
      const ids = bindingPromptIds(tokenizer, template, conversation, q.question);
      return ids.length <= room ? ids : cutPrompt(ids, room, q.question);
    });
    const images = options.features.batch(batch.map((q) => options.imageOf(q)));
    try {
      const outputs = await model.generateBatch(prompts, images, { maxNewTokens, stopTokens: stops });
      answers.push(...outputs.map((ids) => tokenizer.decode(ids.filter((id) => !stops.includes(id)), true).trim()));
    } finally {
      images.dispose();
    }
  }
  return answers;
}

/**
 * A prompt cut to `room` ids as the benchmark runner cuts one (study/answerer.ts `fitPrompt`): the
 * template's header up to the image kept, then the prompt's last ids. Only `tiny`'s 64 positions need it.
 */
function cutPrompt(ids: readonly number[], room: number, question: string): number[] {
  const at = ids.indexOf(IMAGE_TOKEN_INDEX);
  const head = at >= 0 && at + 2 <= room ? ids.slice(0, at + 1) : [IMAGE_TOKEN_INDEX];
  if (room - head.length < 1) throw new Error(`binding: the prompt "${question}" cannot be cut to ${room} positions`);
  return [...head, ...ids.slice(Math.max(at + 1, ids.length - (room - head.length)))];
}

/** A binding set ready to ask: questions about held-out scenes with the prior learned from training scenes. */
export interface BindingSet {
  questions: BindingQuestion[];
  /** Training questions the text-only prior was learned from. */
  priorQuestions: number;
}

/**
 * Up to `perFamily` questions of each family about multi-object `heldOut` scenes (the ones binding
 * is judged on; in scene order), the text-only prior learned from `trainScenes`.
 */
export function bindingSet(heldOut: readonly Scene[], trainScenes: readonly Scene[], options: { seed: number; perFamily: number; families?: readonly BindingFamily[] }): BindingSet {
  const families = options.families;
  const prior = textPriorFromScenes(trainScenes, options.seed, families);
  const all = bindingQuestions(heldOut, { seed: options.seed, prior, ...(families ? { families } : {}) });
  const taken = new Map<string, number>();
  const questions = all.filter((q) => {
    if (!q.multiObject) return false;
    const n = taken.get(q.family) ?? 0;
    if (n >= options.perFamily) return false;
    taken.set(q.family, n + 1);
    return true;
  });
  return { questions, priorQuestions: prior.questions };
}

/** The model's binding per family on a set. */
export async function measureBinding(set: BindingSet, options: BindingAnswerOptions): Promise<FamilyBinding[]> {
  return scoreBinding(set.questions, await answerBinding(set.questions, options));
}

/** What a run's result and log keep of a measurement: per family, accuracy beside its references. */
export interface BindingScore {
  family: BindingFamily;
  n: number;
  accuracy: number;
  shortcut: number;
  shortcutStrategy: string;
  prior: number | null;
}

export const bindingScores = (families: readonly FamilyBinding[]): BindingScore[] =>
  families.map((f) => ({ family: f.family, n: f.n, accuracy: f.accuracy, shortcut: f.shortcut, shortcutStrategy: f.shortcutStrategy, prior: f.prior }));
