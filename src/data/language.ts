/**
 * English and Chinese phrasing of scene-graph facts, shared by captions, instructions, the LLM text
 * corpus and the benchmarks, so every corpus names things the same way.
 */
import type { Scene, SceneObject } from "../world/scene.js";
import { categoryNamed, colourNamed, SIZE_ZH, TEXTURE_ZH } from "../world/vocabulary.js";

const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
const ZH_DIGITS = ["零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十"];

export const numberWord = (n: number): string => NUMBER_WORDS[n] ?? String(n);
export const numberZh = (n: number): string => ZH_DIGITS[n] ?? String(n);
export const article = (word: string): string => (/^[aeiou]/.test(word) ? "an" : "a");
export const withArticle = (phrase: string): string => `${article(phrase)} ${phrase}`;
export const grams = (n: number): string => `${n} gram${n === 1 ? "" : "s"}`;
export const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
export const plural = (category: string, n: number): string => (n === 1 ? category : categoryNamed(category).plural);

/** "red star", or with every attribute "large striped red star". */
export function objectPhrase(o: SceneObject, detail: "name" | "full" = "name"): string {
  if (detail === "name") return `${o.colour} ${o.category}`;
  const texture = o.texture === "solid" ? "" : `${o.texture} `;
  return `${o.size} ${texture}${o.colour} ${o.category}`;
}

export function objectPhraseZh(o: SceneObject, detail: "name" | "full" = "name"): string {
  const colour = colourNamed(o.colour).zh;
  const category = categoryNamed(o.category).zh;
  if (detail === "name") return `${colour}的${category}`;
  const texture = o.texture === "solid" ? "" : `${TEXTURE_ZH[o.texture]}`;
  return `${SIZE_ZH[o.size]}的${texture}${colour}${category}`;
}

/** Where an object is on the grid: "in the top left", "in the centre", "on the right". */
export function placePhrase(o: SceneObject): string {
  const v = ["top", "middle", "bottom"][o.row]!;
  const h = ["left", "centre", "right"][o.col]!;
  if (v === "middle" && h === "centre") return "in the centre";
  if (v === "middle") return `on the ${h}`;
  if (h === "centre") return `at the ${v}`;
  return `in the ${v} ${h}`;
}

export function placePhraseZh(o: SceneObject): string {
  const v = ["上", "中", "下"][o.row]!;
  const h = ["左", "中", "右"][o.col]!;
  return v === "中" && h === "中" ? "中间" : `${v === "中" ? "" : v}${h === "中" ? "" : h}${v !== "中" && h !== "中" ? "角" : "边"}`;
}

/** "two red stars and a blue circle" — objects grouped by colour and category. */
export function inventoryPhrase(objects: readonly SceneObject[]): string {
  const groups = new Map<string, { colour: string; category: string; n: number }>();
  for (const o of objects) {
    const key = `${o.colour} ${o.category}`;
    const g = groups.get(key) ?? { colour: o.colour, category: o.category, n: 0 };
    g.n++;
    groups.set(key, g);
  }
  const parts = [...groups.values()].map((g) => (g.n === 1 ? withArticle(`${g.colour} ${g.category}`) : `${numberWord(g.n)} ${g.colour} ${plural(g.category, g.n)}`));
  return listPhrase(parts);
}

export function listPhrase(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? "";
  return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

export const sceneKindPhrase = (scene: Scene): string => (scene.kind === "diagram" ? "a diagram" : `a ${scene.theme} scene`);
