import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { LLM_SIZES, LADDER } from "../src/models/llm/config.js";
import { CausalLM, causalLmLoss, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { llmConfig } from "../src/models/llm/registry.js";

before(async () => {
  await initBackend();
});

// What every family must pass (builds, overfits, KV cache, tokenizer) and its quirks: test/families/<family>.test.ts.

test("the size ladder mirrors 2B : 3.8B : 7B : 8B : 9B in non-embedding parameters", () => {
  const units = LLM_SIZES.map((s) => LADDER[s].layers * LADDER[s].heads ** 2);
  const ratios = units.map((u) => u / units[0]!);
  const real = [1, 3.8 / 2, 7 / 2, 8 / 2, 9 / 2];
  ratios.forEach((r, i) => assert.ok(Math.abs(r - real[i]!) / real[i]! < 0.12, `${LLM_SIZES[i]}: ${r} vs ${real[i]}`));
  // Each family's rungs growing along the ladder is checked in its own test (test/families/).
});

test("the loss is mean cross-entropy over the supervised next tokens", () => {
  const logits = tf.tensor3d([[[1, 2, 3], [1, 0, 0], [0, 0, 5]]]);
  const lse = (a: number[]) => Math.log(a.reduce((s, x) => s + Math.exp(x), 0));
  const full = causalLmLoss(logits, tf.tensor2d([[0, 2, 1]], [1, 3], "int32")).dataSync()[0]!;
  assert.ok(Math.abs(full - -((3 - lse([1, 2, 3])) + (0 - lse([1, 0, 0]))) / 2) < 1e-5);
  const masked = causalLmLoss(logits, tf.tensor2d([[0, IGNORE_INDEX, 1]], [1, 3], "int32")).dataSync()[0]!;
  assert.ok(Math.abs(masked - -(0 - lse([1, 0, 0]))) < 1e-5);
});

test("generation stops at a stop token and rejects an empty prompt or an overlong sequence", async () => {
  const config = llmConfig("llama3", "tiny");
  const model = new CausalLM(config, 4);
  const free = await model.generate([5], { maxNewTokens: 6 });
  const stop = free[2]!;
  const stopped = await model.generate([5], { maxNewTokens: 6, stopTokens: [stop] });
  assert.deepEqual(stopped, free.slice(0, free.indexOf(stop) + 1));
  await assert.rejects(model.generate([], { maxNewTokens: 2 }), /prompt is empty/);
  assert.throws(() => model.forward(tf.zeros([1, config.maxPositions + 1], "int32") as tf.Tensor2D), /exceeds maxPositions/);
  model.dispose();
});
