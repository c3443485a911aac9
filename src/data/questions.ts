/**
 * Question families over a scene graph: each asks one kind of thing (colour, count, existence,
 * position, reading, knowledge, diagram arrows, ...) and knows its answer and the vocabulary its
 * wrong options come from. Stage-2 instructions (training scenes) and the benchmark analogues
 * (held-out scenes) draw from the same families, so the benchmarks test what training teaches.
 */
import type { Random } from "../util/random.js";
import { countByCategory, namedByCategory, relation, uniquelyNamed, type Scene, type SceneObject } from "../world/scene.js";
import { CATEGORIES, COLOURS, LABEL_ALPHABET, MATERIALS, PLACES, SIZES, TEXTURES, THEMES, categoryNamed, namedObject, NAMED_OBJECTS } from "../world/vocabulary.js";
import { themeNamed } from "../world/scene.js";
import { placePhrase, plural, withArticle } from "./language.js";

export interface QA {
  family: FamilyName;
  question: string;
  answer: string;
  /** Where wrong options for a multiple-choice version come from (includes the answer). */
  domain: readonly string[];
  /** The scene objects the question is about (for grounding and POPE-style statistics). */
  about: number[];
}

export const FAMILY_NAMES = [
  "colour",
  "shape",
  "count",
  "exists",
  "position",
  "size",
  "texture",
  "label",
  "sign",
  "sum",
  "material",
  "origin",
  "weight",
  "name",
  "theme",
  "arrow",
  "arrows",
  "title",
] as const;
export type FamilyName = (typeof FAMILY_NAMES)[number];

export const CATEGORY_NAMES = CATEGORIES.map((c) => c.name);
export const COLOUR_NAMES = COLOURS.map((c) => c.name);
export const COUNT_WORDS = ["1", "2", "3", "4", "5"];
const YES_NO = ["yes", "no"];

/** How a question refers to an object: "the star" when its category is unique, else "the red star". */
export function referTo(scene: Scene, o: SceneObject): string {
  const sameCategory = scene.objects.filter((p) => p.category === o.category).length;
  return sameCategory === 1 ? `the ${o.category}` : `the ${o.colour} ${o.category}`;
}

/**
 * A reference that names no category, so only the image tells what the object is: "the red
 * object" when its colour is unique, else "the object in the top left". Knowledge questions use it,
 * so that they need vision as well as knowledge.
 */
export function referByLook(scene: Scene, o: SceneObject): string {
  return scene.objects.filter((p) => p.colour === o.colour).length === 1 ? `the ${o.colour} object` : `the object ${placePhrase(o)}`;
}

function pickNamed(scene: Scene, rng: Random, filter: (o: SceneObject) => boolean = () => true): SceneObject | undefined {
  const candidates = uniquelyNamed(scene).filter(filter);
  return candidates.length > 0 ? rng.pick(candidates) : undefined;
}

function randomLabel(rng: Random): string {
  return rng.pick([...LABEL_ALPHABET]) + rng.pick([...LABEL_ALPHABET]);
}

/**
 * A category to count: half the time the most numerous one, so that answers above one are common
 * and a text-only prior cannot bet on "1".
 */
export function pickCount(scene: Scene, rng: Random): [string, number] {
  const counts = [...countByCategory(scene)];
  if (rng.chance(0.5)) return counts.reduce((best, c) => (c[1] > best[1] ? c : best));
  return rng.pick(counts);
}

type Asker = (scene: Scene, rng: Random) => QA | undefined;

const objectScene = (scene: Scene): boolean => scene.kind === "objects";

/** The colour question about the object of `category` (its category unique in the scene). */
export const colourQuestion = (category: string): string => `What color is the ${category}?`;

export const FAMILIES: Record<FamilyName, Asker> = {
  colour: (scene, rng) => {
    const candidates = namedByCategory(scene);
    if (candidates.length === 0) return undefined;
    const o = rng.pick(candidates);
    return { family: "colour", question: colourQuestion(o.category), answer: o.colour, domain: COLOUR_NAMES, about: [o.id] };
  },
  shape: (scene, rng) => {
    const candidates = scene.objects.filter((o) => scene.objects.filter((p) => p.colour === o.colour).length === 1);
    if (candidates.length === 0) return undefined;
    const o = rng.pick(candidates);
    return { family: "shape", question: `What shape is the ${o.colour} object?`, answer: o.category, domain: CATEGORY_NAMES, about: [o.id] };
  },
  count: (scene, rng) => {
    if (!objectScene(scene)) return undefined;
    const [category, present] = pickCount(scene, rng);
    return {
      family: "count",
      question: `How many ${plural(category, 2)} are there?`,
      answer: String(present),
      domain: COUNT_WORDS,
      about: scene.objects.filter((o) => o.category === category).map((o) => o.id),
    };
  },
  exists: (scene, rng) => {
    // Balanced: half the questions name an object that is there, half a near miss that is not.
    if (rng.chance(0.5)) {
      const o = rng.pick(scene.objects);
      return { family: "exists", question: `Is there ${withArticle(`${o.colour} ${o.category}`)} in the image?`, answer: "yes", domain: YES_NO, about: [o.id] };
    }
    for (let tries = 0; tries < 20; tries++) {
      const base = rng.pick(scene.objects);
      const colour = rng.chance(0.5) ? rng.pick(COLOUR_NAMES) : base.colour;
      const category = colour === base.colour ? rng.pick(CATEGORY_NAMES) : base.category;
      if (scene.objects.some((o) => o.colour === colour && o.category === category)) continue;
      return { family: "exists", question: `Is there ${withArticle(`${colour} ${category}`)} in the image?`, answer: "no", domain: YES_NO, about: [] };
    }
    return undefined;
  },
  position: (scene, rng) => {
    const named = uniquelyNamed(scene);
    const pairs = named.flatMap((a) => named.filter((b) => b !== a && a.col !== b.col).map((b) => [a, b] as const));
    if (pairs.length === 0) return undefined;
    const [a, b] = rng.pick(pairs);
    const side = relation(a, b).horizontal!;
    const asked = rng.chance(0.5) ? side : side === "left" ? "right" : "left";
    return {
      family: "position",
      question: `Is ${referTo(scene, a)} to the ${asked} of ${referTo(scene, b)}?`,
      answer: asked === side ? "yes" : "no",
      domain: YES_NO,
      about: [a.id, b.id],
    };
  },
  size: (scene, rng) => {
    const o = pickNamed(scene, rng, () => objectScene(scene));
    if (!o) return undefined;
    return { family: "size", question: `Is ${referTo(scene, o)} small or large?`, answer: o.size, domain: SIZES, about: [o.id] };
  },
  texture: (scene, rng) => {
    const o = pickNamed(scene, rng, () => objectScene(scene));
    if (!o) return undefined;
    return { family: "texture", question: `What pattern does ${referTo(scene, o)} have?`, answer: o.texture, domain: TEXTURES, about: [o.id] };
  },
  label: (scene, rng) => {
    const o = pickNamed(scene, rng, (x) => x.label !== undefined);
    if (!o) return undefined;
    const domain = [o.label!, randomLabel(rng), randomLabel(rng), randomLabel(rng)];
    return { family: "label", question: `What is written on ${referTo(scene, o)}?`, answer: o.label!, domain, about: [o.id] };
  },
  sign: (scene, rng) => {
    if (scene.sign?.kind !== "number") return undefined;
    const v = scene.sign.value;
    const domain = [String(v), String(((v + 11) % 90) + 10), String(((v + 37) % 90) + 10), String(((v + 53) % 90) + 10)];
    void rng;
    return { family: "sign", question: "What number is written on the sign?", answer: String(v), domain, about: [] };
  },
  sum: (scene, rng) => {
    if (scene.sign?.kind !== "sum") return undefined;
    const v = scene.sign.value;
    void rng;
    return { family: "sum", question: "What is the result of the sum written on the sign?", answer: String(v), domain: [...Array(17).keys()].map((k) => String(k + 2)), about: [] };
  },
  material: (scene, rng) => {
    const o = pickNamed(scene, rng);
    if (!o) return undefined;
    return { family: "material", question: `What material is ${referByLook(scene, o)} made of?`, answer: categoryNamed(o.category).knowledge.material, domain: MATERIALS, about: [o.id] };
  },
  origin: (scene, rng) => {
    const o = pickNamed(scene, rng);
    if (!o) return undefined;
    return { family: "origin", question: `In which town was ${referByLook(scene, o)} made?`, answer: categoryNamed(o.category).knowledge.origin, domain: PLACES, about: [o.id] };
  },
  weight: (scene, rng) => {
    if (!objectScene(scene)) return undefined;
    const [category, n] = pickCount(scene, rng);
    const grams = categoryNamed(category).knowledge.grams * n;
    const domain = [...new Set([grams, grams + 1, grams + 2, Math.max(1, grams - 1), grams * 2, grams + 3])].map(String);
    return {
      family: "weight",
      question: `How many grams do all the ${plural(category, 2)} in the image weigh together?`,
      answer: String(grams),
      domain,
      about: scene.objects.filter((o) => o.category === category).map((o) => o.id),
    };
  },
  name: (scene, rng) => {
    const o = pickNamed(scene, rng, (x) => namedObject(x.category, x.colour) !== undefined);
    if (!o) return undefined;
    return { family: "name", question: `What is the name of ${referByLook(scene, o)}?`, answer: namedObject(o.category, o.colour)!, domain: NAMED_OBJECTS.map((n) => n.name), about: [o.id] };
  },
  theme: (scene, rng) => {
    if (!objectScene(scene)) return undefined;
    void rng;
    return { family: "theme", question: "What kind of place does this picture show?", answer: themeNamed(scene.theme).name, domain: THEMES.map((t) => t.name), about: [] };
  },
  arrow: (scene, rng) => {
    if (scene.kind !== "diagram") return undefined;
    const named = new Set(uniquelyNamed(scene).map((o) => o.id));
    const edges = scene.edges.filter(([a, b]) => named.has(a) && named.has(b) && scene.edges.filter(([x]) => x === a).length === 1);
    if (edges.length === 0) return undefined;
    const [a, b] = rng.pick(edges);
    const from = scene.objects[a]!;
    const to = scene.objects[b]!;
    return { family: "arrow", question: `What does the arrow from ${referTo(scene, from)} point to?`, answer: `${to.colour} ${to.category}`, domain: scene.objects.map((o) => `${o.colour} ${o.category}`), about: [a, b] };
  },
  arrows: (scene) => {
    if (scene.kind !== "diagram") return undefined;
    return { family: "arrows", question: "How many arrows are there in the diagram?", answer: String(scene.edges.length), domain: COUNT_WORDS, about: [] };
  },
  title: (scene, rng) => {
    if (!scene.title) return undefined;
    void rng;
    return { family: "title", question: "What is the title of the diagram?", answer: scene.title, domain: ["CELL", "FEED", "PATH", "NEST", "WEB", "LEAF", "STEM", "SEED", "MAP", "NET"], about: [] };
  },
};

/** One question of a family, or undefined when the scene has nothing to ask it about. */
export const ask = (family: FamilyName, scene: Scene, rng: Random): QA | undefined => FAMILIES[family](scene, rng);

export const OPTION_LETTER_PROMPT = "Answer with the option's letter from the given choices directly.";
export const OPTION_LETTERS = ["A", "B", "C", "D", "E"] as const;

/** LLaVA's multiple-choice prompt: the question, one lettered option per line, then the letter instruction. */
export function multipleChoicePrompt(question: string, options: readonly string[]): string {
  return `${question}\n${options.map((o, i) => `${OPTION_LETTERS[i]}. ${o}`).join("\n")}\n${OPTION_LETTER_PROMPT}`;
}

/** The answer and three distinct wrong options from the family's domain, shuffled. */
export function optionsFor(qa: QA, rng: Random, count = 4): { options: string[]; answerIndex: number } {
  const wrong = rng.shuffle([...new Set(qa.domain)].filter((d) => d !== qa.answer));
  const options = rng.shuffle([qa.answer, ...wrong.slice(0, count - 1)]);
  return { options, answerIndex: options.indexOf(qa.answer) };
}
