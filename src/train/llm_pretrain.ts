/**
 * Text pretraining of one LLM of the study on the world's corpus, in phases that mirror how the real
 * instruct models were made:
 *
 *  1. tokenizer: the family's byte-level BPE trained on the corpus (plain texts and dialogues rendered
 *     with the family's chat template), at the family's vocabulary size;
 *  2. "text": next-token loss on every token of packed rows: plain documents framed by the family's
 *     begin/end-of-text tokens, dialogues rendered with the chat template;
 *  3. "instruct": the dialogues alone in the chat template, loss on assistant replies only;
 *  4. "reasoning" (R1-Distill only): the reasoning traces (`<think> … </think>` then the answer) in
 *     the family's template, loss on the assistant part.
 *
 * Each phase is one `trainLoop` run with its own checkpoint folder; the batch of step s is a function
 * of s, so a killed run resumes exactly, in the phase it was in.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import type { TextDoc } from "../data/text_corpus.js";
import type { ChatTemplateName, LlmConfig, LlmFamily, LlmSize } from "../models/llm/config.js";
import { CausalLM, causalLmLoss, IGNORE_INDEX } from "../models/llm/decoder.js";
import { llmArchitecture, llmConfig } from "../models/llm/registry.js";
import type { Preset } from "../presets.js";
import { encodeConversation } from "../models/templates/encode.js";
import { chatTemplate, familyTemplate } from "../models/templates/registry.js";
import type { ChatTemplate, Conversation } from "../models/templates/template.js";
import { trainFamilyTokenizer } from "../models/tokenizer/family.js";
import { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { Random } from "../util/random.js";
import { llmRecipe, type LlmPhaseName, type LlmPhaseRecipe, type LlmRecipe } from "./llm_recipes.js";
import { moduleState, trainLoop } from "./loop.js";

/** The token a document is conditioned on: bos, or the separator where the family has no bos (the template's document marks). */
export function documentStartId(tokenizer: FamilyTokenizer, template: ChatTemplateName): number {
  const marks = familyTemplate(template).documentMarks;
  return tokenizer.id(marks.bos ?? marks.eos);
}

/** A corpus dialogue (alternating user / assistant turns) as a template conversation. */
export function conversationOf(doc: TextDoc, system?: string): Conversation {
  if (!doc.turns) throw new Error(`a ${doc.kind} document has no turns`);
  const turns: Conversation["turns"] = [];
  for (const t of doc.turns) {
    if (t.role === "user") turns.push({ user: t.content, assistant: "" });
    else if (turns.length > 0) turns[turns.length - 1]!.assistant = t.content;
    else throw new Error("a dialogue starts with an assistant turn");
  }
  return system === undefined ? { turns } : { turns, system };
}

const renderText = (template: ChatTemplate, conversation: Conversation): string =>
  template
    .render(conversation)
    .map((s) => s.text)
    .join("");

/** A document as pretraining text: bos + text + eos, or the whole rendered dialogue + eos. */
export function documentText(doc: TextDoc, templateName: ChatTemplateName, system?: string): string {
  const marks = familyTemplate(templateName).documentMarks;
  if (doc.text !== undefined) return `${marks.bos ?? ""}${doc.text}${marks.eos}`;
  const rendered = renderText(chatTemplate(templateName), conversationOf(doc, system));
  return rendered.endsWith(marks.eos) ? rendered : `${rendered}${marks.eos}`;
}

export interface TokenRows {
  ids: number[][];
  labels: number[][];
  /** Tokens that are not padding. */
  tokens: number;
}

export interface LabelledSequence {
  ids: number[];
  labels: number[];
}

/**
 * Rows of whole sequences drawn at random from `pool` and packed greedily: a sequence that does not
 * fit the current row starts the next one; the sequence left over after the last row is dropped.
 * Padding has the pad id and label IGNORE_INDEX.
 */
export function packSequences(pool: readonly LabelledSequence[], rng: Random, rows: number, seqLen: number, padId: number): TokenRows {
  if (pool.length === 0) throw new Error("packSequences: no sequences to pack");
  const ids: number[][] = [];
  const labels: number[][] = [];
  let tokens = 0;
  let rowIds: number[] = [];
  let rowLabels: number[] = [];
  const close = (): void => {
    tokens += rowIds.length;
    const pad = seqLen - rowIds.length;
    ids.push([...rowIds, ...Array<number>(pad).fill(padId)]);
    labels.push([...rowLabels, ...Array<number>(pad).fill(IGNORE_INDEX)]);
    rowIds = [];
    rowLabels = [];
  };
  while (ids.length < rows) {
    const s = pool[rng.int(pool.length)]!;
    if (s.ids.length > seqLen) throw new Error(`packSequences: a sequence of ${s.ids.length} tokens exceeds the row length ${seqLen}`);
    if (rowIds.length + s.ids.length > seqLen) {
      close();
      if (ids.length === rows) break;
    }
    rowIds.push(...s.ids);
    rowLabels.push(...s.labels);
  }
  return { ids, labels, tokens };
}

/** Supervised next-token targets of a sequence (the label at position 0 is never predicted). */
const supervised = (labels: readonly number[]): number => labels.slice(1).filter((l) => l !== IGNORE_INDEX).length;

/**
 * Conversations encoded with the template, cut to `seqLen` tokens (right truncation, as the LLaVA
 * trainer does at model_max_length); those left without a supervised token are dropped.
 */
export function encodeConversations(tokenizer: FamilyTokenizer, template: ChatTemplate, conversations: readonly Conversation[], seqLen: number): { pool: LabelledSequence[]; truncated: number; dropped: number } {
  const pool: LabelledSequence[] = [];
  let truncated = 0;
  let dropped = 0;
  for (const c of conversations) {
    const e = encodeConversation(tokenizer, template, c);
    if (e.ids.length > seqLen) truncated++;
    const s = { ids: e.ids.slice(0, seqLen), labels: e.labels.slice(0, seqLen) };
    if (supervised(s.labels) === 0) dropped++;
    else pool.push(s);
  }
  return { pool, truncated, dropped };
}

/** One long token stream of framed documents, tokenised only as far as `needed` tokens. */
function textStream(tokenizer: FamilyTokenizer, docs: readonly TextDoc[], templateName: ChatTemplateName, needed: number, system: string | undefined): { stream: number[]; documents: number } {
  const stream: number[] = [];
  let documents = 0;
  for (const doc of docs) {
    if (stream.length >= needed) break;
    for (const id of tokenizer.encode(documentText(doc, templateName, system))) stream.push(id);
    documents++;
  }
  return { stream, documents };
}

/** The next-token loss of rows of `seqLen` token ids (labels IGNORE_INDEX where nothing is supervised). */
export function rowsLoss(model: CausalLM, rows: Pick<TokenRows, "ids" | "labels">, seqLen: number): tf.Scalar {
  const shape: [number, number] = [rows.ids.length, seqLen];
  return causalLmLoss(model.forward(tf.tensor2d(rows.ids.flat(), shape, "int32")), tf.tensor2d(rows.labels.flat(), shape, "int32"));
}

/** The rows of text-phase step `step`: consecutive windows of the stream, wrapping round at its end. */
export function streamRows(stream: readonly number[], step: number, rows: number, seqLen: number): TokenRows {
  const windows = Math.floor(stream.length / seqLen);
  if (windows === 0) throw new Error(`the text stream holds ${stream.length} tokens, fewer than one row of ${seqLen}`);
  const ids: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const w = (step * rows + r) % windows;
    ids.push(stream.slice(w * seqLen, (w + 1) * seqLen));
  }
  return { ids, labels: ids, tokens: rows * seqLen };
}

export interface LlmPretrainOptions {
  family: LlmFamily;
  /** Defaults to the family's real size. */
  size?: LlmSize;
  preset: Preset;
  seed: number;
  dataset: Dataset;
  /** Resumable checkpoints and the trained tokenizer go here (one sub-folder per phase). */
  checkpointDir?: string;
  progress?: boolean;
  /** Overrides the recipe's steps: one number for every phase, or per phase (tests). */
  steps?: number | Partial<Record<LlmPhaseName, number>>;
  /** Overrides the preset's recipe. */
  recipe?: LlmRecipe;
}

export interface LlmPhaseResult {
  phase: LlmPhaseName;
  losses: number[];
  steps: number;
  /** Tokens in the phase's rows (padding excluded), resumed steps included. */
  tokens: number;
  /** Tokens that carried loss. */
  supervisedTokens: number;
  seconds: number;
  resumedFrom: number;
  /** What the phase trained on, in words. */
  data: string;
}

export interface LlmPretrainResult {
  model: CausalLM;
  tokenizer: FamilyTokenizer;
  config: LlmConfig;
  recipe: LlmRecipe;
  phases: LlmPhaseResult[];
  /** Every step's loss, phases in order. */
  losses: number[];
  steps: number;
  tokens: number;
  tokenizerSeconds: number;
  /** Wall time of this process's part of the run, tokenizer included. */
  seconds: number;
}

interface PhasePlan {
  phase: LlmPhaseName;
  recipe: LlmPhaseRecipe;
  data: string;
  rows(step: number): TokenRows;
}

function stepsOf(override: LlmPretrainOptions["steps"], phase: LlmPhaseName, recipe: LlmPhaseRecipe): LlmPhaseRecipe {
  const steps = typeof override === "number" ? override : override?.[phase];
  return steps === undefined ? recipe : { ...recipe, steps };
}

/** The family tokenizer trained on the first documents of the corpus (saved to / reused from `dir`). */
export function pretrainTokenizer(config: LlmConfig, docs: readonly TextDoc[], recipe: LlmRecipe, dir?: string): FamilyTokenizer {
  if (dir && existsSync(join(dir, "tokenizer.json"))) return FamilyTokenizer.load(dir);
  const system = recipe.systemPrompt ? undefined : "";
  const corpus = docs.slice(0, recipe.tokenizerDocs).map((d) => (d.text !== undefined ? d.text : renderText(chatTemplate(config.template), conversationOf(d, system))));
  const tokenizer = trainFamilyTokenizer(config, corpus);
  if (dir) tokenizer.save(dir);
  return tokenizer;
}

/** Pretrains one LLM through its recipe's phases (resuming from `checkpointDir` where it holds checkpoints). */
export async function pretrainLlm(options: LlmPretrainOptions): Promise<LlmPretrainResult> {
  const started = Date.now();
  const arch = llmArchitecture(options.family);
  const size = options.size ?? arch.defaultSize;
  const config = llmConfig(options.family, options.preset, size);
  const recipe = options.recipe ?? llmRecipe(options.family, size, options.preset);
  const template = chatTemplate(config.template);
  const system = recipe.systemPrompt ? undefined : "";
  const corpus = options.dataset.text("pretrain");
  const label = `${options.family}-${size}`;

  const tokenizerStarted = Date.now();
  const tokenizer = pretrainTokenizer(config, corpus, recipe, options.checkpointDir && join(options.checkpointDir, "tokenizer"));
  const tokenizerSeconds = (Date.now() - tokenizerStarted) / 1000;
  if (tokenizer.vocabSize > config.vocabSize) throw new Error(`${label}: the tokenizer has ${tokenizer.vocabSize} tokens, the model ${config.vocabSize}`);
  const padId = tokenizer.id(familyTemplate(config.template).documentMarks.eos);

  const plans: PhasePlan[] = [];
  const text = stepsOf(options.steps, "text", recipe.text);
  const { stream, documents } = textStream(tokenizer, corpus.slice(0, recipe.textDocs), config.template, text.steps * text.batchSize * text.seqLen, system);
  plans.push({
    phase: "text",
    recipe: text,
    data: `${documents} documents (${corpus.slice(0, documents).filter((d) => d.turns).length} dialogues in the ${config.template} template), ${stream.length} tokens packed in rows of ${text.seqLen}`,
    rows: (step) => streamRows(stream, step, text.batchSize, text.seqLen),
  });

  const conversational = (phase: "instruct" | "reasoning", docs: readonly TextDoc[], phaseRecipe: LlmPhaseRecipe): void => {
    const r = stepsOf(options.steps, phase, phaseRecipe);
    const { pool, truncated, dropped } = encodeConversations(tokenizer, template, docs.map((d) => conversationOf(d, system)), r.seqLen);
    if (pool.length === 0) throw new Error(`${label}: no ${phase} conversation keeps a supervised token within ${r.seqLen} tokens`);
    plans.push({
      phase,
      recipe: r,
      data: `${pool.length} ${phase === "instruct" ? "dialogues" : "reasoning traces"} in the ${config.template} template, loss on assistant replies (${truncated} cut to ${r.seqLen} tokens, ${dropped} dropped)`,
      rows: (step) => packSequences(pool, Random.stream(options.seed, "llm-pretrain", phase, step), r.batchSize, r.seqLen, padId),
    });
  };
  conversational("instruct", corpus.filter((d) => d.kind === "dialogue"), recipe.instruct);
  if (recipe.reasoning) conversational("reasoning", options.dataset.text("reasoning"), recipe.reasoning);

  for (const p of plans) {
    if (p.recipe.seqLen > config.maxPositions) throw new Error(`${label}: ${p.phase} rows of ${p.recipe.seqLen} tokens exceed maxPositions ${config.maxPositions}`);
  }

  const model = new CausalLM(config, options.seed);
  const state = moduleState({ model });
  const trainable = model.trainableParameters();
  const phases: LlmPhaseResult[] = [];
  try {
    for (const plan of plans) {
      const run = await trainLoop({
        label: `${label} ${plan.phase}`,
        steps: plan.recipe.steps,
        schedule: { learningRate: plan.recipe.learningRate, warmupFraction: recipe.warmupFraction },
        weightDecay: recipe.weightDecay,
        clipNorm: recipe.clipNorm,
        state,
        trainable,
        checkpointDir: options.checkpointDir && join(options.checkpointDir, plan.phase),
        progress: options.progress,
        loss: (step) => tf.tidy(() => rowsLoss(model, plan.rows(step), plan.recipe.seqLen)),
      });
      let tokens = 0;
      let supervisedTokens = 0;
      for (let s = 0; s < plan.recipe.steps; s++) {
        const rows = plan.rows(s);
        tokens += rows.tokens;
        for (const l of rows.labels) supervisedTokens += supervised(l);
      }
      phases.push({ phase: plan.phase, losses: run.losses, steps: plan.recipe.steps, tokens, supervisedTokens, seconds: run.seconds, resumedFrom: run.resumedFrom, data: plan.data });
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  return {
    model,
    tokenizer,
    config,
    recipe,
    phases,
    losses: phases.flatMap((p) => p.losses),
    steps: phases.reduce((n, p) => n + p.steps, 0),
    tokens: phases.reduce((n, p) => n + p.tokens, 0),
    tokenizerSeconds,
    seconds: (Date.now() - started) / 1000,
  };
}
