/**
 * The checks every LLM family passes, run by its own test file (test/families/<family>.test.ts, which
 * adds the family's quirks). test/registry.test.ts fails when a registered family has no such file.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/backend/index.js";
import { LLM_SIZES, llmParameterCount, type LlmFamily } from "../../src/models/llm/config.js";
import { CausalLM, KVCache, causalLmLoss } from "../../src/models/llm/decoder.js";
import { llmConfig } from "../../src/models/llm/registry.js";
import { trainFamilyTokenizer } from "../../src/models/tokenizer/family.js";
import { chatTemplate, familyTemplate } from "../../src/models/templates/registry.js";
import { PRESETS } from "../../src/presets.js";
import { documentStartId } from "../../src/train/llm_pretrain.js";

export function llmFamilyChecks(family: LlmFamily): void {
  before(async () => {
    await initBackend();
  });

  test(`${family}: builds at every preset with the parameter count its config implies`, () => {
    for (const preset of PRESETS) {
      const config = llmConfig(family, preset);
      const model = new CausalLM(config, 1);
      assert.equal(model.parameterCount(), llmParameterCount(config), `${family} ${preset}`);
      model.dispose();
    }
  });

  test(`${family}: its rungs grow along the size ladder (8B, shallower, excepted)`, () => {
    const counts = LLM_SIZES.map((size) => llmParameterCount(llmConfig(family, "small", size)));
    for (let i = 1; i < counts.length; i++) {
      if (LLM_SIZES[i] !== "8b") assert.ok(counts[i]! > counts[i - 1]!, `${family}: ${LLM_SIZES[i]} must be larger than ${LLM_SIZES[i - 1]}`);
    }
  });

  test(`${family}: a tiny LLM overfits a fixed batch on this backend`, () => {
    const config = llmConfig(family, "tiny");
    const model = new CausalLM(config, 1);
    const ids = tf.tensor2d(Array.from({ length: 2 * 16 }, (_, i) => (i * 7 + 3) % config.vocabSize), [2, 16], "int32");
    const optimizer = tf.train.adam(1e-2);
    let first = NaN;
    let last = NaN;
    // 100 steps: at 60, LLaMA-3 ended at 1.59 on an AMD EPYC (OpenBLAS picks its kernels by CPU), 0.39 at 100.
    for (let step = 0; step < 100; step++) {
      const loss = optimizer.minimize(() => causalLmLoss(model.forward(ids), ids), true, model.trainableParameters())!;
      last = loss.dataSync()[0]!;
      if (step === 0) first = last;
      loss.dispose();
    }
    assert.ok(Math.abs(first - Math.log(config.vocabSize)) < 0.5, `${family}: initial loss ${first} should be near ln V = ${Math.log(config.vocabSize)}`);
    assert.ok(last < 1.5, `${family}: loss ${first} -> ${last} did not fall below 1.5`);
    optimizer.dispose();
    model.dispose();
  });

  test(`${family}: generation with the KV cache equals full-forward logits at every step`, async () => {
    const config = llmConfig(family, "tiny");
    const model = new CausalLM(config, 3);
    for (const p of model.parameters()) p.assign(tf.randomNormal(p.shape, 0, 0.2, "float32", 9));
    const ids = Array.from({ length: 10 }, (_, i) => (i * 5 + 1) % config.vocabSize);
    const full = model.forward(tf.tensor2d([ids], [1, 10], "int32")).arraySync()[0]!;
    const cache = new KVCache(config.numLayers);
    const prefill = model.forward(tf.tensor2d([ids.slice(0, 6)], [1, 6], "int32"), { cache }).arraySync()[0]!;
    const steps = ids.slice(6).map((id) => model.forward(tf.tensor2d([[id]], [1, 1], "int32"), { cache }).arraySync()[0]![0]!);
    assert.equal(cache.length, 10);
    [...prefill, ...steps].forEach((row, t) => row.forEach((v, j) => assert.ok(Math.abs(v - full[t]![j]!) < 1e-4, `${family} position ${t}`)));
    cache.dispose();
    const withCache = await model.generate([1, 2, 3], { maxNewTokens: 8 });
    const without = await model.generate([1, 2, 3], { maxNewTokens: 8, useCache: false });
    assert.deepEqual(withCache, without, family);
    model.dispose();
  });

  test(`${family}: its tokenizer has its vocabulary size, its template's special tokens and its document marks`, () => {
    const corpus = Array.from({ length: 400 }, (_, i) => `scene ${i}: a ${["red", "green", "blue"][i % 3]} ${["circle", "square", "star", "arrow"][i % 4]} at ${i % 13}, ${i * 7} units`);
    const config = llmConfig(family, "tiny");
    const tok = trainFamilyTokenizer(config, corpus);
    assert.ok(tok.vocabSize <= config.vocabSize, family);
    for (const s of chatTemplate(config.template).specialTokens) assert.doesNotThrow(() => tok.id(s), `${family}: ${s}`);
    const marks = familyTemplate(config.template).documentMarks;
    assert.equal(documentStartId(tok, config.template), tok.id(marks.bos ?? marks.eos));
    assert.doesNotThrow(() => tok.id(marks.eos), `${family}: ${marks.eos}`);
  });
}
