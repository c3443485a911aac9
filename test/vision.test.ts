import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { patchGrid } from "../src/models/vision/config.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { s2Features } from "../src/models/vision/s2.js";
import { S2_SCALES } from "../src/models/vision/resolution.js";
import { VisionTower, patchify } from "../src/models/vision/vit.js";

before(async () => {
  await initBackend();
});

const images = (n: number, size: number, seed = 1) => tf.randomUniform([n, size, size, 3], 0, 1, "float32", seed) as tf.Tensor4D;

// What every tower must pass (builds, feature selection, trains) and its quirks (grids, dropped tokens): test/towers/<tower>.test.ts.

test("patchify flattens each patch channel-major, like a Conv2d weight", () => {
  const x = tf.tensor4d(Array.from({ length: 2 * 4 * 3 }, (_, i) => i), [1, 2, 4, 3]);
  const p = patchify(x, 2).arraySync()[0]!;
  assert.equal(p.length, 2);
  // Patch 0 covers rows 0-1, columns 0-1; channel 0 first: pixels (0,0),(0,1),(1,0),(1,1).
  assert.deepEqual(p[0]!.slice(0, 4), [0, 3, 12, 15]);
  assert.deepEqual(p[1]!.slice(4, 8), [7, 10, 19, 22]);
});

test("position embeddings interpolate to other resolutions; the base resolution is unchanged", () => {
  const c = visionConfig("dinov2", "tiny");
  const tower = new VisionTower(c, 3);
  const g = patchGrid(c);
  assert.deepEqual(tower.features(images(1, 2 * c.imageSize)).shape, [1, 4 * g * g, c.hiddenSize]);
  assert.deepEqual(tower.features(images(1, c.imageSize + c.patchSize)).shape, [1, (g + 1) ** 2, c.hiddenSize]);
  tower.dispose();
});

test("S2: scales 1x, 2x, 3x merged to the base grid and concatenated on channels", () => {
  const c = visionConfig("dinov2", "tiny"); // a 3 x 3 grid, so 3x3 blocks of tile tokens pool exactly
  const tower = new VisionTower(c, 4);
  const g = patchGrid(c);
  const big = images(2, 3 * c.imageSize, 5);
  const feats = s2Features(tower, big, S2_SCALES);
  assert.deepEqual(feats.shape, [2, g * g, 3 * c.hiddenSize]);
  // The 1x channels are the plain features of the image average-pooled down to the base size.
  const base = tower.features(tf.avgPool(big, 3, 3, "valid") as tf.Tensor4D);
  const first = tf.slice(feats, [0, 0, 0], [-1, -1, c.hiddenSize]);
  assert.ok(tf.max(tf.abs(tf.sub(first, base))).dataSync()[0]! < 1e-5);
  // The 3x channels are the nine tiles' features, each token the mean of a 3x3 block of tile tokens.
  const tiles = tower.features(tf.slice(big, [0, 0, 0, 0], [1, c.imageSize, c.imageSize, 3]));
  const tileMap = tf.reshape(tiles, [1, g, g, c.hiddenSize]);
  const pooled = tf.reshape(tf.avgPool(tileMap as tf.Tensor4D, 3, 3, "valid"), [-1]);
  const third = tf.slice(feats, [0, 0, 2 * c.hiddenSize], [1, 1, c.hiddenSize]);
  assert.equal(g, 3);
  assert.ok(tf.max(tf.abs(tf.sub(tf.reshape(third, [-1]), tf.slice(pooled, [0], [c.hiddenSize])))).dataSync()[0]! < 1e-5);
  assert.throws(() => s2Features(tower, images(1, c.imageSize), S2_SCALES), /S2 expects 36x36 images/);
  tower.dispose();
});
