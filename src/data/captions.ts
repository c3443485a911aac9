/**
 * The three stage-1 caption sets — the "pre-training data" variable of the study:
 * - `short`: one BLIP-style sentence naming the objects (LCS-558K-like);
 * - `dense`: every object with all its attributes, its place, printed text, the sign and the
 *   diagram's arrows (ShareGPT4V-like detailed captions);
 * - `noisy`: web alt-text: keyword lists, objects missed, a wrong colour now and then, and tags
 *   that have nothing to do with the image.
 */
import type { Random } from "../util/random.js";
import { type Scene } from "../world/scene.js";
import { COLOURS } from "../world/vocabulary.js";
import { capitalise, inventoryPhrase, listPhrase, objectPhrase, placePhrase, sceneKindPhrase, withArticle } from "./language.js";

export const CAPTION_STYLES = ["short", "dense", "noisy"] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];

/** Stage-1 instructions in the LCS-558K manner: the human turn varies, the caption is the target. */
export const CAPTION_INSTRUCTIONS = [
  "Render a clear and concise summary of the photo.",
  "Give a brief description of the image.",
  "Describe the image concisely.",
  "Share a concise interpretation of the image provided.",
  "Summarize the visual content of the image.",
  "Write a terse but informative summary of the picture.",
];

export const DETAILED_INSTRUCTIONS = [
  "Describe this image in detail.",
  "What do you see happening in this image? Describe it thoroughly.",
  "Explain the visual content of the image in great detail.",
  "Give an elaborate description of the picture.",
];

function shortCaption(scene: Scene, rng: Random): string {
  const things = inventoryPhrase(scene.objects);
  if (scene.kind === "diagram") return `a diagram with arrows between ${things}`;
  return rng.pick([`${things} on a ${scene.theme} background`, `${things}`, `a ${scene.theme} scene with ${things}`]);
}

export function denseCaption(scene: Scene): string {
  const sentences: string[] = [];
  const n = scene.objects.length;
  sentences.push(`The image shows ${sceneKindPhrase(scene)} with ${n === 1 ? "one object" : `${n} objects`}.`);
  for (const o of scene.objects) {
    let s = `${capitalise(withArticle(objectPhrase(o, "full")))} is ${placePhrase(o)}`;
    if (o.label) s += `, with the letters ${o.label} printed on it`;
    sentences.push(`${s}.`);
  }
  if (scene.sign) sentences.push(scene.sign.kind === "number" ? `A white sign shows the number ${scene.sign.text}.` : `A white sign shows the sum ${scene.sign.text}.`);
  if (scene.title) sentences.push(`The diagram is titled ${scene.title}.`);
  for (const [a, b] of scene.edges) sentences.push(`An arrow points from the ${objectPhrase(scene.objects[a]!)} to the ${objectPhrase(scene.objects[b]!)}.`);
  return sentences.join(" ");
}

const NOISE_TAGS = ["stock photo", "clipart", "vector", "free download", "wallpaper", "hd", "icon set", "illustration", "design", "pattern", "background", "png"];

function noisyCaption(scene: Scene, rng: Random): string {
  const words: string[] = [];
  for (const o of scene.objects) {
    if (rng.chance(0.3)) continue; // alt-text misses objects
    const colour = rng.chance(0.15) ? rng.pick(COLOURS).name : o.colour; // and gets colours wrong
    words.push(rng.chance(0.5) ? `${colour} ${o.category}` : o.category);
  }
  if (rng.chance(0.5)) words.push(scene.theme);
  const tags = rng.sample(NOISE_TAGS, rng.intBetween(1, 3));
  const all = rng.shuffle([...words, ...tags]);
  return rng.chance(0.5) ? all.join(" ") : listPhrase(all);
}

export function caption(style: CaptionStyle, scene: Scene, rng: Random): string {
  switch (style) {
    case "short":
      return shortCaption(scene, rng);
    case "dense":
      return denseCaption(scene);
    case "noisy":
      return noisyCaption(scene, rng);
  }
}
