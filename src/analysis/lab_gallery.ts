/**
 * Pictures of the lab tier's data for notebooks: scenes with their captions, one scene as every
 * tower sees it (padded, resized), and one item of every benchmark with its prompt and answer.
 */
import type { Dataset } from "../data/dataset.js";
import type { VisionTower } from "../models/vision/vit.js";
import { denseCaption } from "../data/captions.js";
import { squareForTower } from "../data/preprocess.js";
import type { Preset } from "../presets.js";
import { visionConfig } from "../models/vision/registry.js";
import { userText } from "../eval/task.js";
import { getTask } from "../benchmarks/registry.js";
import { encodePng } from "../world/render.js";
import type { Scene } from "../world/scene.js";
import { patchSimilarity } from "../probes/patch_similarity.js";
import { towerResolutions } from "./lab_data.js";

export interface Picture {
  png: Uint8Array;
  caption: string;
  /** Display width in CSS pixels (default: the image's own). */
  width?: number;
}

export async function sceneGallery(dataset: Dataset, scenes: readonly Scene[], width = 220): Promise<Picture[]> {
  return Promise.all(
    scenes.map(async (scene) => ({ png: await encodePng(await dataset.image(`${scene.id}.png`)), caption: `${scene.id}: ${denseCaption(scene)}`, width })),
  );
}

/** One scene padded and resized as each tower's preprocessing does, shown at a common width. */
export async function resolutionLadder(dataset: Dataset, scene: Scene, preset: Preset, width = 220): Promise<Picture[]> {
  const image = await dataset.image(`${scene.id}.png`);
  const seen = new Set<number>();
  const pictures: Picture[] = [];
  for (const t of towerResolutions(preset).sort((a, b) => a.resolution - b.resolution)) {
    if (seen.has(t.resolution)) continue;
    seen.add(t.resolution);
    const resized = await squareForTower(image, visionConfig(t.tower, preset), t.resolution);
    pictures.push({ png: await encodePng(resized), caption: `${t.resolution} px: ${t.tower}${t.s2 ? " + S2 (largest scale)" : ""}`, width });
  }
  return pictures;
}

/** The first item of each benchmark: its image, the prompt as the model gets it, and the target. */
export async function benchmarkGallery(dataset: Dataset, tasks: readonly string[], width = 180): Promise<Picture[]> {
  return Promise.all(
    tasks.map(async (name) => {
      const { task, items } = dataset.benchmark(getTask(name));
      const item = items[0]!;
      return { png: await encodePng(await dataset.image(item.image)), caption: `${name}\n${userText(task.prompt(item.doc))}\n⇒ ${item.target}`, width };
    }),
  );
}

/**
 * For each tower: the image at the tower's resolution and, beside it, the cosine similarity of the
 * patch under the scene's first object to every other patch (bright = similar) — what the tower's
 * patch features group together (computed by src/probes/patch_similarity.ts).
 */
export async function patchSimilarityPictures(dataset: Dataset, towers: readonly { name: string; tower: VisionTower }[], sceneIndex: number, width = 160): Promise<Picture[]> {
  const scene = dataset.scenes("test")[sceneIndex]!;
  const pictures: Picture[] = [];
  for (const { name, tower } of towers) {
    const { size, grid, anchor, similarity, raw } = await patchSimilarity(dataset, tower, sceneIndex, scene);
    const heat = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const p = Math.floor((y * grid) / size) * grid + Math.floor((x * grid) / size);
        const v = Math.round(255 * Math.max(0, similarity[p]!));
        heat.set(p === anchor ? [255, 0, 0] : [v, v, v], 3 * (y * size + x));
      }
    }
    const image = { data: raw, width: size, height: size, channels: 3 as const };
    pictures.push({ png: await encodePng(image), caption: `${name}: ${size} px input`, width });
    pictures.push({ png: await encodePng({ data: heat, width: size, height: size, channels: 3 }), caption: `${name}: similarity to the red patch`, width });
  }
  return pictures;
}
