import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { LLM_FAMILIES, type LlmConfig } from "../src/models/llm/config.js";
import { CausalLM, IGNORE_INDEX, type GenerateOptions } from "../src/models/llm/decoder.js";
import { llmConfig } from "../src/models/llm/registry.js";
import { IMAGE_TOKEN_INDEX, LlavaModel, type LlavaBatch, type LlavaSample } from "../src/models/llava/llava.js";

before(async () => {
  await initBackend();
});

/**
 * A tiny model with weights of std 0.2 (instead of the 0.02 init): its logits spread widely, so the
 * greedy argmax has a clear margin and float noise from padding cannot flip it.
 */
function randomModel(config: LlmConfig, seed: number): CausalLM {
  const model = new CausalLM(config, seed);
  model.parameters().forEach((p, i) => p.assign(tf.randomNormal(p.shape, 0, 0.2, "float32", 1000 * seed + i)));
  return model;
}

/** Prompts of different lengths; the longest plus 10 new tokens passes Gemma 2's tiny sliding window (32). */
function prompts(config: LlmConfig, seed: number): number[][] {
  return [3, 1, 11, 27, 6].map((length, r) => Array.from({ length }, (_, t) => (seed * 131 + r * 37 + t * 17 + 1) % config.vocabSize));
}

/** Left-padded embeddings (zeros on the padding) and key mask for the prompts. */
function leftPadded(model: CausalLM, batch: number[][]): { prefix: tf.Tensor3D; keyMask: tf.Tensor2D } {
  const t = Math.max(...batch.map((p) => p.length));
  const d = model.config.hiddenSize;
  return tf.tidy(() => {
    const rows = batch.map((p) => {
      const emb = tf.reshape(model.embed(tf.tensor2d([p], [1, p.length], "int32")), [p.length, d]);
      return p.length < t ? tf.concat([tf.zeros([t - p.length, d]), emb], 0) : emb;
    });
    const mask = batch.map((p) => Array.from({ length: t }, (_, j) => (j < t - p.length ? 0 : 1)));
    return { prefix: tf.stack(rows) as tf.Tensor3D, keyMask: tf.tensor2d(mask, [batch.length, t], "float32") };
  });
}

const SEEDS = [1, 2, 3];

/** `f` over `items` one after another (generation is asynchronous; this keeps the calls in turn). */
async function inTurn<T, U>(items: readonly T[], f: (item: T, index: number) => Promise<U>): Promise<U[]> {
  const out: U[] = [];
  for (const [i, item] of items.entries()) out.push(await f(item, i));
  return out;
}

test("last-position logits of each left-padded row equal the unpadded logits (every family)", () => {
  for (const family of LLM_FAMILIES) {
    const config = llmConfig(family, "tiny");
    for (const seed of SEEDS) {
      const model = randomModel(config, seed);
      const batch = prompts(config, seed);
      const { prefix, keyMask } = leftPadded(model, batch);
      const logits = model.forwardEmbeddings(prefix, { keyMask });
      const t = prefix.shape[1];
      const padded = logits.arraySync();
      batch.forEach((p, r) => {
        const alone = tf.tidy(() => model.forward(tf.tensor2d([p], [1, p.length], "int32")).arraySync()[0]![p.length - 1]!);
        const got = padded[r]![t - 1]!;
        const scale = Math.max(...alone.map(Math.abs));
        const diff = Math.max(...alone.map((v, j) => Math.abs(v - got[j]!)));
        assert.ok(diff <= 1e-4 * scale, `${family} seed ${seed} row ${r}: max |Δ| ${diff} vs max |logit| ${scale}`);
      });
      tf.dispose([prefix, keyMask, logits]);
      model.dispose();
    }
  }
});

test("batched greedy decoding equals one-by-one generate, with and without the cache (every family)", async () => {
  for (const family of LLM_FAMILIES) {
    const config = llmConfig(family, "tiny");
    for (const seed of SEEDS) {
      const model = randomModel(config, seed);
      const batch = prompts(config, seed);
      const options = { maxNewTokens: 10 };
      const expected = await inTurn(batch, (p) => model.generate(p, options));
      assert.ok(
        expected.some((row) => new Set(row).size > 1),
        `${family} seed ${seed}: the reference generations are degenerate`,
      );
      const { prefix, keyMask } = leftPadded(model, batch);
      const before = tf.memory().numTensors;
      const cached = await model.generateBatchFromEmbeddings(prefix, keyMask, options);
      assert.equal(tf.memory().numTensors, before, `${family}: tensors leaked with the cache`);
      const recomputed = await model.generateBatchFromEmbeddings(prefix, keyMask, { ...options, useCache: false });
      assert.equal(tf.memory().numTensors, before, `${family}: tensors leaked without the cache`);
      assert.deepEqual(cached, expected, `${family} seed ${seed} (cache)`);
      assert.deepEqual(recomputed, expected, `${family} seed ${seed} (no cache)`);
      assert.deepEqual(await model.generateBatch(batch, options), expected, `${family} seed ${seed} (generateBatch)`);
      assert.equal(tf.memory().numTensors, before, `${family}: tensors leaked by generateBatch`);
      tf.dispose([prefix, keyMask]);
      model.dispose();
    }
  }
});

test("a stop token ends its row early while the other rows go on", async () => {
  for (const family of ["llama3", "gemma2"] as const) {
    const config = llmConfig(family, "tiny");
    const model = randomModel(config, 5);
    const batch = prompts(config, 5);
    const maxNewTokens = 8;
    const free = await inTurn(batch, (p) => model.generate(p, { maxNewTokens }));
    const cut = (row: number[], stop: number) => (row.includes(stop) ? row.slice(0, row.indexOf(stop) + 1) : row);
    // A token some row emits early and some other row never emits before the end.
    const stop = free
      .flatMap((row) => row.slice(0, maxNewTokens - 3))
      .find((s) => free.some((row) => cut(row, s).length <= maxNewTokens - 3) && free.some((row) => cut(row, s).length === maxNewTokens));
    assert.ok(stop !== undefined, `${family}: no usable stop token in ${JSON.stringify(free)}`);
    const expected = free.map((row) => cut(row, stop));
    for (const useCache of [true, false]) {
      const options: GenerateOptions = { maxNewTokens, stopTokens: [stop], useCache };
      assert.deepEqual(await inTurn(batch, (p) => model.generate(p, options)), expected);
      const before = tf.memory().numTensors;
      assert.deepEqual(await model.generateBatch(batch, options), expected, `${family} cache ${useCache}`);
      assert.equal(tf.memory().numTensors, before);
    }
    // Every row stopping at once ends the loop; maxNewTokens 0 decodes nothing.
    const firsts = free.map((row) => row[0]!);
    assert.deepEqual(await model.generateBatch(batch, { maxNewTokens, stopTokens: firsts }), firsts.map((id) => [id]));
    assert.deepEqual(await model.generateBatch(batch, { maxNewTokens: 0 }), batch.map(() => []));
    model.dispose();
  }
});

test("the key mask must be left padding of the prefix's shape", async () => {
  const model = randomModel(llmConfig("vicuna", "tiny"), 1);
  const prefix = tf.zeros([2, 3, model.config.hiddenSize]) as tf.Tensor3D;
  const options = { maxNewTokens: 2 };
  await assert.rejects(model.generateBatchFromEmbeddings(prefix, tf.ones([2, 4]) as tf.Tensor2D, options), /keyMask of shape/);
  await assert.rejects(model.generateBatchFromEmbeddings(prefix, tf.tensor2d([[1, 1, 0], [1, 1, 1]]), options), /row 0 .* not left padding/);
  await assert.rejects(model.generateBatchFromEmbeddings(prefix, tf.tensor2d([[0, 0, 0], [1, 1, 1]]), options), /row 0 .* not left padding/);
  await assert.rejects(model.generateBatch([[1], []], options), /prompt 1 is empty/);
  model.dispose();
});

test("LlavaModel.generateBatch equals per-sample generate, images spliced at each placeholder", async () => {
  const visionDim = 24;
  const n = 6;
  for (const seed of [1, 2]) {
    const llm = randomModel(llmConfig("llama3.1", "tiny"), seed);
    const model = new LlavaModel(llm, "mlp2x_gelu", visionDim, seed + 10);
    const features = tf.randomNormal([4, n, visionDim], 0, 1, "float32", seed) as tf.Tensor3D;
    const batch = [
      [7, IMAGE_TOKEN_INDEX, 8, 9],
      [IMAGE_TOKEN_INDEX, 4],
      [3, 5, 6, 2, 11, 12, 13, 14, 15, IMAGE_TOKEN_INDEX],
      [21, 22, 23], // text only: its image is ignored, as in buildBatch
    ];
    for (const useCache of [true, false]) {
      const options = { maxNewTokens: 7, useCache };
      const expected = await inTurn(batch, async (ids, i) => {
        const image = tf.slice(features, [i, 0, 0], [1, -1, -1]) as tf.Tensor3D;
        try {
          return await model.generate(ids, image, options);
        } finally {
          image.dispose();
        }
      });
      const before = tf.memory().numTensors;
      assert.deepEqual(await model.generateBatch(batch, features, options), expected, `seed ${seed} cache ${useCache}`);
      assert.equal(tf.memory().numTensors, before, "tensors leaked by LlavaModel.generateBatch");
      const stop = expected[0]![1]!;
      const stopped = expected.map((row) => (row.includes(stop) ? row.slice(0, row.indexOf(stop) + 1) : row));
      assert.deepEqual(await model.generateBatch(batch, features, { ...options, stopTokens: [stop] }), stopped);
    }
    // Text-only prompts need no features.
    const text = [[1, 2, 3], [4]];
    assert.deepEqual(
      await model.generateBatch(text, undefined, { maxNewTokens: 5 }),
      await inTurn(text, (ids) => model.generate(ids, undefined, { maxNewTokens: 5 })),
    );
    await assert.rejects(model.generateBatch(batch, undefined, { maxNewTokens: 2 }), /no image features/);
    await assert.rejects(model.generateBatch(batch.slice(0, 2), features, { maxNewTokens: 2 }), /generateBatch: 2 samples but 4 images/);
    features.dispose();
    model.dispose();
  }
});

test("left and right padding share the splicing: buildBatch rows reappear shifted in the left-padded batch", () => {
  const llm = randomModel(llmConfig("vicuna", "tiny"), 4);
  const model = new LlavaModel(llm, "linear", 16, 4);
  const features = tf.randomNormal([2, 3, 16], 0, 1, "float32", 4) as tf.Tensor3D;
  const samples = [
    { ids: [5, IMAGE_TOKEN_INDEX, 6], labels: [5, IGNORE_INDEX, 6] },
    { ids: [IMAGE_TOKEN_INDEX, 7], labels: [IGNORE_INDEX, 7] },
  ];
  const right = model.buildBatch(samples, features);
  // The left-padded builder generateBatch uses (private: reached through a cast).
  const builder = model as unknown as { paddedBatch(caller: string, s: LlavaSample[], f: tf.Tensor3D, side: "left" | "right"): LlavaBatch };
  const left = builder.paddedBatch("test", samples, features, "left");
  const [r, l] = [right.embeddings.arraySync(), left.embeddings.arraySync()];
  assert.deepEqual(l[0], r[0]);
  assert.deepEqual(left.keyMask.arraySync(), [[1, 1, 1, 1, 1], [0, 1, 1, 1, 1]]);
  assert.deepEqual(right.keyMask.arraySync(), [[1, 1, 1, 1, 1], [1, 1, 1, 1, 0]]);
  assert.deepEqual(l[1]!.slice(1), r[1]!.slice(0, 4));
  assert.deepEqual(l[1]![0], Array(llm.config.hiddenSize).fill(0));
  assert.deepEqual(r[1]![4], Array(llm.config.hiddenSize).fill(0));
  assert.deepEqual(left.labels.arraySync()[1], [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 7]);
  assert.deepEqual(right.labels.arraySync()[1], [IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 7, IGNORE_INDEX]);
  tf.dispose([right.embeddings, right.labels, right.keyMask, left.embeddings, left.labels, left.keyMask, features]);
  model.dispose();
});
