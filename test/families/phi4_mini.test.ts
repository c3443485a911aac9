import { test } from "node:test";
import assert from "node:assert/strict";
import { CausalLM } from "../../src/models/llm/decoder.js";
import { llmConfig } from "../../src/models/llm/registry.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("phi4-mini");

test("phi4-mini quirks: fused qkv and gate_up, tied embeddings, partial rotary 0.75", () => {
  const m = new CausalLM(llmConfig("phi4-mini", "tiny"), 1);
  const names = m.namedParameters().map(([name]) => name);
  m.dispose();
  assert.ok(names.includes("model.layers.0.self_attn.qkv_proj.weight") && names.includes("model.layers.0.mlp.gate_up_proj.weight"));
  assert.ok(!names.includes("lm_head.weight"), "phi-4-mini ties its embeddings");
  const p = llmConfig("phi4-mini", "small");
  assert.equal(p.rotaryDim, 0.75 * p.headDim);
  assert.equal(p.template, "phi_4");
});
