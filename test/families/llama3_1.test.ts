import { test } from "node:test";
import assert from "node:assert/strict";
import { CausalLM } from "../../src/models/llm/decoder.js";
import { llmConfig } from "../../src/models/llm/registry.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("llama3.1");

test("llama3.1 quirks: LLaMA parameter names, llama3 rope scaling (factor 8)", () => {
  const m = new CausalLM(llmConfig("llama3.1", "tiny"), 1);
  const names = m.namedParameters().map(([name]) => name);
  m.dispose();
  assert.ok(names.includes("model.layers.0.self_attn.q_proj.weight"));
  assert.ok(names.includes("lm_head.weight"));
  assert.equal(llmConfig("llama3.1", "small").ropeScaling?.factor, 8);
  assert.equal(llmConfig("llama3.1", "small").template, "llama_3_1");
});
