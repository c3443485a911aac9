/**
 * The feature cache. The vision tower is frozen in both stages of the protocol, so its features —
 * per tower, input side, S2 scale set and image — are computed once, stored on disk beside the
 * dataset, and reused by every LLM paired with that tower and by both stages. The cache key hashes
 * the zoo entry (its build key and final loss), the tower config, the preprocessing and the
 * dataset; any change recomputes the features.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Dataset } from "../data/dataset.js";
import { PixelCache } from "../data/pixel_cache.js";
import type { VisionFamily } from "../models/vision/config.js";
import { s2Features } from "../models/vision/s2.js";
import type { VisionTower } from "../models/vision/vit.js";
import { loadZooTower, zooDataKey, zooTowerEntry } from "../zoo/zoo.js";
import { writeFileAtomic } from "../util/fs.js";
import { readJsonFile, writeJson } from "../util/jsonl.js";
import { progressBar } from "../util/progress.js";
import { hashString } from "../util/random.js";
import { inputSide, S2_SCALES, type ResolutionSpec } from "./grid.js";

/** Bumped when feature extraction changes. */
export const FEATURE_VERSION = 1;

/** Images per tower forward pass (64 measured faster than 256 in the prototype). */
const EXTRACT_BATCH = 64;

interface FeatureMeta {
  key: string;
  tower: VisionFamily;
  side: number;
  s2: boolean;
  split: string;
  count: number;
  tokens: number;
  dim: number;
  seconds: number;
}

export class FeatureStore {
  private readonly index: Map<string, number>;

  private constructor(
    readonly meta: FeatureMeta,
    readonly sceneIds: readonly string[],
    private readonly data: Float32Array,
  ) {
    this.index = new Map(sceneIds.map((id, i) => [id, i]));
  }

  get tokens(): number {
    return this.meta.tokens;
  }

  /** Feature width: the tower's width, × the number of scales with S2. */
  get dim(): number {
    return this.meta.dim;
  }

  has(sceneId: string): boolean {
    return this.index.has(sceneId);
  }

  indexOf(sceneId: string): number {
    const i = this.index.get(sceneId);
    if (i === undefined) throw new Error(`scene "${sceneId}" has no cached ${this.meta.tower} features (${this.meta.split}, first ${this.meta.count} scenes)`);
    return i;
  }

  /** The same cache restricted to its first `count` scenes (no copy): training sees only these. */
  first(count: number): FeatureStore {
    if (!(Number.isInteger(count) && count >= 1 && count <= this.sceneIds.length)) throw new Error(`first(${count}): expected 1 to ${this.sceneIds.length} scenes`);
    return new FeatureStore({ ...this.meta, count }, this.sceneIds.slice(0, count), this.data.subarray(0, count * this.tokens * this.dim));
  }

  /** Features [B, tokens, dim] of scenes by index. */
  batch(indices: readonly number[]): tf.Tensor3D {
    const size = this.tokens * this.dim;
    const out = new Float32Array(indices.length * size);
    indices.forEach((index, b) => out.set(this.data.subarray(index * size, (index + 1) * size), b * size));
    return tf.tensor3d(out, [indices.length, this.tokens, this.dim]);
  }

  /**
   * The features of a split's first `limit` scenes (all without it) for a zoo tower at a
   * resolution: read from the cache, or computed (with a progress bar) and cached.
   */
  static async load(
    dataset: Dataset,
    zoo: string,
    family: VisionFamily,
    resolution: ResolutionSpec,
    split: "train" | "test",
    options: { limit?: number; progress?: boolean } = {},
  ): Promise<FeatureStore> {
    const { entry, config } = zooTowerEntry(zoo, family);
    const all = dataset.scenes(split).map((s) => s.id);
    const sceneIds = options.limit !== undefined && options.limit < all.length ? all.slice(0, options.limit) : all;
    const side = inputSide(config, resolution);
    const s2 = resolution.s2 === true;
    const key = hashString(JSON.stringify({ v: FEATURE_VERSION, entry: entry.key, loss: entry.finalLoss, config, side, s2, dataset: zooDataKey(dataset.manifest) })).toString(16).padStart(8, "0");
    // One folder per build of the tower: runs on two zoos sharing this dataset must not overwrite each other's cache.
    const folder = join(dataset.dir, "cache", "features", `${family}-${entry.key}-${side}px${s2 ? "-s2" : ""}-${split}-${sceneIds.length}`);
    const metaFile = join(folder, "meta.json");
    const dataFile = join(folder, "features.f32");
    if (existsSync(metaFile) && existsSync(dataFile)) {
      const meta = readJsonFile(metaFile) as FeatureMeta;
      const bytes = readFileSync(dataFile);
      if (meta.key === key && bytes.length === 4 * meta.count * meta.tokens * meta.dim) {
        return new FeatureStore(meta, sceneIds, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
      }
    }
    // The tower is built only when the features must be computed.
    const { tower } = loadZooTower(zoo, family);
    try {
      const started = Date.now();
      const spec = { ...tower.config, imageSize: side };
      const pixels = await PixelCache.load(dataset, split, spec, { scale: s2 ? Math.max(...S2_SCALES) : 1, limit: sceneIds.length, progress: options.progress });
      const data = await extract(tower, pixels, s2 ? side : undefined, `features ${family} ${side}px${s2 ? "+S2" : ""} ${split}`, options.progress !== false);
      const meta: FeatureMeta = { key, tower: family, side, s2, split, count: sceneIds.length, tokens: data.tokens, dim: data.dim, seconds: (Date.now() - started) / 1000 };
      writeFileAtomic(dataFile, new Uint8Array(data.values.buffer, data.values.byteOffset, data.values.byteLength));
      writeJson(metaFile, meta);
      return new FeatureStore(meta, sceneIds, data.values);
    } finally {
      tower.dispose();
    }
  }
}

async function extract(tower: VisionTower, pixels: PixelCache, s2Base: number | undefined, label: string, show: boolean): Promise<{ values: Float32Array; tokens: number; dim: number }> {
  const bar = progressBar(label, pixels.count, { silent: !show });
  let values = new Float32Array(0);
  let tokens = 0;
  let dim = 0;
  for (let start = 0; start < pixels.count; start += EXTRACT_BATCH) {
    const indices = [...Array(Math.min(EXTRACT_BATCH, pixels.count - start)).keys()].map((i) => start + i);
    const features = tf.tidy(() => {
      const images = pixels.batch(indices);
      return s2Base !== undefined ? s2Features(tower, images, S2_SCALES, s2Base) : tower.features(images);
    });
    if (start === 0) {
      [, tokens, dim] = features.shape;
      values = new Float32Array(pixels.count * tokens * dim);
    }
    values.set((await features.data()) as Float32Array, start * tokens * dim);
    features.dispose();
    bar.tick(indices.length);
  }
  bar.done();
  return { values, tokens, dim };
}
