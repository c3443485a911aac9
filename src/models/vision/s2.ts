/**
 * S2 (Scaling on Scales) multi-scale features, as LLaVA-MORE's s2wrapper: the frozen tower runs on
 * the image at each scale (1×, 2×, 3× its base resolution); a larger image is cut into base-size
 * tiles, the tiles' feature maps are stitched and average-pooled back to the base grid, and the
 * scales are concatenated on channels: same token count, s·d channels. The study's scales are
 * `S2_SCALES` in resolution.ts, which runs this through `towerFeatures`.
 */
import * as tf from "@tensorflow/tfjs";
import { patchGrid } from "./config.js";
import type { VisionTower } from "./vit.js";

/** [B, S, S, C] with S = k·size -> [B·k², size, size, C], tiles in row-major order per image. */
function splitTiles(images: tf.Tensor4D, k: number): tf.Tensor4D {
  const [b, , , c] = images.shape;
  const size = images.shape[1] / k;
  const x = tf.reshape(images, [b, k, size, k, size, c]);
  return tf.reshape(tf.transpose(x, [0, 1, 3, 2, 4, 5]), [b * k * k, size, size, c]) as tf.Tensor4D;
}

/** [B·k², g, g, d] tiles -> [B, k·g, k·g, d]. */
function mergeTiles(tiles: tf.Tensor4D, k: number): tf.Tensor4D {
  const [bk, g, , d] = tiles.shape;
  const b = bk / (k * k);
  const x = tf.reshape(tiles, [b, k, k, g, g, d]);
  return tf.reshape(tf.transpose(x, [0, 1, 3, 2, 4, 5]), [b, k * g, k * g, d]) as tf.Tensor4D;
}

/**
 * Multi-scale features [B, g², d·scales] from images [B, S, S, C] at the largest scale
 * (S = max(scales) · base, base defaulting to the tower's image size), already normalised.
 */
export function s2Features(tower: VisionTower, images: tf.Tensor4D, scales: readonly number[], base = tower.config.imageSize): tf.Tensor3D {
  const c = tower.config;
  const largest = Math.max(...scales);
  if (images.shape[1] !== largest * base || images.shape[2] !== largest * base) {
    throw new Error(`S2 expects ${largest * base}x${largest * base} images (scales ${scales.join(",")} of ${base}), got ${images.shape[1]}x${images.shape[2]}`);
  }
  return tf.tidy(() => {
    const g = patchGrid(c, base);
    const [b] = images.shape;
    const perScale = scales.map((k) => {
      const resized =
        k === largest
          ? images
          : largest % k === 0
            ? (tf.avgPool(images, largest / k, largest / k, "valid") as tf.Tensor4D)
            : tf.image.resizeBilinear(images, [k * base, k * base], false, true);
      const tiles = splitTiles(resized, k);
      const feats = tower.features(tiles); // [B·k², g², d]
      const d = feats.shape[2];
      const merged = mergeTiles(tf.reshape(feats, [b * k * k, g, g, d]) as tf.Tensor4D, k);
      const pooled = k === 1 ? merged : (tf.avgPool(merged, k, k, "valid") as tf.Tensor4D);
      return tf.reshape(pooled, [b, g * g, d]);
    });
    return tf.concat(perScale, 2) as tf.Tensor3D;
  });
}
