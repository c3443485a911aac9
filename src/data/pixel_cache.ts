/**
 * Preprocessed pixels of a dataset's scenes at one tower resolution, decoded once and kept as
 * 8-bit RGB (padded with the tower's mean colour, bicubic-resized) in the dataset's cache/ folder,
 * so pretraining and feature extraction never decode a PNG twice. Batches come out normalised,
 * NHWC float32, ready for the tower.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import { progressBar } from "../util/progress.js";
import type { Dataset } from "./dataset.js";
import { meanColour, normalizePixels, squareForTower, type TowerImageSpec } from "./preprocess.js";

export class PixelCache {
  private constructor(
    readonly spec: TowerImageSpec,
    /** Side of the cached images: the tower's resolution times the scale. */
    readonly size: number,
    readonly sceneIds: string[],
    private readonly pixels: Uint8Array,
  ) {}

  get count(): number {
    return this.sceneIds.length;
  }

  /**
   * The cache of `split` at the tower's resolution × `scale`, built (with a progress bar) if missing;
   * with `limit`, of the split's first `limit` scenes only.
   */
  static async load(dataset: Dataset, split: "train" | "test", spec: TowerImageSpec, options: { scale?: number; limit?: number; progress?: boolean } = {}): Promise<PixelCache> {
    const size = spec.imageSize * (options.scale ?? 1);
    const fill = meanColour(spec);
    const all = dataset.scenes(split).map((s) => s.id);
    const sceneIds = options.limit !== undefined && options.limit < all.length ? all.slice(0, options.limit) : all;
    const first = sceneIds.length < all.length ? `-first${sceneIds.length}` : "";
    const file = join(dataset.dir, "cache", `pixels-${split}${first}-${size}px-${fill.join("_")}.u8`);
    const bytes = size * size * 3;
    if (existsSync(file)) {
      const data = readFileSync(file);
      if (data.length === bytes * sceneIds.length) return new PixelCache(spec, size, sceneIds, new Uint8Array(data.buffer, data.byteOffset, data.length));
    }
    const pixels = new Uint8Array(bytes * sceneIds.length);
    const bar = progressBar(`pixels ${split} ${size}px`, sceneIds.length, { silent: options.progress === false });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < sceneIds.length) {
        const i = next++;
        const image = await dataset.image(`${sceneIds[i]}.png`);
        const resized = await squareForTower(image, spec, size);
        pixels.set(resized.data, i * bytes);
        bar.tick();
      }
    };
    await Promise.all([...Array(4)].map(worker));
    bar.done();
    writeFileAtomic(file, pixels);
    return new PixelCache(spec, size, sceneIds, pixels);
  }

  /** 8-bit RGB of image `index`. */
  raw(index: number): Uint8Array {
    const bytes = this.size * this.size * 3;
    return this.pixels.subarray(index * bytes, (index + 1) * bytes);
  }

  /** Normalised batch [B, size, size, 3]: (x/255 − mean) / std. */
  batch(indices: readonly number[]): tf.Tensor4D {
    const bytes = this.size * this.size * 3;
    const out = new Float32Array(indices.length * bytes);
    indices.forEach((index, b) => normalizePixels(this.raw(index), this.spec, out, b * bytes));
    return tf.tensor4d(out, [indices.length, this.size, this.size, 3]);
  }
}

/** Stage-1 captions of each training scene, by caption style: sceneId -> caption. */
export function captionsByScene(dataset: Dataset, style: "short" | "dense" | "noisy"): Map<string, string> {
  return new Map(dataset.stage1(style).samples.map((s) => [s.image!.replace(/\.png$/, ""), s.conversations[1]!.value]));
}
