import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { Dataset } from "../src/data/dataset.js";
import { PixelCache } from "../src/data/pixel_cache.js";
import { Rng } from "../src/models/module.js";
import { Linear } from "../src/models/nn/linear.js";
import type { VisionFamily } from "../src/models/vision/config.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { VisionTower, normalizeImages } from "../src/models/vision/vit.js";
import { drawMultiCrop, multiCrop, randomResizedCropBox } from "../src/train/objectives/crops.js";
import {
  DINOV2_RECIPES,
  DinoHead,
  blockMask,
  dinoCrossEntropy,
  dinov2Objective,
  emaUpdate,
  ibotLoss,
  ibotMasks,
  koleoLoss,
  pretrainDinov2,
  teacherMomentum,
  teacherTemperature,
} from "../src/train/objectives/dinov2.js";
import { Random } from "../src/util/random.js";
import { gradCheck } from "./gradcheck.js";
import { tempDir, tinyDataset } from "./helpers.js";

before(async () => {
  await initBackend();
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

const softmax = (xs: number[]): number[] => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
};
const crossEntropy = (p: number[], logits: number[]): number => {
  const q = softmax(logits);
  return -p.reduce((s, pk, k) => s + pk * Math.log(q[k]!), 0);
};

test("the DINO cross-entropy with centring and sharpening matches a hand computation (2 views, 3 prototypes)", () => {
  const t = [
    [0.9, -0.2, 0.4],
    [0.1, 0.7, -0.5],
  ];
  const s = [
    [0.3, 0.5, -0.1],
    [-0.6, 0.2, 0.8],
  ];
  const centre = [0.2, 0.1, -0.3];
  const tauT = 0.04;
  const tauS = 0.1;
  const teacher = t.map((row) => softmax(row.map((x, k) => (x - centre[k]!) / tauT)));
  const student = s.map((row) => row.map((x) => x / tauS));
  // Teacher view 0 against student view 1 and teacher view 1 against student view 0; never the same view.
  const want = (crossEntropy(teacher[0]!, student[1]!) + crossEntropy(teacher[1]!, student[0]!)) / 2;
  const got = dinoCrossEntropy(
    t.map((row) => tf.tensor2d([row])),
    s.map((row) => tf.tensor2d([row])),
    tf.tensor1d(centre),
    { teacher: tauT, student: tauS },
  ).dataSync()[0]!;
  close(got, want, 1e-4);

  // A local view joins as a student view only: pairs (0,1), (0,2), (1,0), (1,2).
  const local = [0.5, -0.4, 0.2];
  const withLocal = (crossEntropy(teacher[0]!, student[1]!) + crossEntropy(teacher[0]!, local.map((x) => x / tauS)) + crossEntropy(teacher[1]!, student[0]!) + crossEntropy(teacher[1]!, local.map((x) => x / tauS))) / 4;
  const got3 = dinoCrossEntropy(
    t.map((row) => tf.tensor2d([row])),
    [...s, local].map((row) => tf.tensor2d([row])),
    tf.tensor1d(centre),
    { teacher: tauT, student: tauS },
  ).dataSync()[0]!;
  close(got3, withLocal, 1e-4);
});

test("iBOT averages the cross-entropy over each image's masked patches, then over the masked images", () => {
  const K = 3;
  const teacherLogits = [
    [[1, 0, 0], [0, 2, 0], [0, 0, 1]],
    [[0.5, 0.5, 0], [1, 0, 1], [0, 1, 0]],
    [[0, 0, 0], [1, 1, 1], [2, 0, 0]],
  ];
  const studentLogits = [
    [[0.2, 0.1, 0], [0, 0.3, 0.1], [0.5, 0, 0]],
    [[0, 0, 1], [0.4, 0.4, 0], [0, 0, 0.2]],
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
  ];
  const mask = [
    [1, 0, 1],
    [0, 1, 0],
    [0, 0, 0],
  ];
  const tau = 0.5;
  const p = teacherLogits.map((img) => img.map((row) => softmax(row)));
  const perImage = [0, 1]
    .map((i) => {
      const masked = mask[i]!.flatMap((m, n) => (m ? [crossEntropy(p[i]![n]!, studentLogits[i]![n]!.map((x) => x / tau))] : []));
      return masked.reduce((a, b) => a + b, 0) / masked.length;
    })
    .reduce((a, b) => a + b, 0);
  const got = ibotLoss(tf.tensor3d(p.flat(2), [3, 3, K]), tf.tensor3d(studentLogits.flat(2), [3, 3, K]), tf.tensor2d(mask), tau).dataSync()[0]!;
  close(got, perImage / 2, 1e-5);
  close(ibotLoss(tf.tensor3d(p.flat(2), [3, 3, K]), tf.tensor3d(studentLogits.flat(2), [3, 3, K]), tf.zeros([3, 3]), tau).dataSync()[0]!, 0);
});

test("KoLeo is −mean log of the nearest-neighbour distance on the sphere, with a correct gradient", () => {
  // Unit vectors at 0°, 90°, 180°: every nearest neighbour is √2 away.
  close(koleoLoss(tf.tensor2d([[2, 0], [0, 3], [-1, 0]])).dataSync()[0]!, -Math.log(Math.SQRT2), 1e-5);
  gradCheck((x) => koleoLoss(x as tf.Tensor2D), [tf.randomNormal([5, 4], 0, 1, "float32", 3)], { eps: 1e-3, tol: 2e-2 });
});

test("the EMA update is θ_t ← m θ_t + (1 − m) θ_s for every parameter", () => {
  const teacher = new Linear(3, 2, new Rng(1), { bias: true });
  const student = new Linear(3, 2, new Rng(2), { bias: true });
  tf.tidy(() => teacher.bias!.assign(tf.tensor1d([0.5, -1])));
  tf.tidy(() => student.bias!.assign(tf.tensor1d([1.5, 3])));
  const before = teacher.parameters().map((v) => Array.from(v.dataSync()));
  const target = student.parameters().map((v) => Array.from(v.dataSync()));
  emaUpdate(teacher, student, 0.9);
  teacher.parameters().forEach((v, i) => {
    const got = v.dataSync();
    before[i]!.forEach((t, j) => close(got[j]!, 0.9 * t + 0.1 * target[i]![j]!, 1e-6));
  });
  close(teacher.bias!.dataSync()[1]!, 0.9 * -1 + 0.1 * 3, 1e-6);
  assert.deepEqual(Array.from(student.bias!.dataSync()), [1.5, 3]);
});

test("teacher momentum rises along a cosine to 1, the teacher temperature warms up linearly", () => {
  const recipe = { teacherMomentum: { start: 0.9, end: 1 }, teacherTemperature: { start: 0.04, end: 0.07, warmupFraction: 0.3 } };
  close(teacherMomentum(recipe, 0, 100), 0.9);
  close(teacherMomentum(recipe, 99, 100), 1);
  close(teacherMomentum(recipe, 49.5, 100), 0.95);
  close(teacherTemperature(recipe, 0, 100), 0.04);
  close(teacherTemperature(recipe, 29, 100), 0.07);
  close(teacherTemperature(recipe, 80, 100), 0.07);
  close(teacherTemperature(recipe, 10, 100), 0.04 + (0.03 * 10) / 29);
});

test("the head's logits are cosines between the ℓ₂-normalised bottleneck and unit prototypes", () => {
  const head = new DinoHead(8, { hidden: 16, bottleneck: 4, prototypes: 6 }, new Rng(3));
  const logits = head.forward(tf.randomNormal([2, 5, 8], 0, 1, "float32", 4));
  assert.deepEqual(logits.shape, [2, 5, 6]);
  for (const x of logits.dataSync()) assert.ok(Math.abs(x) <= 1 + 1e-5);
  assert.deepEqual(
    head.namedParameters().map(([n]) => n),
    ["last_layer.weight_v", "mlp.0.weight", "mlp.0.bias", "mlp.2.weight", "mlp.2.bias", "mlp.4.weight", "mlp.4.bias"],
  );
});

test("the crop sampler is a function of its random stream and gives the requested sizes", () => {
  const recipe = { ...DINOV2_RECIPES.small.crops, globalSize: 40 };
  const config = visionConfig("dinov2", "small");
  const source = normalizeImages(config, tf.randomUniform([3, 80, 80, 3], 0, 1, "float32", 5) as tf.Tensor4D);
  const a = multiCrop(source, recipe, Random.stream(0, "dinov2-views", 7), config);
  const b = multiCrop(source, recipe, Random.stream(0, "dinov2-views", 7), config);
  const c = multiCrop(source, recipe, Random.stream(0, "dinov2-views", 8), config);
  assert.equal(a.global.length, 2);
  assert.equal(a.local.length, recipe.localCrops);
  for (const v of a.global) assert.deepEqual(v.shape, [3, 40, 40, 3]);
  for (const v of a.local) assert.deepEqual(v.shape, [3, 24, 24, 3]);
  assert.deepEqual(a.global[1]!.dataSync(), b.global[1]!.dataSync());
  assert.deepEqual(a.local[3]!.dataSync(), b.local[3]!.dataSync());
  assert.notDeepEqual(a.global[0]!.dataSync(), c.global[0]!.dataSync());

  // Boxes cover the requested share of the area (flipped boxes have x1 > x2).
  const draws = drawMultiCrop(Random.stream(1, "boxes"), recipe, 50);
  const areas = (views: typeof draws.global) => views.flat().map(({ box }) => (box.y2 - box.y1) * Math.abs(box.x2 - box.x1));
  for (const area of areas(draws.global)) assert.ok(area >= recipe.globalScale[0] - 1e-9 && area <= recipe.globalScale[1] + 1e-9, `global area ${area}`);
  for (const area of areas(draws.local)) assert.ok(area >= recipe.localScale[0] - 1e-9 && area <= recipe.localScale[1] + 1e-9, `local area ${area}`);
  const flipped = draws.global.flat().filter(({ box }) => box.x1 > box.x2).length;
  assert.ok(flipped > 20 && flipped < 80, `${flipped} of 100 flipped`);
  const box = randomResizedCropBox(Random.stream(2, "box"), [0.2, 0.2], [1, 1]);
  close((box.y2 - box.y1) * (box.x2 - box.x1), 0.2, 1e-9);

  // Without jitter, an unflipped whole-image box at the source's size reproduces the source.
  const whole = multiCrop(source, { ...recipe, globalScale: [1, 1], ratio: [1, 1], flipProbability: 0, localCrops: 0, jitter: { ...recipe.jitter, probability: 0 }, globalSize: 80 }, Random.stream(3), config);
  const diff = tf.max(tf.abs(tf.sub(whole.global[0]!, source))).dataSync()[0]!;
  assert.ok(diff < 1e-4, `whole-image crop differs by ${diff}`);
});

test("block masks cover exactly the requested patches; iBOT masks round(p·n) of the images", () => {
  for (const count of [1, 3, 7, 12, 25]) {
    const mask = blockMask(Random.stream(4, count), 5, count);
    assert.equal(mask.reduce((a, b) => a + b, 0), count);
  }
  const masks = ibotMasks(Random.stream(5), 10, 5, { probability: 0.5, ratio: [0.1, 0.5] });
  const perImage = Array.from({ length: 10 }, (_, i) => masks.subarray(i * 25, (i + 1) * 25).reduce((a, b) => a + b, 0));
  assert.equal(perImage.filter((n) => n > 0).length, 5);
  for (const n of perImage.filter((k) => k > 0)) assert.ok(n >= 2 && n <= 13, `${n} patches masked`);
  assert.deepEqual(ibotMasks(Random.stream(5), 10, 5, { probability: 0.5, ratio: [0.1, 0.5] }), masks);
});

/** Top-1 retrieval of an image's second global crop from its first, by student CLS cosine. */
function viewRetrieval(tower: VisionTower, pixels: PixelCache): number {
  return tf.tidy(() => {
    const n = Math.min(64, pixels.count);
    const source = pixels.batch([...Array(n).keys()]);
    const recipe = { ...DINOV2_RECIPES.tiny.crops, localCrops: 0, globalSize: tower.config.imageSize };
    const [a, b] = multiCrop(source, recipe, Random.stream(123, "probe"), tower.config).global.map((g) => {
      const e = tower.pooled(g);
      return tf.div(e, tf.norm(e, 2, -1, true));
    });
    const hits = tf.equal(tf.argMax(tf.matMul(a!, b!, false, true), 1), tf.range(0, n, 1, "int32"));
    return tf.mean(tf.cast(hits, "float32")).dataSync()[0]!;
  });
}

for (const family of ["dinov2", "dinov2-reg"] as const satisfies readonly VisionFamily[]) {
  test(`${family} self-distillation at the tiny preset learns crop-invariant features without collapsing`, async () => {
    const dataset = new Dataset(await tinyDataset());
    const recipe = DINOV2_RECIPES.tiny;
    const config = visionConfig(family, "tiny");
    const pixels = await PixelCache.load(dataset, "train", config, { scale: recipe.sourceScale, progress: false });
    const untrained = new VisionTower(config, 0);
    const result = await pretrainDinov2({ dataset, family, preset: "tiny", seed: 0, progress: false });
    assert.equal(result.steps, recipe.steps);
    assert.equal(result.losses.length, recipe.steps);
    assert.equal(result.tower.config.registers, family === "dinov2-reg" ? 4 : 0);
    assert.deepEqual(Object.keys(result.extras).sort(), ["dino_head", "ibot_head", "teacher"]);
    for (const term of ["dino", "ibot", "koleo"]) assert.ok(Number.isFinite(result.finalTerms[term]), `${term}: ${result.finalTerms[term]}`);

    // At initialisation LayerScale (1e-5) gives every image the same CLS: retrieval is at chance (1/64).
    const before = viewRetrieval(untrained, pixels);
    const after = viewRetrieval(result.tower, pixels);
    assert.ok(before <= 0.05, `untrained retrieval ${before}`);
    assert.ok(after >= 0.08 && after >= before + 0.05, `retrieval ${before} -> ${after}`);

    // Not collapsed: the teacher's targets depend on the image (mutual information between image and
    // prototype over the batch) and are sharper than uniform.
    const last = (xs: number[]) => xs.slice(-10).reduce((a, b) => a + b, 0) / 10;
    const h = result.history;
    const entropy = last(h.teacher_entropy);
    const information = last(h.teacher_marginal_entropy) - entropy;
    assert.ok(information > 0.05, `teacher mutual information ${information}`);
    assert.ok(entropy < Math.log(recipe.head.prototypes) - 0.1, `teacher entropy ${entropy} vs log K ${Math.log(recipe.head.prototypes)}`);
    // KoLeo starts at −log ε-ish (identical CLS) and spreads the embeddings.
    assert.ok(last(h.koleo) < h.koleo[0]! / 4, `KoLeo ${h.koleo[0]} -> ${last(h.koleo)}`);
    for (const m of [untrained, result.tower, ...Object.values(result.extras)]) m.dispose();
  });
}

test("a run that crashes resumes from its checkpoint and ends where an uninterrupted run ends", async () => {
  const dataset = new Dataset(await tinyDataset());
  const ctx = { dataset, family: "dinov2" as const, preset: "tiny" as const, seed: 2, progress: false, steps: 20 };
  const whole = await pretrainDinov2(ctx);

  const dir = tempDir();
  const batch = PixelCache.prototype.batch;
  let calls = 0;
  PixelCache.prototype.batch = function (this: PixelCache, indices: readonly number[]) {
    if (++calls === 14) throw new Error("killed");
    return batch.call(this, indices);
  };
  try {
    await assert.rejects(pretrainDinov2({ ...ctx, checkpointDir: dir }), /killed/);
  } finally {
    PixelCache.prototype.batch = batch;
  }
  const resumed = await pretrainDinov2({ ...ctx, checkpointDir: dir });
  assert.equal(resumed.losses.length, 20);
  assert.equal(resumed.history.dino.length, 8, "steps 12…19 ran after the resume");
  for (let i = 0; i < 20; i++) close(resumed.losses[i]!, whole.losses[i]!, 1e-4);
  const a = whole.tower.namedParameters();
  const b = new Map(resumed.tower.namedParameters());
  for (const [name, v] of a) {
    const diff = tf.max(tf.abs(tf.sub(v, b.get(name)!))).dataSync()[0]!;
    assert.ok(diff < 1e-4, `${name} differs by ${diff}`);
  }
});

test("the objective is registered as dinov2 and refuses other towers", async () => {
  assert.equal(dinov2Objective.name, "dinov2");
  const dataset = new Dataset(await tinyDataset());
  await assert.rejects(dinov2Objective.pretrain({ dataset, family: "clip", preset: "tiny", seed: 0, progress: false, steps: 1 }), /dinov2 or dinov2-reg/);
});
