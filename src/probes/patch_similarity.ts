/**
 * What a tower's patch features group together: the cosine similarity of the patch under a test
 * scene's first object to every other patch, at the tower's resolution (the numbers behind the
 * gallery's similarity pictures, src/analysis/lab_gallery.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.js";
import { PixelCache } from "../data/pixel_cache.js";
import { patchGrid } from "../models/vision/config.js";
import type { VisionTower } from "../models/vision/vit.js";
import type { Scene } from "../world/scene.js";

export interface PatchSimilarity {
  /** The tower's input side in pixels. */
  size: number;
  /** Patches per side. */
  grid: number;
  /** The patch under the scene's first object (row-major). */
  anchor: number;
  /** Cosine similarity of every patch's feature to the anchor's. */
  similarity: Float32Array;
  /** The scene as the tower sees it: 8-bit RGB, size × size. */
  raw: Uint8Array;
}

/** Test scene `sceneIndex` through the tower: every patch's similarity to the patch under its first object. */
export async function patchSimilarity(dataset: Dataset, tower: VisionTower, sceneIndex: number, scene: Scene = dataset.scenes("test")[sceneIndex]!): Promise<PatchSimilarity> {
  const cache = await PixelCache.load(dataset, "test", tower.config, { progress: false });
  const grid = patchGrid(tower.config);
  const size = cache.size;
  // The first object's centre in the padded square, in patch units.
  const side = Math.max(scene.width, scene.height);
  const o = scene.objects[0]!;
  const px = (o.cx * scene.width + (side - scene.width) / 2) / side;
  const py = (o.cy * scene.height + (side - scene.height) / 2) / side;
  const anchor = Math.min(grid - 1, Math.floor(py * grid)) * grid + Math.min(grid - 1, Math.floor(px * grid));
  const similarity = tf.tidy(() => {
    const feats = tf.reshape(tower.features(cache.batch([sceneIndex])), [grid * grid, -1]);
    const unit = tf.div(feats, tf.add(tf.norm(feats, 2, 1, true), 1e-6));
    return tf.reshape(tf.matMul(unit, tf.slice(unit, [anchor, 0], [1, -1]), false, true), [-1]).dataSync() as Float32Array;
  });
  return { size, grid, anchor, similarity, raw: cache.raw(sceneIndex) };
}
