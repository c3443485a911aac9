import { test } from "node:test";
import assert from "node:assert/strict";
import { CausalLM } from "../../src/models/llm/decoder.js";
import { llmConfig } from "../../src/models/llm/registry.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("gemma2");

test("gemma2 quirks: sandwich norms, soft-caps, sliding window, Gemma norm, GeGLU-tanh, scaled embeddings, wide heads", () => {
  const m = new CausalLM(llmConfig("gemma2", "tiny"), 1);
  const names = m.namedParameters().map(([name]) => name);
  m.dispose();
  assert.ok(names.includes("model.layers.1.pre_feedforward_layernorm.weight") && names.includes("model.layers.1.post_feedforward_layernorm.weight"));
  const g = llmConfig("gemma2", "small");
  assert.deepEqual([g.attnSoftcap, g.finalSoftcap, g.slidingWindow, g.norm, g.mlpActivation, g.scaleEmbeddings], [50, 30, 256, "rmsnorm_gemma", "gelu_tanh", true]);
  assert.ok(g.headDim > g.hiddenSize / g.numHeads, "Gemma 2's heads are wider than hidden / heads");
  assert.equal(g.template, "gemma_2");
});
