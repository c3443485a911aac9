/**
 * The visual world's vocabulary, as data: object categories (shapes and icons), colours, sizes,
 * textures and scene themes, each with its Chinese name (for the MMBench-Cn analogue), and a fixed
 * body of world knowledge about the categories that no image shows (what the ScienceQA, MMMU and
 * MME-cognition analogues need and only the LLM's text pretraining teaches).
 */

export interface Category {
  name: string;
  plural: string;
  zh: string;
  /** Polygon corners or a named outline; drives the SVG path. */
  outline: "circle" | "ring" | "moon" | "heart" | "cross" | "arrow" | "star" | "polygon";
  /** Number of corners for "polygon" and "star" outlines. */
  corners: number;
  /** Rotation of the polygon in degrees (a square is a 45°-rotated 4-gon, a diamond is not). */
  rotation: number;
  knowledge: CategoryKnowledge;
}

/** Facts about a category that are true in the world but never visible in an image. */
export interface CategoryKnowledge {
  material: Material;
  /** The town where objects of this category are made. */
  origin: Place;
  /** Weight of one object in grams. */
  grams: number;
  /** What the object is used for. */
  use: string;
}

export const MATERIALS = ["wood", "metal", "glass", "stone", "clay"] as const;
export type Material = (typeof MATERIALS)[number];
export const PLACES = ["Vell", "Orin", "Tamu", "Kessa", "Borr"] as const;
export type Place = (typeof PLACES)[number];

const category = (
  name: string,
  plural: string,
  zh: string,
  outline: Category["outline"],
  corners: number,
  rotation: number,
  knowledge: CategoryKnowledge,
): Category => ({ name, plural, zh, outline, corners, rotation, knowledge });

export const CATEGORIES: readonly Category[] = [
  category("circle", "circles", "圆", "circle", 0, 0, { material: "glass", origin: "Vell", grams: 3, use: "counting" }),
  category("square", "squares", "正方形", "polygon", 4, 45, { material: "wood", origin: "Orin", grams: 5, use: "building" }),
  category("triangle", "triangles", "三角形", "polygon", 3, 0, { material: "metal", origin: "Tamu", grams: 4, use: "signalling" }),
  category("star", "stars", "星星", "star", 5, 0, { material: "metal", origin: "Kessa", grams: 2, use: "decoration" }),
  category("heart", "hearts", "心形", "heart", 0, 0, { material: "clay", origin: "Vell", grams: 6, use: "gifts" }),
  category("diamond", "diamonds", "菱形", "polygon", 4, 0, { material: "glass", origin: "Borr", grams: 1, use: "trading" }),
  category("hexagon", "hexagons", "六边形", "polygon", 6, 0, { material: "stone", origin: "Orin", grams: 9, use: "paving" }),
  category("pentagon", "pentagons", "五边形", "polygon", 5, 0, { material: "wood", origin: "Kessa", grams: 7, use: "building" }),
  category("cross", "crosses", "十字", "cross", 0, 0, { material: "stone", origin: "Tamu", grams: 8, use: "marking" }),
  category("moon", "moons", "月亮", "moon", 0, 0, { material: "clay", origin: "Borr", grams: 4, use: "decoration" }),
  category("ring", "rings", "圆环", "ring", 0, 0, { material: "metal", origin: "Vell", grams: 2, use: "trading" }),
  category("arrow", "arrows", "箭头", "arrow", 0, 0, { material: "wood", origin: "Tamu", grams: 3, use: "signalling" }),
];

export interface Colour {
  name: string;
  zh: string;
  hex: string;
  warmth: "warm" | "cool" | "neutral";
}

export const COLOURS: readonly Colour[] = [
  { name: "red", zh: "红色", hex: "#d62728", warmth: "warm" },
  { name: "orange", zh: "橙色", hex: "#ff8c1a", warmth: "warm" },
  { name: "yellow", zh: "黄色", hex: "#f2c80f", warmth: "warm" },
  { name: "green", zh: "绿色", hex: "#2ca02c", warmth: "cool" },
  { name: "blue", zh: "蓝色", hex: "#1f5fd4", warmth: "cool" },
  { name: "purple", zh: "紫色", hex: "#8e44ad", warmth: "cool" },
  { name: "black", zh: "黑色", hex: "#222222", warmth: "neutral" },
  { name: "gray", zh: "灰色", hex: "#8c8c8c", warmth: "neutral" },
];

export const SIZES = ["small", "large"] as const;
export type Size = (typeof SIZES)[number];
export const SIZE_ZH: Record<Size, string> = { small: "小", large: "大" };

export const TEXTURES = ["solid", "striped", "dotted"] as const;
export type Texture = (typeof TEXTURES)[number];
export const TEXTURE_ZH: Record<Texture, string> = { solid: "纯色", striped: "条纹", dotted: "圆点" };

export interface Theme {
  name: string;
  zh: string;
  background: string;
  /** Categories typical of the theme: drawn `COMMON_WEIGHT` times as often as the others. */
  common: readonly string[];
  /** The town the theme's scenes show (MME "landmark" analogue; a fact of the knowledge body). */
  place: Place;
}

export const COMMON_WEIGHT = 6;

export const THEMES: readonly Theme[] = [
  { name: "garden", zh: "花园", background: "#e3f1d8", common: ["star", "heart", "circle", "moon"], place: "Vell" },
  { name: "kitchen", zh: "厨房", background: "#f6ecd9", common: ["circle", "square", "ring", "hexagon"], place: "Orin" },
  { name: "workshop", zh: "工坊", background: "#e4e4ec", common: ["cross", "arrow", "hexagon", "triangle"], place: "Tamu" },
  { name: "sky", zh: "天空", background: "#dcebf8", common: ["moon", "star", "diamond", "pentagon"], place: "Kessa" },
  { name: "harbour", zh: "港口", background: "#d8f0ee", common: ["diamond", "triangle", "ring", "square"], place: "Borr" },
];

/** Characters printed on labels: digits and capitals, without the look-alikes I/O. */
export const LABEL_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";

/** Named individuals (the MME "celebrity" analogue): a category in a colour has a proper name. */
export const NAMED_OBJECTS: readonly { category: string; colour: string; name: string }[] = [
  { category: "star", colour: "yellow", name: "Ardo" },
  { category: "heart", colour: "red", name: "Mirel" },
  { category: "hexagon", colour: "gray", name: "Tobbin" },
  { category: "moon", colour: "blue", name: "Selka" },
  { category: "arrow", colour: "green", name: "Fenno" },
  { category: "ring", colour: "purple", name: "Oriel" },
];

export const MATERIAL_ZH: Record<Material, string> = { wood: "木头", metal: "金属", glass: "玻璃", stone: "石头", clay: "陶土" };

const categoryByName = new Map(CATEGORIES.map((c) => [c.name, c]));
const colourByName = new Map(COLOURS.map((c) => [c.name, c]));

export function categoryNamed(name: string): Category {
  const c = categoryByName.get(name);
  if (!c) throw new Error(`unknown category "${name}"; expected one of ${[...categoryByName.keys()].join(", ")}`);
  return c;
}

export function colourNamed(name: string): Colour {
  const c = colourByName.get(name);
  if (!c) throw new Error(`unknown colour "${name}"; expected one of ${[...colourByName.keys()].join(", ")}`);
  return c;
}

export function namedObject(categoryName: string, colourName: string): string | undefined {
  return NAMED_OBJECTS.find((n) => n.category === categoryName && n.colour === colourName)?.name;
}
