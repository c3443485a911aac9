/**
 * Scene graphs and the seeded scene sampler. A scene is a small set of objects on a 3×3 grid of
 * cells (one object per cell, so left/right/above/below are well defined), on a theme's background;
 * some objects carry a printed two-character label, some scenes a sign with a number or a sum, and
 * a share of scenes are diagrams: objects joined by arrows, under a printed title.
 */
import { Random } from "../util/random.js";
import { CATEGORIES, COLOURS, COMMON_WEIGHT, LABEL_ALPHABET, SIZES, TEXTURES, THEMES, type Size, type Texture, type Theme } from "./vocabulary.js";

export interface WorldConfig {
  /** Long side of the rendered image in pixels: every tower resolution is resized from it. */
  nativeSize: number;
  /** Height of printed glyphs (7 font cells) as a fraction of the image's long side. */
  textHeight: number;
  minObjects: number;
  maxObjects: number;
  /** Fraction of scenes that are diagrams (AI2D analogue). */
  diagramShare: number;
  /** Probability that a large object carries a printed label. */
  labelShare: number;
  /** Probability that an object scene has a sign (a number or a sum). */
  signShare: number;
  /** Probability that an object repeats the category of one drawn before it (so counts above one are common). */
  repeatShare: number;
  /** Width / height ratios to draw from; non-square images exercise the pad-to-square step. */
  aspectRatios: readonly number[];
}

export interface SceneObject {
  id: number;
  category: string;
  colour: string;
  size: Size;
  texture: Texture;
  /** Grid cell: column 0–2 from the left, row 0–2 from the top. */
  col: number;
  row: number;
  /** Centre as fractions of the image width and height. */
  cx: number;
  cy: number;
  /** Radius as a fraction of the image's short side. */
  radius: number;
  label?: string;
}

export interface Sign {
  kind: "number" | "sum";
  text: string;
  /** The number shown, or the value of the sum. */
  value: number;
  col: number;
  row: number;
}

export interface Scene {
  id: string;
  kind: "objects" | "diagram";
  theme: string;
  width: number;
  height: number;
  objects: SceneObject[];
  sign?: Sign;
  /** Diagram arrows as [from object id, to object id]. */
  edges: [number, number][];
  title?: string;
}

export const DIAGRAM_TITLES = ["CELL", "FEED", "PATH", "NEST", "WEB", "LEAF", "STEM", "SEED", "MAP", "NET"] as const;

const RADIUS: Record<Size, [number, number]> = { small: [0.075, 0.095], large: [0.135, 0.155] };

export function themeNamed(name: string): Theme {
  const t = THEMES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown theme "${name}"; expected one of ${THEMES.map((x) => x.name).join(", ")}`);
  return t;
}

/** Category draw weights in a theme: its common categories are COMMON_WEIGHT times as likely. */
export const themeWeights = (theme: Theme): number[] => CATEGORIES.map((c) => (theme.common.includes(c.name) ? COMMON_WEIGHT : 1));

function drawLabel(rng: Random): string {
  return rng.pick([...LABEL_ALPHABET]) + rng.pick([...LABEL_ALPHABET]);
}

function sampleObject(rng: Random, id: number, theme: Theme, cell: number, world: WorldConfig, kind: Scene["kind"]): SceneObject {
  const size: Size = kind === "diagram" ? "small" : rng.pick(SIZES);
  const [lo, hi] = RADIUS[size];
  const col = cell % 3;
  const row = Math.floor(cell / 3);
  const object: SceneObject = {
    id,
    category: CATEGORIES[rng.weightedIndex(themeWeights(theme))]!.name,
    colour: rng.pick(COLOURS).name,
    size,
    texture: kind === "diagram" ? "solid" : rng.weighted(TEXTURES, [2, 1, 1]),
    col,
    row,
    cx: (col + 0.5 + rng.uniform(-0.08, 0.08)) / 3,
    cy: (row + 0.5 + rng.uniform(-0.08, 0.08)) / 3,
    radius: rng.uniform(lo, hi),
  };
  if (size === "large" && rng.chance(world.labelShare)) object.label = drawLabel(rng);
  return object;
}

/** Arrows of a diagram: a chain through the nodes in a random order, plus one extra arrow when possible. */
function sampleEdges(rng: Random, n: number): [number, number][] {
  const order = rng.shuffle([...Array(n).keys()]);
  const edges: [number, number][] = [];
  for (let i = 0; i + 1 < n; i++) edges.push([order[i]!, order[i + 1]!]);
  if (n >= 4 && rng.chance(0.5)) {
    const from = order[0]!;
    const to = order[n - 1]!;
    if (!edges.some(([a, b]) => (a === from && b === to) || (a === to && b === from))) edges.push([from, to]);
  }
  return edges;
}

/** The scene drawn from `rng`: the same generator state always gives the same scene. */
export function sampleScene(rng: Random, id: string, world: WorldConfig): Scene {
  const kind: Scene["kind"] = rng.chance(world.diagramShare) ? "diagram" : "objects";
  const theme = rng.pick(THEMES);
  const aspect = rng.pick(world.aspectRatios);
  const width = aspect >= 1 ? world.nativeSize : Math.round(world.nativeSize * aspect);
  const height = aspect >= 1 ? Math.round(world.nativeSize / aspect) : world.nativeSize;
  const count = kind === "diagram" ? rng.intBetween(3, 5) : rng.intBetween(world.minObjects, world.maxObjects);
  const cells = rng.sample([...Array(9).keys()], Math.min(9, count + 1));
  const objects = cells.slice(0, count).map((cell, i) => sampleObject(rng, i, theme, cell, world, kind));
  for (let i = 1; i < objects.length; i++) {
    if (kind === "objects" && rng.chance(world.repeatShare)) objects[i]!.category = objects[rng.int(i)]!.category;
  }
  const scene: Scene = { id, kind, theme: theme.name, width, height, objects, edges: [] };
  if (kind === "diagram") {
    scene.edges = sampleEdges(rng, objects.length);
    scene.title = rng.pick(DIAGRAM_TITLES);
  } else if (rng.chance(world.signShare)) {
    const spare = cells[count]!;
    if (rng.chance(0.5)) {
      const value = rng.intBetween(10, 99);
      scene.sign = { kind: "number", text: String(value), value, col: spare % 3, row: Math.floor(spare / 3) };
    } else {
      const a = rng.intBetween(1, 9);
      const b = rng.intBetween(1, 9);
      scene.sign = { kind: "sum", text: `${a}+${b}`, value: a + b, col: spare % 3, row: Math.floor(spare / 3) };
    }
  }
  return scene;
}

/** A canonical string of what a scene shows (not its id): equal signatures mean identical images. */
export function sceneSignature(scene: Scene): string {
  const { id: _id, ...content } = scene;
  return JSON.stringify(content);
}

// ---- scene-graph queries used by captions, instructions and benchmarks ----

export const objectsOf = (scene: Scene, category: string): SceneObject[] => scene.objects.filter((o) => o.category === category);
export const hasCategory = (scene: Scene, category: string): boolean => scene.objects.some((o) => o.category === category);

/** Objects whose (colour, category) pair is unique in the scene: safe to refer to as "the red star". */
export function uniquelyNamed(scene: Scene): SceneObject[] {
  return scene.objects.filter((o) => scene.objects.filter((p) => p.category === o.category && p.colour === o.colour).length === 1);
}

/** Objects whose category is unique in the scene: safe to refer to as "the star" (what a colour question names). */
export function namedByCategory(scene: Scene): SceneObject[] {
  return scene.objects.filter((o) => objectsOf(scene, o.category).length === 1);
}

/** Horizontal and vertical relation of a to b on the grid ("left"/"right"/"above"/"below"), if they differ. */
export function relation(a: SceneObject, b: SceneObject): { horizontal?: "left" | "right"; vertical?: "above" | "below" } {
  return {
    horizontal: a.col < b.col ? "left" : a.col > b.col ? "right" : undefined,
    vertical: a.row < b.row ? "above" : a.row > b.row ? "below" : undefined,
  };
}

export function countByCategory(scene: Scene): Map<string, number> {
  const counts = new Map<string, number>();
  for (const o of scene.objects) counts.set(o.category, (counts.get(o.category) ?? 0) + 1);
  return counts;
}
