import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { CausalLM, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { llmConfig } from "../src/models/llm/registry.js";
import { IMAGE_TOKEN_INDEX, LlavaModel } from "../src/models/llava/llava.js";
import { Projector, projectorDepth } from "../src/models/llava/projector.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { VisionTower } from "../src/models/vision/vit.js";
import { imageReliance } from "../src/probes/image_reliance.js";

before(async () => {
  await initBackend();
});

test("projectors: linear, mlpNx_gelu and identity, named as LLaVA's nn.Sequential", () => {
  assert.deepEqual(["linear", "identity", "mlp2x_gelu", "mlp3x_gelu"].map(projectorDepth), [1, 0, 2, 3]);
  assert.throws(() => projectorDepth("conv"), /unknown projector "conv"/);
  assert.deepEqual(new Projector("mlp2x_gelu", 6, 8).namedParameters().map(([n, v]) => `${n}:${v.shape}`), ["0.weight:8,6", "0.bias:8", "2.weight:8,8", "2.bias:8"]);
  assert.deepEqual(new Projector("linear", 6, 8).namedParameters().map(([n]) => n), ["weight", "bias"]);
  const x = tf.randomNormal([2, 3, 8]) as tf.Tensor3D;
  assert.deepEqual(new Projector("identity", 8, 8).forward(x).arraySync(), x.arraySync());
  assert.throws(() => new Projector("identity", 6, 8), /identity projector needs equal widths/);
  assert.deepEqual(new Projector("mlp3x_gelu", 6, 8).forward(tf.ones([2, 5, 6]) as tf.Tensor3D).shape, [2, 5, 8]);
});

test("projector initialisation: N(0, 0.02²) with zero biases by default, LLaVA's nn.Linear default (U(±1/√fan_in), biases too) as an option", () => {
  const values = (p: Projector): Record<string, number[]> => Object.fromEntries(p.namedParameters().map(([n, v]) => [n, [...(v.dataSync() as Float32Array)]]));
  const normal = values(new Projector("mlp2x_gelu", 64, 256, 3));
  assert.ok(normal["0.bias"]!.every((b) => b === 0) && Math.max(...normal["0.weight"]!.map(Math.abs)) <= 0.04 + 1e-6); // truncated at 2 SD
  const pytorch = values(new Projector("mlp2x_gelu", 64, 256, 3, "pytorch"));
  for (const [name, fanIn] of [["0.weight", 64], ["0.bias", 64], ["2.weight", 256], ["2.bias", 256]] as const) {
    const bound = 1 / Math.sqrt(fanIn);
    const xs = pytorch[name]!;
    assert.ok(xs.every((x) => Math.abs(x) <= bound), `${name} within ±${bound}`);
    assert.ok(Math.max(...xs.map(Math.abs)) > 0.9 * bound, `${name} spans its bound`);
    const sd = Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / xs.length);
    if (xs.length > 1000) assert.ok(Math.abs(sd - bound / Math.sqrt(3)) < 0.05 * bound, `${name}: SD ${sd} of a uniform on ±${bound}`);
  }
  assert.deepEqual(values(new Projector("mlp2x_gelu", 64, 256, 3, "pytorch")), pytorch, "seeded");
});

function tinyLlava(seed = 1) {
  const tower = new VisionTower(visionConfig("clip", "tiny"), seed);
  const llm = new CausalLM(llmConfig("llama3.1", "tiny"), seed + 1);
  return { tower, model: new LlavaModel(llm, "mlp2x_gelu", tower.config.hiddenSize, seed + 2) };
}

test("the image features replace the placeholder; labels are −100 there and on padding", () => {
  const { tower, model } = tinyLlava();
  const feats = tower.features(tf.randomUniform([2, 16, 16, 3]) as tf.Tensor4D);
  const n = feats.shape[1];
  const samples = [
    { ids: [7, IMAGE_TOKEN_INDEX, 8, 9], labels: [IGNORE_INDEX, IGNORE_INDEX, 8, 9] },
    { ids: [IMAGE_TOKEN_INDEX, 4], labels: [IGNORE_INDEX, 4] },
  ];
  const batch = model.buildBatch(samples, feats);
  assert.deepEqual(batch.embeddings.shape, [2, n + 3, model.llm.config.hiddenSize]);
  const labels = batch.labels.arraySync();
  assert.deepEqual(labels[0], [IGNORE_INDEX, ...Array(n).fill(IGNORE_INDEX), 8, 9]);
  assert.deepEqual(labels[1], [...Array(n).fill(IGNORE_INDEX), 4, IGNORE_INDEX, IGNORE_INDEX]);
  assert.deepEqual(batch.keyMask.arraySync()[1], [...Array(n + 1).fill(1), 0, 0]);
  const emb = batch.embeddings.arraySync();
  const projected = model.projector.forward(feats).arraySync();
  assert.deepEqual(emb[0]![1], projected[0]![0]);
  assert.deepEqual(emb[1]![n - 1], projected[1]![n - 1]);
  const text = model.llm.embed(tf.tensor2d([[7, 8]], [1, 2], "int32")).arraySync()[0]!;
  assert.deepEqual(emb[0]![0], text[0]);
  assert.deepEqual(emb[0]![n + 1], text[1]);
  assert.throws(() => model.buildBatch([{ ids: [IMAGE_TOKEN_INDEX, IMAGE_TOKEN_INDEX], labels: [0, 0] }], tf.slice(feats, [0, 0, 0], [1, -1, -1]) as tf.Tensor3D), /more than one <image>/);
  assert.throws(() => model.buildBatch(samples, undefined), /no image features/);
});

test("freezing by component: stage 1 trains the projector only, stage 2 the projector and the LLM", () => {
  const { model } = tinyLlava();
  model.setTrainableComponents({ projector: true, llm: false });
  assert.equal(model.trainableParameters().length, 4);
  model.setTrainableComponents({ llm: true });
  assert.equal(model.trainableParameters().length, model.parameters().length);
  assert.ok(model.namedParameters().some(([n]) => n === "model.mm_projector.0.weight"));
  assert.ok(model.namedParameters().some(([n]) => n === "model.layers.0.self_attn.q_proj.weight"));
});

test("a tiny LLaVA overfits four image-caption pairs and answers each image with its caption", async () => {
  const { tower, model } = tinyLlava(3);
  const feats = tower.features(tf.randomUniform([4, 16, 16, 3], 0, 1, "float32", 5) as tf.Tensor4D);
  const captions = [0, 1, 2, 3].map((k) => [10 + k, 20 + k, 30 + 2 * k, 5]);
  const samples = captions.map((cap) => ({ ids: [IMAGE_TOKEN_INDEX, ...cap], labels: [IGNORE_INDEX, ...cap] }));
  const optimizer = tf.train.adam(5e-3);
  let first = NaN;
  let last = NaN;
  for (let step = 0; step < 200; step++) {
    const loss = optimizer.minimize(() => model.loss(samples, feats), true, model.trainableParameters())!;
    last = loss.dataSync()[0]!;
    if (step === 0) first = last;
    loss.dispose();
  }
  assert.ok(last < 0.05, `loss ${first} -> ${last}`);
  for (const [k, cap] of captions.entries()) {
    const image = tf.slice(feats, [k, 0, 0], [1, -1, -1]) as tf.Tensor3D;
    assert.deepEqual(await model.generate([IMAGE_TOKEN_INDEX], image, { maxNewTokens: 6, stopTokens: [5] }), cap);
    assert.deepEqual(await model.generate([IMAGE_TOKEN_INDEX], image, { maxNewTokens: 6, stopTokens: [5], useCache: false }), cap);
  }
});

test("image reliance: no gap when every scene has the same features, a gap when they differ; at least two images needed", async () => {
  const { tower, model } = tinyLlava();
  const dim = tower.config.hiddenSize;
  const samples = [0, 1, 2, 3, 4, 5].map((image) => ({ ids: [IMAGE_TOKEN_INDEX, 3 + image, 9, 4], labels: [IGNORE_INDEX, IGNORE_INDEX, 9, 4], image }));
  const store = (distinct: boolean) => ({
    batch: (indices: readonly number[]) => tf.tidy(() => tf.stack(indices.map((i) => tf.fill([4, dim], distinct ? (i - 2.5) * 3 : 1))) as tf.Tensor3D),
  });
  const same = await imageReliance(model, samples, store(false), 4);
  assert.equal(same.gap, 0);
  assert.equal(same.samples, 6);
  assert.equal(same.ownImage, same.otherImage);
  const distinct = await imageReliance(model, samples, store(true), 4);
  assert.notEqual(distinct.gap, 0);
  assert.ok(Math.abs(distinct.gap - (distinct.otherImage - distinct.ownImage)) < 1e-9);
  await assert.rejects(imageReliance(model, [{ ...samples[0]!, image: -1 }, samples[1]!], store(true)), /needs at least 2 samples with an image, got 1/);
});
