/**
 * The LLM text-pretraining corpus: scene descriptions, question–answer text, the knowledge body,
 * arithmetic, instruction-style dialogues (the real LLMs are instruct models) and a documented share
 * of Chinese; plus the reasoning-trace variant (`<think> … </think>` then the answer) on which the
 * `r1-distill-llama` family continues. Dialogues are kept as turns, so each family's chat template
 * renders them at training time.
 */
import { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { CATEGORIES, COLOURS, categoryNamed } from "../world/vocabulary.js";
import { denseCaption } from "./captions.js";
import { worldFacts } from "./knowledge.js";
import { grams, inventoryPhrase, numberZh, objectPhraseZh, placePhraseZh, plural, withArticle } from "./language.js";
import { ask, type FamilyName } from "./questions.js";

export const TEXT_KINDS = ["description", "qa", "knowledge", "arithmetic", "dialogue", "chinese"] as const;
export type TextKind = (typeof TEXT_KINDS)[number];

/** Share of each kind in the corpus (documented in docs/world_and_benchmarks.md, "Corpora"; a test checks the realised shares). */
export const TEXT_MIX: Record<TextKind, number> = { description: 0.22, qa: 0.2, knowledge: 0.22, arithmetic: 0.1, dialogue: 0.16, chinese: 0.1 };

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export interface TextDoc {
  kind: TextKind | "reasoning";
  lang: "en" | "zh";
  /** Plain text for non-dialogue documents. */
  text?: string;
  /** Turns for dialogue documents (rendered by the LLM family's chat template). */
  turns?: ChatTurn[];
}

/** The knowledge body, built once: every corpus document draws from it. */
const WORLD_FACTS = worldFacts();

/** Families whose answers follow from the scene's description (what text-only QA can teach). */
export const DESCRIBED_FAMILIES: readonly FamilyName[] = ["colour", "shape", "count", "exists", "position", "size", "texture", "label", "sign", "material", "origin", "weight", "name"];

/** A question about a described scene as the corpus asks it, up to its answer (which follows after a space). */
export const describedQuestion = (question: string): string => `\nQuestion: ${question}\nAnswer:`;

function describedQa(scene: Scene, rng: Random): string | undefined {
  for (let tries = 0; tries < 10; tries++) {
    const qa = ask(rng.pick(DESCRIBED_FAMILIES), scene, rng);
    if (qa) return `${denseCaption(scene)}${describedQuestion(qa.question)} ${qa.answer}`;
  }
  return undefined;
}

function arithmetic(rng: Random): string {
  switch (rng.int(3)) {
    case 0: {
      const a = rng.intBetween(1, 9);
      const b = rng.intBetween(1, 9);
      return `${a}+${b} = ${a + b}. The sum of ${a} and ${b} is ${a + b}.`;
    }
    case 1: {
      const a = rng.intBetween(2, 9);
      const b = rng.intBetween(2, 9);
      return `${a} times ${b} is ${a * b}.`;
    }
    default: {
      const c = rng.pick(CATEGORIES);
      const n = rng.intBetween(2, 5);
      return `One ${c.name} weighs ${grams(c.knowledge.grams)}, so ${n} ${c.plural} weigh ${n} times ${c.knowledge.grams}, which is ${grams(n * c.knowledge.grams)}.`;
    }
  }
}

/** Text-only instruction dialogues about the knowledge body and the vocabulary. */
function dialogue(rng: Random): ChatTurn[] {
  const c = rng.pick(CATEGORIES);
  const k = c.knowledge;
  const exchanges: [string, string][] = [
    [`What are ${c.plural} made of?`, `${capitalised(c.plural)} are made of ${k.material}.`],
    [`Where are ${c.plural} made?`, `They are made in the town of ${k.origin}.`],
    [`How much does ${withArticle(c.name)} weigh?`, `${capitalised(withArticle(c.name))} weighs ${grams(k.grams)}.`],
    [`What is ${withArticle(c.name)} used for?`, `${capitalised(withArticle(c.name))} is used for ${k.use}.`],
    [`How do you say "${c.name}" in Chinese?`, `In Chinese, ${withArticle(c.name)} is called ${c.zh}.`],
  ];
  const chosen = rng.sample(exchanges, rng.intBetween(1, 3));
  return chosen.flatMap(([q, a]) => [
    { role: "user" as const, content: q },
    { role: "assistant" as const, content: a },
  ]);
}

function chinese(scene: Scene, rng: Random, facts: ReturnType<typeof worldFacts>): string {
  if (rng.chance(0.5)) return rng.pick(facts).zh;
  const parts = scene.objects.map((o) => `${placePhraseZh(o)}有一个${objectPhraseZh(o, "full")}`);
  const colour = rng.pick(COLOURS);
  return rng.chance(0.8) ? `图中有${numberZh(scene.objects.length)}个物体：${parts.join("，")}。` : `${colour.name}的中文是${colour.zh}。`;
}

/** The corpus document `index`, drawn from `scenes` (training scenes only). */
export function textDocument(scenes: readonly Scene[], seed: number, index: number): TextDoc {
  const rng = Random.stream(seed, "text", index);
  const kinds = TEXT_KINDS;
  const kind = kinds[rng.weightedIndex(kinds.map((k) => TEXT_MIX[k]))]!;
  const scene = rng.pick(scenes);
  const facts = WORLD_FACTS;
  switch (kind) {
    case "description":
      return { kind, lang: "en", text: rng.chance(0.5) ? denseCaption(scene) : `A picture with ${inventoryPhrase(scene.objects)}.` };
    case "qa":
      return { kind, lang: "en", text: describedQa(scene, rng) ?? denseCaption(scene) };
    case "knowledge": {
      const fact = rng.pick(facts);
      return { kind, lang: "en", text: rng.pick(fact.phrasings) };
    }
    case "arithmetic":
      return { kind, lang: "en", text: arithmetic(rng) };
    case "dialogue":
      return { kind, lang: "en", turns: dialogue(rng) };
    case "chinese":
      return { kind, lang: "zh", text: chinese(scene, rng, facts) };
  }
}

/**
 * A reasoning-trace dialogue: a question that needs knowledge and a step of arithmetic, answered as
 * `<think>` the steps `</think>` then the answer, as DeepSeek-R1-Distill models write.
 */
export function reasoningDocument(scenes: readonly Scene[], seed: number, index: number): TextDoc {
  const rng = Random.stream(seed, "reasoning", index);
  const scene = rng.pick(scenes);
  const counts = new Map<string, number>();
  for (const o of scene.objects) counts.set(o.category, (counts.get(o.category) ?? 0) + 1);
  const [category, n] = rng.pick([...counts]);
  const c = categoryNamed(category);
  const kind = rng.int(2);
  const description = `A picture shows ${inventoryPhrase(scene.objects)}.`;
  const [question, thinking, answer] =
    kind === 0
      ? [
          `${description} How many grams do the ${plural(category, 2)} weigh together?`,
          `The picture has ${n} ${plural(category, n)}. One ${category} weighs ${grams(c.knowledge.grams)}. ${n} times ${c.knowledge.grams} is ${n * c.knowledge.grams}.`,
          `${n * c.knowledge.grams}`,
        ]
      : [
          `${description} Which material is the ${category} made of, and where was it made?`,
          `Every ${category} is made of ${c.knowledge.material}. ${capitalised(c.plural)} come from ${c.knowledge.origin}.`,
          `${c.knowledge.material}, in ${c.knowledge.origin}`,
        ];
  return { kind: "reasoning", lang: "en", turns: [{ role: "user", content: question }, { role: "assistant", content: `<think>\n${thinking}\n</think>\n\n${answer}` }] };
}

const capitalised = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
