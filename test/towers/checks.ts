/**
 * The checks every vision tower passes, run by its own test file (test/towers/<tower>.test.ts, which
 * adds the tower's quirks). test/registry.test.ts fails when a registered tower has no such file.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/index.js";
import { PRESETS } from "../../src/presets.js";
import { patchGrid, visionParameterCount, type VisionFamily } from "../../src/models/vision/config.js";
import { visionConfig } from "../../src/models/vision/registry.js";
import { VisionTower, normalizeImages } from "../../src/models/vision/vit.js";

export const images = (n: number, size: number, seed = 1) => tf.randomUniform([n, size, size, 3], 0, 1, "float32", seed) as tf.Tensor4D;

export function towerChecks(family: VisionFamily): void {
  before(async () => {
    await initBackend();
  });

  test(`${family}: builds at every preset with the parameter count its config implies`, () => {
    for (const preset of PRESETS) {
      const config = visionConfig(family, preset);
      const tower = new VisionTower(config, 1);
      assert.equal(tower.parameterCount(), visionParameterCount(config), `${family} ${preset}`);
      tower.dispose();
    }
  });

  test(`${family}: features are the second-to-last block without the leading tokens it drops`, () => {
    const c = visionConfig(family, "tiny");
    const tower = new VisionTower(c, 2);
    const x = images(2, c.imageSize);
    const feats = tower.features(x);
    const g = patchGrid(c);
    assert.deepEqual(feats.shape, [2, g * g, c.hiddenSize], family);
    const hidden = tower.hiddenStates(x, c.numLayers - 1);
    assert.equal(hidden.shape[1], g * g + c.dropLeadingTokens, family);
    const tail = tf.slice(hidden, [0, c.dropLeadingTokens, 0], [-1, -1, -1]);
    assert.ok(tf.max(tf.abs(tf.sub(tail, feats))).dataSync()[0]! === 0, family);
    assert.deepEqual(tower.pooled(x).shape, [2, c.hiddenSize]);
    const both = tower.featuresAndLast(x);
    assert.ok(tf.max(tf.abs(tf.sub(both.features, feats))).dataSync()[0]! < 1e-6, `${family}: one pass gives the same features`);
    assert.ok(tf.max(tf.abs(tf.sub(both.last, tower.lastHidden(x)))).dataSync()[0]! < 1e-6, `${family}: one pass gives the same last hidden state`);
    tower.dispose();
  });

  test(`${family}: trains (its pooled embedding regresses onto fixed targets)`, () => {
    const c = visionConfig(family, "tiny");
    const tower = new VisionTower(c, 6);
    const x = normalizeImages(c, images(4, c.imageSize, 7));
    const target = tf.randomNormal([4, c.hiddenSize], 0, 1, "float32", 8);
    const optimizer = tf.train.adam(1e-2);
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const loss = optimizer.minimize(() => tf.mean(tf.square(tf.sub(tower.pooled(x), target))) as tf.Scalar, true, tower.trainableParameters())!;
      losses.push(loss.dataSync()[0]!);
      loss.dispose();
    }
    assert.ok(losses.at(-1)! < 0.6 * losses[0]!, `${family}: ${losses[0]} -> ${losses.at(-1)}`);
    tower.dispose();
  });
}
