/**
 * The stage-2 visual-instruction mixture, LLaVA-665K-like: each sample is one LLaVA conversation
 * about a training scene, of one of these kinds, drawn in the proportions of MIXTURE (a text-only
 * share stands for the ShareGPT conversations LLaVA-665K keeps).
 */
import { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { categoryNamed } from "../world/vocabulary.js";
import { DETAILED_INSTRUCTIONS, denseCaption } from "./captions.js";
import type { LlavaSample, LlavaTurn } from "./llava_json.js";
import { IMAGE_PLACEHOLDER } from "../models/templates/template.js";
import { OPTION_LETTERS, ask, multipleChoicePrompt, optionsFor, referTo, type FamilyName, type QA } from "./questions.js";
import { textDocument } from "./text_corpus.js";
import { capitalise, withArticle } from "./language.js";

export const SHORT_ANSWER_PROMPT = "Answer the question using a single word or phrase.";

export const INSTRUCTION_KINDS = ["conversation", "detail", "reasoning", "vqa", "choice", "reading", "text"] as const;
export type InstructionKind = (typeof INSTRUCTION_KINDS)[number];

/**
 * Shares of LLaVA-665K by source, grouped into our kinds: LLaVA-Instruct conversation 58K, detail
 * 23K, complex reasoning 77K; short-answer VQA (VQAv2, GQA, OKVQA, Visual Genome, RefCOCO) ≈ 290K;
 * multiple choice (A-OKVQA) 66K; reading (OCR-VQA, TextCaps) 102K; text-only ShareGPT 40K.
 */
export const MIXTURE: Record<InstructionKind, number> = { conversation: 0.09, detail: 0.035, reasoning: 0.115, vqa: 0.44, choice: 0.1, reading: 0.15, text: 0.06 };

const CONVERSATION_FAMILIES: readonly FamilyName[] = ["colour", "shape", "count", "exists", "position", "size", "texture", "theme", "arrow"];
const VQA_FAMILIES: readonly FamilyName[] = ["colour", "shape", "count", "exists", "position", "size", "texture", "theme", "arrow", "arrows"];
const REASONING_FAMILIES: readonly FamilyName[] = ["material", "origin", "weight", "name", "sum"];
const READING_FAMILIES: readonly FamilyName[] = ["label", "sign", "title", "sum"];
const CHOICE_FAMILIES: readonly FamilyName[] = ["colour", "shape", "count", "size", "texture", "material", "origin", "name", "theme", "label", "arrow"];

/** Up to `n` questions of distinct wording from `families`. */
function questions(scene: Scene, rng: Random, families: readonly FamilyName[], n: number): QA[] {
  const out: QA[] = [];
  for (let tries = 0; tries < 6 * n && out.length < n; tries++) {
    const qa = ask(rng.pick(families), scene, rng);
    if (qa && !out.some((q) => q.question === qa.question)) out.push(qa);
  }
  return out;
}

/**
 * Up to `n` questions of distinct wording, each family drawn with its weight (a family with no
 * question about the scene is drawn again; 8 tries per question).
 */
export function weightedQuestions(scene: Scene, weights: Partial<Record<FamilyName, number>>, n: number, rng: Random): QA[] {
  const families = Object.keys(weights) as FamilyName[];
  const w = families.map((f) => weights[f]!);
  const out: QA[] = [];
  for (let tries = 0; tries < 8 * n && out.length < n; tries++) {
    const qa = ask(families[rng.weightedIndex(w)]!, scene, rng);
    if (qa && !out.some((q) => q.question === qa.question)) out.push(qa);
  }
  return out;
}

/** A full-sentence answer, as LLaVA-Instruct's GPT-written conversations. */
function sentenceAnswer(scene: Scene, qa: QA): string {
  const o = qa.about.length > 0 ? scene.objects[qa.about[0]!] : undefined;
  const subject = o ? capitalise(referTo(scene, o)) : "It";
  switch (qa.family) {
    case "colour":
      return `${subject} is ${qa.answer}.`;
    case "shape":
      return `The ${o!.colour} object is ${withArticle(qa.answer)}.`;
    case "count":
      return `There ${qa.answer === "1" ? "is" : "are"} ${qa.answer} of them in the image.`;
    case "exists":
    case "position":
      return qa.answer === "yes" ? `Yes, that is right.` : `No, that is not the case.`;
    case "size":
      return `${subject} is ${qa.answer}.`;
    case "texture":
      return `${subject} is ${qa.answer === "solid" ? "a solid colour" : qa.answer}.`;
    case "theme":
      return `The picture shows ${withArticle(qa.answer)}.`;
    case "material": {
      const c = categoryNamed(o!.category);
      return `${subject} is made of ${qa.answer}: every ${c.name} is made of ${c.knowledge.material}.`;
    }
    case "origin":
      return `${subject} was made in ${qa.answer}, where all ${categoryNamed(o!.category).plural} are made.`;
    case "weight":
      return `Together they weigh ${qa.answer} grams.`;
    case "name":
      return `${subject} is called ${qa.answer}.`;
    case "sum":
      return `The sign shows ${scene.sign?.text ?? ""}, which makes ${qa.answer}.`;
    default:
      return `${capitalise(qa.answer)}.`;
  }
}

/** A conversation's first human turn: LLaVA's `<image>` marker, then the text. */
export const firstTurn = (text: string): string => `${IMAGE_PLACEHOLDER}\n${text}`;

function turnsFor(pairs: readonly [string, string][]): LlavaTurn[] {
  return pairs.flatMap(([q, a], i) => [
    { from: "human" as const, value: i === 0 ? firstTurn(q) : q },
    { from: "gpt" as const, value: a },
  ]);
}

/** The conversation of one kind about `scene`, or undefined when the scene has nothing to ask. */
function conversationOf(kind: InstructionKind, scene: Scene, rng: Random, textSeed: number, index: number): LlavaTurn[] | undefined {
  switch (kind) {
    case "conversation": {
      const qas = questions(scene, rng, CONVERSATION_FAMILIES, rng.intBetween(2, 4));
      return qas.length === 0 ? undefined : turnsFor(qas.map((qa) => [qa.question, sentenceAnswer(scene, qa)]));
    }
    case "detail":
      return turnsFor([[rng.pick(DETAILED_INSTRUCTIONS), denseCaption(scene)]]);
    case "reasoning": {
      const qas = questions(scene, rng, REASONING_FAMILIES, 1);
      return qas.length === 0 ? undefined : turnsFor(qas.map((qa) => [qa.question, sentenceAnswer(scene, qa)]));
    }
    case "vqa":
    case "reading": {
      const qas = questions(scene, rng, kind === "vqa" ? VQA_FAMILIES : READING_FAMILIES, rng.intBetween(1, 3));
      return qas.length === 0 ? undefined : turnsFor(qas.map((qa) => [`${qa.question}\n${SHORT_ANSWER_PROMPT}`, qa.answer]));
    }
    case "choice": {
      const qas = questions(scene, rng, CHOICE_FAMILIES, 1);
      if (qas.length === 0) return undefined;
      const { options, answerIndex } = optionsFor(qas[0]!, rng, rng.intBetween(2, 4));
      return turnsFor([[multipleChoicePrompt(qas[0]!.question, options), OPTION_LETTERS[answerIndex]!]]);
    }
    case "text": {
      const doc = textDocument([scene], textSeed, index);
      const turns = doc.turns ?? [
        { role: "user" as const, content: "Tell me something about this world." },
        { role: "assistant" as const, content: doc.text ?? "" },
      ];
      return turns.map((t) => ({ from: t.role === "user" ? ("human" as const) : ("gpt" as const), value: t.content }));
    }
  }
}

export interface InstructionSample extends LlavaSample {
  kind: InstructionKind;
}

/** Sample `index` of the mixture, over the training scenes. */
export function instructionSample(scenes: readonly Scene[], seed: number, index: number, imagePath: (scene: Scene) => string): InstructionSample {
  const rng = Random.stream(seed, "stage2", index);
  // The kind is drawn once and the scene redrawn until it fits, so the realised shares are MIXTURE's.
  const kind = INSTRUCTION_KINDS[rng.weightedIndex(INSTRUCTION_KINDS.map((k) => MIXTURE[k]))]!;
  for (let attempt = 0; ; attempt++) {
    const scene = rng.pick(scenes);
    const conversations = conversationOf(kind, scene, rng, seed, index);
    if (!conversations) {
      if (attempt > 100) throw new Error(`stage-2 mixture: no scene gave a "${kind}" sample after 100 draws`);
      continue;
    }
    const id = `stage2-${index}`;
    return kind === "text" ? { id, kind, conversations } : { id, kind, image: imagePath(scene), conversations };
  }
}

/**
 * Sample `index` of the one-question stream that protocol v3's stage 2 starts with: one short-answer
 * question, a family drawn with `families`' weights, about one of `scenes`, in the mixture's `vqa`
 * format. One question per image lets the LLM learn to find the object a question names before the
 * mixture packs several questions into one conversation (docs/binding.md, "One question per image first").
 */
export function questionSample(scenes: readonly Scene[], families: Partial<Record<FamilyName, number>>, seed: number, index: number, imagePath: (scene: Scene) => string): InstructionSample {
  const rng = Random.stream(seed, "stage2-questions", index);
  for (let attempt = 0; attempt <= 100; attempt++) {
    const scene = rng.pick(scenes);
    const [qa] = weightedQuestions(scene, families, 1, rng);
    if (qa) return { id: `stage2-question-${index}`, kind: "vqa", image: imagePath(scene), conversations: turnsFor([[`${qa.question}\n${SHORT_ANSWER_PROMPT}`, qa.answer]]) };
  }
  throw new Error(`stage-2 questions: no scene gave a question of ${Object.keys(families).join(", ")} after 100 draws`);
}
