/**
 * Pictures of the lab tier's data for notebooks: scenes with their captions, one scene as every
 * tower sees it (padded, resized), and one item of every benchmark with its prompt and answer.
 */
import type { Dataset } from "../data/dataset.js";
import { denseCaption } from "../data/captions.js";
import { meanColour, padToSquare } from "../data/preprocess.js";
import type { Preset } from "../models/presets.js";
import { visionConfig } from "../models/vision/registry.js";
import { userText } from "../eval/task.js";
import { encodePng, resizeImage } from "../world/render.js";
import type { Scene } from "../world/scene.js";
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
    const square = padToSquare(image, meanColour(visionConfig(t.tower, preset)));
    const resized = await resizeImage(square, t.resolution, t.resolution);
    pictures.push({ png: await encodePng(resized), caption: `${t.resolution} px: ${t.tower}${t.s2 ? " + S2 (largest scale)" : ""}`, width });
  }
  return pictures;
}

/** The first item of each benchmark: its image, the prompt as the model gets it, and the target. */
export async function benchmarkGallery(dataset: Dataset, tasks: readonly string[], width = 180): Promise<Picture[]> {
  return Promise.all(
    tasks.map(async (name) => {
      const { task, items } = dataset.benchmark(name);
      const item = items[0]!;
      return { png: await encodePng(await dataset.image(item.image)), caption: `${name}\n${userText(task.prompt(item.doc))}\n⇒ ${item.target}`, width };
    }),
  );
}
