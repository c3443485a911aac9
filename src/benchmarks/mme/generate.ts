/**
 * MME analogue: the 14 subtasks, two questions per image — one whose answer is Yes and one whose
 * answer is No — each ending " Please answer yes or no." as MME's do. Perception: existence, count,
 * position, color as in MME; posters -> a diagram's printed title; celebrity -> the proper names of
 * named objects; scene -> the theme; landmark -> the town a theme shows; artwork -> the texture
 * ("style") of an object; OCR -> printed labels. Cognition: commonsense_reasoning -> the knowledge
 * body (materials); numerical_calculation -> arithmetic on counts and weights; text_translation ->
 * the Chinese names of colours; code_reasoning -> the value of the sum printed on a sign.
 */
import type { MmeDoc } from "./task.js";
import type { Random } from "../../util/random.js";
import { relation, themeNamed, uniquelyNamed, type Scene } from "../../world/scene.js";
import { COLOURS, LABEL_ALPHABET, MATERIALS, NAMED_OBJECTS, PLACES, TEXTURES, THEMES, categoryNamed, colourNamed, namedObject } from "../../world/vocabulary.js";
import { placePhrase, plural, withArticle } from "../../data/language.js";
import { CATEGORY_NAMES, COLOUR_NAMES, pickCount, referByLook, referTo } from "../../data/questions.js";
import { DIAGRAM_TITLES } from "../../world/scene.js";
import type { BenchmarkItem } from "../../data/dataset.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";


export const MME_PERCEPTION = ["existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark", "artwork", "OCR"] as const;
export const MME_COGNITION = ["commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning"] as const;
export const MME_SUBTASKS = [...MME_PERCEPTION, ...MME_COGNITION] as const;
type Subtask = (typeof MME_SUBTASKS)[number];

const other = <T>(rng: Random, items: readonly T[], not: T): T => rng.pick(items.filter((x) => x !== not));

/** [question answered Yes, question answered No], without the yes/no suffix. */
type Pair = [string, string] | undefined;

const SUBTASKS: Record<Subtask, (scene: Scene, rng: Random) => Pair> = {
  existence: (scene, rng) => {
    const present = [...new Set(scene.objects.map((o) => o.category))];
    const absent = CATEGORY_NAMES.filter((c) => !present.includes(c));
    return [`Is there ${withArticle(rng.pick(present))} in this image?`, `Is there ${withArticle(rng.pick(absent))} in this image?`];
  },
  count: (scene, rng) => {
    if (scene.kind !== "objects") return undefined;
    const [category, n] = pickCount(scene, rng);
    const wrong = n === 1 ? 2 : rng.chance(0.5) ? n - 1 : n + 1;
    return [`Are there ${n} ${plural(category, n)} in the image?`, `Are there ${wrong} ${plural(category, wrong)} in the image?`];
  },
  position: (scene, rng) => {
    const named = uniquelyNamed(scene);
    const pairs = named.flatMap((a) => named.filter((b) => a.col < b.col).map((b) => [a, b] as const));
    if (pairs.length === 0) return undefined;
    const [a, b] = rng.pick(pairs);
    if (relation(a, b).horizontal !== "left") return undefined;
    return [`Is ${referTo(scene, a)} on the left of ${referTo(scene, b)}?`, `Is ${referTo(scene, a)} on the right of ${referTo(scene, b)}?`];
  },
  color: (scene, rng) => {
    const candidates = scene.objects.filter((x) => scene.objects.filter((p) => p.category === x.category).length === 1);
    if (candidates.length === 0) return undefined;
    const o = rng.pick(candidates);
    return [`Is there ${withArticle(`${o.colour} ${o.category}`)} in this image?`, `Is there ${withArticle(`${other(rng, COLOUR_NAMES, o.colour)} ${o.category}`)} in this image?`];
  },
  posters: (scene, rng) => {
    if (!scene.title) return undefined;
    return [`Is the title of this diagram ${scene.title}?`, `Is the title of this diagram ${other(rng, DIAGRAM_TITLES, scene.title as (typeof DIAGRAM_TITLES)[number])}?`];
  },
  celebrity: (scene, rng) => {
    const o = uniquelyNamed(scene).find((x) => namedObject(x.category, x.colour));
    if (!o) return undefined;
    const name = namedObject(o.category, o.colour)!;
    // By place, not colour: each named object has its own colour, so "the yellow object" would give the name away.
    const ref = `the object ${placePhrase(o)}`;
    return [`Is ${ref} in this image called ${name}?`, `Is ${ref} in this image called ${other(rng, NAMED_OBJECTS.map((n) => n.name), name)}?`];
  },
  scene: (scene, rng) => {
    if (scene.kind !== "objects") return undefined;
    return [`Does this image show a ${scene.theme}?`, `Does this image show a ${other(rng, THEMES.map((t) => t.name), scene.theme)}?`];
  },
  landmark: (scene, rng) => {
    if (scene.kind !== "objects") return undefined;
    const place = themeNamed(scene.theme).place;
    return [`Is this a picture of ${place}?`, `Is this a picture of ${other(rng, PLACES, place)}?`];
  },
  artwork: (scene, rng) => {
    const o = uniquelyNamed(scene).find((x) => x.texture !== "solid") ?? uniquelyNamed(scene)[0];
    if (!o || scene.kind !== "objects") return undefined;
    return [`Is ${referTo(scene, o)} drawn ${o.texture === "solid" ? "in a solid colour" : `with a ${o.texture} pattern`}?`, `Is ${referTo(scene, o)} drawn ${(() => { const t = other(rng, TEXTURES, o.texture); return t === "solid" ? "in a solid colour" : `with a ${t} pattern`; })()}?`];
  },
  OCR: (scene, rng) => {
    const o = uniquelyNamed(scene).find((x) => x.label);
    if (!o) return undefined;
    let wrong = o.label!;
    while (wrong === o.label) wrong = rng.pick([...LABEL_ALPHABET]) + rng.pick([...LABEL_ALPHABET]);
    return [`Is the text "${o.label}" printed on ${referTo(scene, o)}?`, `Is the text "${wrong}" printed on ${referTo(scene, o)}?`];
  },
  commonsense_reasoning: (scene, rng) => {
    const candidates = uniquelyNamed(scene);
    if (candidates.length === 0) return undefined;
    const o = rng.pick(candidates);
    const material = categoryNamed(o.category).knowledge.material;
    return [`Is ${referByLook(scene, o)} in this image made of ${material}?`, `Is ${referByLook(scene, o)} in this image made of ${other(rng, MATERIALS, material)}?`];
  },
  numerical_calculation: (scene, rng) => {
    if (scene.kind !== "objects") return undefined;
    const [category, n] = pickCount(scene, rng);
    const grams = n * categoryNamed(category).knowledge.grams;
    // The wrong total is a whole number of objects too, so only the count in the image tells them apart.
    const unit = categoryNamed(category).knowledge.grams;
    const wrong = (n === 1 ? 2 : rng.chance(0.5) ? n - 1 : n + 1) * unit;
    return [`Do the ${plural(category, 2)} in this image weigh ${grams} grams together?`, `Do the ${plural(category, 2)} in this image weigh ${wrong} grams together?`];
  },
  text_translation: (scene, rng) => {
    const o = rng.pick(scene.objects);
    const zh = colourNamed(o.colour).zh;
    return [`Is ${zh} the Chinese word for the color of ${referTo(scene, o)}?`, `Is ${other(rng, COLOURS.map((c) => c.zh), zh)} the Chinese word for the color of ${referTo(scene, o)}?`];
  },
  code_reasoning: (scene, rng) => {
    if (scene.sign?.kind !== "sum") return undefined;
    const v = scene.sign.value;
    return [`Is the result of the sum on the sign ${v}?`, `Is the result of the sum on the sign ${v + (rng.chance(0.5) ? 1 : -1)}?`];
  },
};

const YES_NO_SUFFIX = " Please answer yes or no.";

export const mmeGenerator: BenchmarkGenerator<MmeDoc> = {
  task: "mme",
  itemsPerScale: 56,
  generate(ctx, size) {
    const imagesPerSubtask = Math.max(1, Math.round(size / 2 / MME_SUBTASKS.length));
    return MME_SUBTASKS.flatMap((subtask) =>
      collectItems(`mme-${subtask}`, ctx, 2 * imagesPerSubtask, (scene, rng, next) => {
        const pair = SUBTASKS[subtask](scene, rng);
        if (!pair) return [];
        const imageId = `${subtask}/${scene.id}`;
        const n = next();
        return pair.map((q, k): BenchmarkItem<MmeDoc> => {
          const answer = k === 0 ? "Yes" : "No";
          return { sceneId: scene.id, doc: { questionId: `mme-${subtask}-${n}-${k}`, imageId, question: `${q}${YES_NO_SUFFIX}`, answer, category: subtask }, target: answer };
        });
      }),
    );
  },
};
