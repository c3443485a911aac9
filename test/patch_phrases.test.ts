import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { patchObjects } from "../src/data/patch_objects.js";
import { PROTOCOLS } from "../src/train/protocol.js";
import { CLIP_RECIPES } from "../src/train/objectives/clip.js";
import { CATEGORY_PHRASES, PATCH_PHRASES, PatchPhraseHead, categoryOfTarget, patchPhraseLoss, patchPhraseTargets, patchPhraseTerm, phraseIndex } from "../src/train/objectives/patch_phrases.js";
import { SIGLIP_RECIPES } from "../src/train/objectives/siglip.js";
import { SIGLIP2_RECIPES } from "../src/train/objectives/siglip2.js";
import { trainKey } from "../src/study/run.js";
import type { Scene, SceneObject } from "../src/world/scene.js";
import { CATEGORIES, COLOURS } from "../src/world/vocabulary.js";
import { zooBuildKey } from "../src/zoo/zoo.js";

before(async () => {
  await initBackend();
});

const obj = (id: number, category: string, colour: string, col: number, row: number, radius = 0.1): SceneObject => ({
  id, category, colour, size: "small", texture: "solid", col, row, cx: (col + 0.5) / 3, cy: (row + 0.5) / 3, radius,
});
const scene = (objects: SceneObject[], width = 192, height = 192): Scene => ({ id: "S", kind: "objects", theme: "garden", width, height, objects, edges: [] });

test("one phrase per colour–category pair, and each object maps to its own", () => {
  assert.equal(PATCH_PHRASES.length, COLOURS.length * CATEGORIES.length);
  assert.equal(new Set(PATCH_PHRASES).size, PATCH_PHRASES.length);
  assert.equal(PATCH_PHRASES[phraseIndex({ colour: "red", category: "star" })], "a red star");
  assert.equal(PATCH_PHRASES[phraseIndex({ colour: "orange", category: "arrow" })], "an orange arrow");
  assert.throws(() => phraseIndex({ colour: "teal", category: "star" }), /a teal star: unknown colour/);
});

test("the supervised patches of a hand-made batch are those on an object's disc, each with its object's phrase", () => {
  // 192 px, grid 3: patch centres at 32, 96, 160 px. A red star centred on patch 0 (radius 19.2 px),
  // a blue ring on patch 5 (row 1, column 2); nothing covers the other patches' centres.
  const a = scene([obj(0, "star", "red", 0, 0), obj(1, "ring", "blue", 2, 1)]);
  const b = scene([obj(0, "moon", "green", 1, 2)]);
  assert.deepEqual(patchObjects(a, 3), [0, -1, -1, -1, -1, 1, -1, -1, -1]);
  const targets = patchPhraseTargets([a, b], 3);
  assert.deepEqual(targets.flatMap((t, row) => (t < 0 ? [] : [row])), [0, 5, 9 + 7]);
  assert.deepEqual(targets.filter((t) => t >= 0).map((t) => PATCH_PHRASES[t]), ["a red star", "a blue ring", "a green moon"]);
  // A larger disc covers several: radius 0.4 of 192 px = 76.8 px around (32, 32) reaches (96, 32) and (32, 96), not (96, 96) at 90.5 px.
  assert.deepEqual(patchObjects(scene([obj(0, "star", "red", 0, 0, 0.4)]), 3), [0, 0, -1, 0, -1, -1, -1, -1, -1]);
  // A wide image is centred on its square: 288 × 192 puts the image 0…192 px down at rows 48…240 of a 288 px square.
  assert.deepEqual(patchObjects(scene([obj(0, "star", "red", 1, 1)], 288, 192), 3), [-1, -1, -1, -1, 0, -1, -1, -1, -1]);
});

test("the term is CLIP's softmax or SigLIP's sigmoid over the phrases, as computed by hand", () => {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
  const lse = (...v: number[]): number => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));
  const logSigmoid = (u: number): number => -Math.log1p(Math.exp(-u));
  const patches = tf.tensor2d([[1, 0], [0, 1]]);
  const phrases = tf.tensor2d([[1, 0], [0.6, 0.8], [0, -1]]);
  // Scale 2: logits [[2, 1.2, 0], [0, 1.6, −2]]; targets 0 and 1.
  const softmax = patchPhraseLoss(patches, phrases, [0, 1], tf.scalar(Math.log(2))).dataSync()[0]!;
  assert.ok(close(softmax, (lse(2, 1.2, 0) - 2 + lse(0, 1.6, -2) - 1.6) / 2), `softmax ${softmax}`);
  // Bias −1: logits [[1, 0.2, −1], [−1, 0.6, −3]], z = +1 at the target only.
  const expected = -(logSigmoid(1) + logSigmoid(-0.2) + logSigmoid(1) + logSigmoid(1) + logSigmoid(0.6) + logSigmoid(3)) / 2;
  const sigmoid = patchPhraseLoss(patches, phrases, [0, 1], tf.scalar(Math.log(2)), tf.scalar(-1)).dataSync()[0]!;
  assert.ok(close(sigmoid, expected), `sigmoid ${sigmoid} vs ${expected}`);
  // A row without a target (no object under the patch) adds nothing, to either form.
  const withEmpty = tf.tensor2d([[1, 0], [0.3, 0.3], [0, 1]]);
  assert.ok(close(patchPhraseLoss(withEmpty, phrases, [0, -1, 1], tf.scalar(Math.log(2))).dataSync()[0]!, softmax));
  assert.ok(close(patchPhraseLoss(withEmpty, phrases, [0, -1, 1], tf.scalar(Math.log(2)), tf.scalar(-1)).dataSync()[0]!, expected));
  assert.equal(patchPhraseLoss(withEmpty, phrases, [-1, -1, -1], tf.scalar(0)).dataSync()[0], 0);
});

test("the term trains the features under objects: a head and features fitted to it separate two objects' phrases", () => {
  const a = scene([obj(0, "star", "red", 0, 0), obj(1, "ring", "blue", 2, 1)]);
  const features = tf.variable(tf.randomNormal([1, 9, 8], 0, 1, "float32", 3));
  const head = new PatchPhraseHead(8, 16, 1);
  const phrases = tf.tidy(() => {
    const v = tf.randomNormal([PATCH_PHRASES.length, 16], 0, 1, "float32", 4);
    return tf.div(v, tf.norm(v, 2, -1, true)) as tf.Tensor2D;
  });
  const optimizer = tf.train.adam(0.05);
  const losses: number[] = [];
  for (let step = 0; step < 60; step++) {
    const loss = optimizer.minimize(() => patchPhraseTerm({ weight: 1 }, head, features as unknown as tf.Tensor3D, [a], () => phrases, tf.scalar(Math.log(20))), true, [features, ...head.trainableParameters()])!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  assert.ok(losses[0]! > 1 && losses.at(-1)! < 0.2 * losses[0]!, `${losses[0]} -> ${losses.at(-1)}`);
});

test("the category term: each patch under an object against the category phrases alone, weighted beside the colour–category term", () => {
  assert.equal(CATEGORY_PHRASES.length, CATEGORIES.length);
  assert.equal(CATEGORY_PHRASES[categoryOfTarget(phraseIndex({ colour: "red", category: "star" }))], "a star");
  assert.equal(CATEGORY_PHRASES[categoryOfTarget(phraseIndex({ colour: "orange", category: "arrow" }))], "an arrow");
  assert.equal(categoryOfTarget(-1), -1);
  const a = scene([obj(0, "star", "red", 0, 0), obj(1, "ring", "blue", 2, 1)]);
  const features = tf.randomNormal([1, 9, 8], 0, 1, "float32", 3) as tf.Tensor3D;
  const head = new PatchPhraseHead(8, 16, 1);
  const table = (texts: readonly string[]): tf.Tensor2D =>
    tf.tidy(() => {
      const v = tf.randomNormal([texts.length, 16], 0, 1, "float32", texts.length);
      return tf.div(v, tf.norm(v, 2, -1, true)) as tf.Tensor2D;
    });
  const scale = tf.scalar(Math.log(10));
  const value = (recipe: { weight: number; categoryWeight?: number }): number => patchPhraseTerm(recipe, head, features, [a], table, scale).dataSync()[0]!;
  // By hand: the same head's unit rows under the two objects, against each table.
  const rows = tf.tidy(() => {
    const u = head.forward(tf.reshape(features, [9, 8]) as tf.Tensor2D);
    return tf.div(u, tf.norm(u, 2, -1, true)) as tf.Tensor2D;
  });
  const targets = patchPhraseTargets([a], 3);
  const byHand = (phrases: tf.Tensor2D, t: readonly number[]): number => patchPhraseLoss(rows, phrases, t, scale).dataSync()[0]!;
  const phraseTerm = byHand(table(PATCH_PHRASES), targets);
  const categoryTerm = byHand(table(CATEGORY_PHRASES), targets.map(categoryOfTarget));
  const close = (x: number, y: number): boolean => Math.abs(x - y) < 1e-4 * Math.max(1, Math.abs(y));
  assert.ok(close(value({ weight: 1 }), phraseTerm));
  assert.ok(close(value({ weight: 2, categoryWeight: 3 }), 2 * phraseTerm + 3 * categoryTerm), `${value({ weight: 2, categoryWeight: 3 })} vs ${2 * phraseTerm + 3 * categoryTerm}`);
  assert.ok(categoryTerm > 0 && categoryTerm < Math.log(CATEGORIES.length) * 3);
});

test("the term is in CLIP's tiny recipe only (small keeps the archive's CLIP), and a recipe with it gets another build key", () => {
  assert.ok(CLIP_RECIPES.tiny.patchPhrases && CLIP_RECIPES.tiny.patchPhrases.weight > 0);
  assert.equal(CLIP_RECIPES.small.patchPhrases, undefined);
  for (const recipe of [...Object.values(SIGLIP_RECIPES), ...Object.values(SIGLIP2_RECIPES)]) assert.equal(recipe.patchPhrases, undefined);
  const manifest = { key: "k", parts: { images: "i", scenes: "s", text: "t", stage1: "c" } } as const;
  const archived = CLIP_RECIPES.small;
  const before = zooBuildKey("small", 0, "clip", manifest);
  CLIP_RECIPES.small = { ...archived, steps: 240, patchPhrases: { weight: 1 } };
  try {
    assert.notEqual(zooBuildKey("small", 0, "clip", manifest), before, "the recipe is in the entry's key");
  } finally {
    CLIP_RECIPES.small = archived;
  }
  assert.equal(zooBuildKey("small", 0, "clip", manifest), before);
  // A run's key holds its tower's build key, so a rebuilt tower trains its runs again.
  const spec = { llm: "llama3.1-8b", tower: "clip", captions: "short", resolution: "1x", seed: 0 } as never;
  assert.notEqual(trainKey({ spec, preset: "small" }, PROTOCOLS.small, "d", { tower: before }), trainKey({ spec, preset: "small" }, PROTOCOLS.small, "d", { tower: "0" }));
});
