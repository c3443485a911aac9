import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { Dataset } from "../src/data/dataset.js";
import { captionsByScene, PixelCache } from "../src/data/pixel_cache.js";
import { CaptionTokenizer } from "../src/models/text/caption_tokenizer.js";
import { CaptionDecoder, captionDecoderConfig, decoderBatch } from "../src/models/text/caption_decoder.js";
import { textEncoderConfig, tokenizeTexts } from "../src/models/text/text_encoder.js";
import { ContrastiveTextSide, loadTextSide, textSideConfig, type ContrastiveKind } from "../src/models/text/text_side.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { VisionTower } from "../src/models/vision/vit.js";
import { lossDrop } from "../src/train/loop.js";
import { clipObjective } from "../src/train/objectives/clip.js";
import { EpochSampler, infoNceLoss, sigmoidLoss } from "../src/train/objectives/contrastive.js";
import type { TowerObjective, TowerPretrainResult } from "../src/train/objectives/objective.js";
import { PATCH_PHRASES } from "../src/train/objectives/patch_phrases.js";
import { priorLogitBias, siglipObjective } from "../src/train/objectives/siglip.js";
import { decoderExample, maskedCosineLoss, randomPatchMask, siglip2Objective, SIGLIP2_RECIPES } from "../src/train/objectives/siglip2.js";
import { Random } from "../src/util/random.js";
import { tempDir, tinyDataset } from "./helpers.js";

let dataset: Dataset;
before(async () => {
  await initBackend();
  dataset = new Dataset(await tinyDataset());
});

const close = (a: number, b: number, tol = 1e-5): boolean => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));
const logSigmoid = (u: number): number => -Math.log1p(Math.exp(-u));

test("InfoNCE and the sigmoid loss match hand-computed values on a 2 × 2 batch", () => {
  const x = tf.tensor2d([[1, 0], [0, 1]]);
  const y = tf.tensor2d([[0.6, 0.8], [1, 0]]);
  // Scale 2: logits [[1.2, 2], [1.6, 0]]; image→text rows, text→image columns, pair i with i.
  const lse = (a: number, b: number): number => Math.log(Math.exp(a) + Math.exp(b));
  const rows = (lse(1.2, 2) - 1.2 + (lse(1.6, 0) - 0)) / 2;
  const cols = (lse(1.2, 1.6) - 1.2 + (lse(2, 0) - 0)) / 2;
  const infoNce = infoNceLoss(x, y, tf.scalar(Math.log(2))).dataSync()[0]!;
  assert.ok(close(infoNce, (rows + cols) / 2), `InfoNCE ${infoNce}`);
  // t = 2, b = −1: logits [[0.2, 1], [0.6, −1]], z = +1 on the diagonal, −1 off it; sum over pairs / B.
  const expected = -(logSigmoid(0.2) + logSigmoid(-1) + logSigmoid(-0.6) + logSigmoid(-1)) / 2;
  const sigmoid = sigmoidLoss(x, y, tf.tensor1d([Math.log(2)]), tf.tensor1d([-1])).dataSync()[0]!;
  assert.ok(close(sigmoid, expected), `sigmoid ${sigmoid} vs ${expected}`);
  assert.ok(close(priorLogitBias(64), -Math.log(63)));
});

test("masked-patch loss counts masked patches only; masks hide exactly the asked share", () => {
  const prediction = tf.tensor3d([[[1, 0], [0, 1], [1, 1]]]);
  const target = tf.tensor3d([[[1, 0], [1, 0], [-1, -1]]]);
  // Patch 0 unmasked; patch 1: cos 0 → 1; patch 2: cos −1 → 2.
  const loss = maskedCosineLoss(prediction, target, tf.tensor2d([[0, 1, 1]])).dataSync()[0]!;
  assert.ok(close(loss, 1.5), `${loss}`);
  const mask = randomPatchMask(new Random(3), 4, 10, 0.5);
  assert.deepEqual(Array.from(tf.sum(mask, 1).dataSync()), [5, 5, 5, 5]);
});

test("batches depend on the step alone: whole epochs, no image twice in a batch", () => {
  const a = new EpochSampler(7, 50, 16);
  const b = new EpochSampler(7, 50, 16);
  const seen = [0, 1, 2].flatMap((s) => a.indices(s));
  assert.equal(new Set(seen).size, 48);
  assert.deepEqual(b.indices(4), a.indices(4));
  assert.deepEqual(b.indices(1), new EpochSampler(7, 50, 16).indices(1));
  assert.notDeepEqual(a.indices(3), a.indices(0));
});

function tinyTextSide(kind: ContrastiveKind, seed = 5): { side: ContrastiveTextSide; tower: VisionTower } {
  const tower = new VisionTower(visionConfig(kind === "clip" ? "clip" : "siglip", "tiny"), seed);
  const tokenizer = CaptionTokenizer.train(["a red star on the left", "two blue circles and a green square", "The image shows a diagram with 3 objects."], 300);
  const projection = kind === "clip" ? 24 : tower.config.hiddenSize;
  const side = new ContrastiveTextSide(textSideConfig(kind, textEncoderConfig(kind, "tiny", tokenizer, projection), tower.config.hiddenSize), tokenizer, seed);
  return { side, tower };
}

test("CLIP pools at the end-of-text token behind a causal mask, SigLIP at the last of a full context: embeddings do not depend on the batch", () => {
  const texts = ["a red star", "two blue circles and a green square on the left of a red star"];
  for (const kind of ["clip", "siglip"] as const) {
    const { side } = tinyTextSide(kind);
    const config = side.config.text_config;
    const t = tokenizeTexts(config, side.tokenizer, texts);
    if (kind === "clip") {
      assert.equal(t.ids[0], config.sotId);
      assert.equal(t.ids[t.pool[0]!], config.eotId);
      assert.equal(t.length, t.pool[1]! + 1);
    } else {
      assert.equal(t.length, config.contextLength);
      assert.deepEqual(t.pool, [config.contextLength - 1, config.contextLength - 1]);
    }
    const alone = side.embedTexts([texts[0]!]).dataSync();
    const batched = side.embedTexts(texts).dataSync().slice(0, alone.length);
    alone.forEach((v, i) => assert.ok(Math.abs(v - batched[i]!) < 1e-5, `${kind} [${i}] ${v} vs ${batched[i]}`));
    const long = tokenizeTexts(config, side.tokenizer, ["red ".repeat(100)]);
    assert.equal(long.ids.slice(0, long.length).filter((id) => id !== config.padId).length, config.contextLength);
  }
});

test("a text side saves and reloads to identical image and text embeddings", () => {
  for (const kind of ["clip", "siglip"] as const) {
    const { side, tower } = tinyTextSide(kind, 9);
    const dir = tempDir();
    side.save(dir);
    const loaded = loadTextSide(dir);
    const texts = ["a red star on the left", "a green square"];
    const images = tf.randomNormal([2, tower.config.imageSize, tower.config.imageSize, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    assert.deepEqual(Array.from(loaded.embedTexts(texts).dataSync()), Array.from(side.embedTexts(texts).dataSync()), kind);
    assert.deepEqual(Array.from(loaded.embedImages(tower, images).dataSync()), Array.from(side.embedImages(tower, images).dataSync()), kind);
    assert.deepEqual(loaded.namedParameters().map(([n]) => n), side.namedParameters().map(([n]) => n));
    if (kind === "clip") assert.ok(side.namedParameters().some(([n]) => n === "visual_projection.weight"));
    else assert.ok(side.namedParameters().some(([n]) => n === "text_model.head.weight") && side.logitBias !== undefined);
    assert.throws(() => loadTextSide(dir, kind === "clip" ? "siglip" : "clip"), /holds a/);
  }
});

test("LocCa decoder batches score only the target and its end-of-text token", () => {
  const { side, tower } = tinyTextSide("siglip");
  const config = captionDecoderConfig("tiny", side.tokenizer, tower.config.hiddenSize);
  const batch = decoderBatch(config, side.tokenizer, [
    { prompt: "where is the star?", target: " on the left" },
    { prompt: "caption:", target: " a red star" },
  ]);
  const tok = side.tokenizer;
  for (let row = 0; row < 2; row++) {
    const weights = Array.from(batch.weight.slice(row * batch.length, (row + 1) * batch.length));
    const targets = Array.from(batch.target.slice(row * batch.length, (row + 1) * batch.length)).filter((_, t) => weights[t] === 1);
    assert.equal(tok.decode(targets.slice(0, -1)), row === 0 ? " on the left" : " a red star");
    assert.equal(targets[targets.length - 1], tok.eot);
  }
  assert.equal(batch.input[0], tok.sot);
  const decoder = new CaptionDecoder(config, 1);
  const patches = tf.randomNormal([2, 9, tower.config.hiddenSize]) as tf.Tensor3D;
  const loss = decoder.loss(batch, patches).dataSync()[0]!;
  assert.ok(Math.abs(loss - Math.log(config.vocabSize)) < 1, `untrained loss ${loss} should be near log V`);
  const scenes = dataset.scenes("train");
  const rng = new Random(2);
  const kinds = new Set(scenes.slice(0, 30).map((s) => decoderExample(s, "CAPTION", SIGLIP2_RECIPES.tiny.decoderTasks, rng).prompt.split(" ")[0]));
  assert.deepEqual([...kinds].sort(), ["caption:", "what", "where"]);
});

test("a run is a function of its seed: the same seed gives the same losses", async () => {
  const run = () => clipObjective.pretrain({ dataset, family: "clip", preset: "tiny", seed: 3, progress: false, steps: 4 });
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.losses, b.losses);
  for (const r of [a, b]) {
    r.tower.dispose();
    r.textSide!.dispose();
  }
});

/** Mean rank of each image's own caption among `n` (chance: (n − 1) / 2). */
async function meanRank(result: TowerPretrainResult, n: number): Promise<number> {
  const pixels = await PixelCache.load(dataset, "train", result.tower.config, { progress: false });
  const captions = captionsByScene(dataset, "dense");
  const indices = [...Array(n).keys()];
  const sim = tf.tidy(() => {
    const x = result.textSide!.embedImages(result.tower, pixels.batch(indices));
    const y = result.textSide!.embedTexts(indices.map((i) => captions.get(pixels.sceneIds[i]!)!));
    return tf.matMul(x, y, false, true).arraySync() as number[][];
  });
  return sim.reduce((sum, row, i) => sum + row.filter((v) => v > row[i]!).length, 0) / n;
}

const runs: [TowerObjective, "clip" | "siglip" | "siglip2", string[]][] = [
  [clipObjective, "clip", ["infonce", "patch"]],
  [siglipObjective, "siglip", ["sigmoid"]],
  [siglip2Objective, "siglip2", ["sigmoid", "caption", "dense"]],
];

for (const [objective, family, terms] of runs) {
  test(`${objective.name} on tiny: 60 steps lower the loss, and retrieval beats chance`, async () => {
    const result = await objective.pretrain({ dataset, family, preset: "tiny", seed: 0, progress: false });
    assert.equal(result.losses.length, 60);
    const drop = lossDrop(result.losses, 8);
    assert.ok(drop.last < drop.first - 0.1, `${objective.name}: loss ${drop.first} -> ${drop.last}`);
    // Below the loss of embeddings that ignore their input: log B for InfoNCE; for the sigmoid loss
    // every pair at the prior log-odds, −log(1/B) − (B − 1)·log(1 − 1/B).
    const b = result.batchSize;
    const blind = family === "clip" ? Math.log(b) : Math.log(b) + (b - 1) * Math.log(b / (b - 1));
    const own = result.finalTerms[family === "clip" ? "infonce" : "sigmoid"]!;
    assert.ok(own < blind - 0.05, `${objective.name}: ${own} vs the input-blind ${blind}`);
    // CLIP's per-object term: below a patch that knows nothing, log of the number of phrases.
    if (terms.includes("patch")) assert.ok(result.finalTerms["patch"]! < Math.log(PATCH_PHRASES.length) - 0.5, `${objective.name}: per-object term ${result.finalTerms["patch"]}`);
    assert.deepEqual(Object.keys(result.finalTerms).sort(), [...terms].sort());
    for (const v of Object.values(result.finalTerms)) assert.ok(Number.isFinite(v));
    assert.ok(result.data.includes("dense 50%"), result.data);
    const rank = await meanRank(result, 40);
    assert.ok(rank < 0.75 * 19.5, `${objective.name}: the own caption ranks ${rank} of 40 on average (chance 19.5)`);
    const dir = tempDir();
    result.textSide!.save(dir);
    const reloaded = objective.loadTextSide!(dir);
    assert.deepEqual(Array.from(reloaded.embedTexts(["a red star"]).dataSync()), Array.from(result.textSide!.embedTexts(["a red star"]).dataSync()));
    result.tower.dispose();
    result.textSide!.dispose();
    for (const m of Object.values(result.extras)) m.dispose();
  });
}
