/**
 * MMBench analogue, English and Chinese: single-answer multiple choice about attributes, counts,
 * materials, places and printed text, written once and translated with the world's Chinese
 * vocabulary (MMBench-Cn is MMBench-En's items in Chinese). Each question appears once per
 * circular rotation of its options (index q + k·1,000,000), so circular evaluation can require
 * every rotation to be right.
 */
import type { MmbenchDoc } from "./task.js";
import type { Random } from "../../util/random.js";
import type { Scene } from "../../world/scene.js";
import { CATEGORIES, COLOURS, MATERIAL_ZH, SIZE_ZH, TEXTURE_ZH, THEMES } from "../../world/vocabulary.js";
import { placePhraseZh } from "../../data/language.js";
import { OPTION_LETTERS, ask, optionsFor, referTo, type FamilyName, type QA } from "../../data/questions.js";
import type { BenchmarkItem } from "../../data/dataset.js";
import { collectItems, type BenchmarkGenerator, type GeneratorContext } from "../generator.js";

type Letter = "A" | "B" | "C" | "D";


const FAMILIES: readonly FamilyName[] = ["colour", "shape", "count", "size", "texture", "material", "theme", "label"];

/** MMBench's own ability names for each family: [leaf category, L2 category]. */
const CATEGORY: Partial<Record<FamilyName, [string, string]>> = {
  colour: ["attribute_recognition", "finegrained_perception (instance-level)"],
  shape: ["object_localization", "finegrained_perception (instance-level)"],
  count: ["object_localization", "finegrained_perception (instance-level)"],
  size: ["attribute_comparison", "attribute_reasoning"],
  texture: ["attribute_recognition", "finegrained_perception (instance-level)"],
  material: ["physical_property_reasoning", "attribute_reasoning"],
  theme: ["scene", "coarse_perception"],
  label: ["ocr", "finegrained_perception (cross-instance)"],
};

const ZH_VALUE = new Map<string, string>([
  ...COLOURS.map((c) => [c.name, c.zh] as [string, string]),
  ...CATEGORIES.map((c) => [c.name, c.zh] as [string, string]),
  ...THEMES.map((t) => [t.name, t.zh] as [string, string]),
  ...Object.entries(SIZE_ZH).map(([k, v]) => [k, v] as [string, string]),
  ...Object.entries(TEXTURE_ZH).map(([k, v]) => [k, v] as [string, string]),
  ...Object.entries(MATERIAL_ZH).map(([k, v]) => [k, v] as [string, string]),
]);
export const toChinese = (value: string): string => ZH_VALUE.get(value) ?? value;

/** Chinese "the red object" / "the object in the top left": names no category (see referByLook). */
function referByLookZh(scene: Scene, objectId: number): string {
  const o = scene.objects[objectId]!;
  return scene.objects.filter((p) => p.colour === o.colour).length === 1 ? `${toChinese(o.colour)}的物体` : `${placePhraseZh(o)}的物体`;
}

function referToZh(scene: Scene, objectId: number): string {
  const o = scene.objects[objectId]!;
  const zhCategory = toChinese(o.category);
  return referTo(scene, o).startsWith(`the ${o.colour}`) ? `${toChinese(o.colour)}的${zhCategory}` : zhCategory;
}

/** The question in Chinese, phrased as MMBench-Cn's questions are. */
function questionZh(scene: Scene, qa: QA): string {
  const ref = qa.about.length > 0 ? referToZh(scene, qa.about[0]!) : "";
  switch (qa.family) {
    case "colour":
      return `图中的${ref}是什么颜色？`;
    case "shape":
      return `图中${toChinese(scene.objects[qa.about[0]!]!.colour)}的物体是什么形状？`;
    case "count":
      return `图中有几个${toChinese(scene.objects[qa.about[0]!]!.category)}？`;
    case "size":
      return `图中的${ref}是大还是小？`;
    case "texture":
      return `图中的${ref}有什么图案？`;
    case "material":
      return `图中${referByLookZh(scene, qa.about[0]!)}是用什么材料做的？`;
    case "theme":
      return "这张图片展示的是什么地方？";
    case "label":
      return `${ref}上写着什么？`;
    default:
      throw new Error(`MMBench-Cn: no Chinese phrasing for the "${qa.family}" family`);
  }
}

interface Question {
  sceneId: string;
  en: string;
  zh: string;
  options: string[];
  answerIndex: number;
  family: FamilyName;
}

/** The questions shared by the English and Chinese tasks (same scenes, same option order). */
function mmbenchQuestions(ctx: GeneratorContext, questions: number): Question[] {
  return collectItems("mmbench", ctx, questions, (scene, rng: Random) => {
    const qa = ask(rng.pick(FAMILIES), scene, rng);
    if (!qa) return [];
    const { options, answerIndex } = optionsFor(qa, rng, Math.min(4, new Set(qa.domain).size));
    const q: Question = { sceneId: scene.id, en: qa.question, zh: questionZh(scene, qa), options, answerIndex, family: qa.family };
    return [{ sceneId: scene.id, doc: q, target: "" }];
  }).map((item) => item.doc);
}

/** Rotation k of a question: options shifted left by k, the answer letter moving with them. */
function rotations(q: Question, qIndex: number, lang: "en" | "zh"): BenchmarkItem<MmbenchDoc>[] {
  const n = q.options.length;
  return [...Array(n).keys()].map((k) => {
    const rotated = q.options.map((_, i) => q.options[(i + k) % n]!);
    const answer = OPTION_LETTERS[(q.answerIndex - k + n) % n] as Letter;
    const options = Object.fromEntries(rotated.map((o, i) => [OPTION_LETTERS[i]!, lang === "zh" ? toChinese(o) : o])) as MmbenchDoc["options"];
    const [category, l2Category] = CATEGORY[q.family]!;
    const answerText = lang === "zh" ? toChinese(q.options[q.answerIndex]!) : q.options[q.answerIndex]!;
    return { sceneId: q.sceneId, doc: { index: qIndex + k * 1_000_000, question: lang === "zh" ? q.zh : q.en, hint: null, options, answer, category, l2Category }, target: answer, answerText };
  });
}

/** `size` is the number of distinct questions; each adds one doc per rotation. */
const mmbench = (task: string, lang: "en" | "zh", itemsPerScale: number): BenchmarkGenerator<MmbenchDoc> => ({
  task,
  itemsPerScale,
  generate: (ctx, size) => mmbenchQuestions(ctx, size).flatMap((q, i) => rotations(q, i, lang)),
});

export const mmbenchEnGenerator = mmbench("mmbench_en_dev", "en", 20);
export const mmbenchCnGenerator = mmbench("mmbench_cn_dev", "zh", 20);
