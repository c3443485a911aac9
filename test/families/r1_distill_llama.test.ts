import { test } from "node:test";
import assert from "node:assert/strict";
import { LLM_ARCHITECTURES, llmConfig } from "../../src/models/llm/registry.js";
import { llmRecipe } from "../../src/train/llm_recipes.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("r1-distill-llama");

test("r1-distill-llama quirks: the LLaMA-3.1 architecture, its own template, a reasoning phase", () => {
  assert.equal(LLM_ARCHITECTURES["r1-distill-llama"].reasoningTraces, true);
  const { family, template, ...rest } = llmConfig("r1-distill-llama", "small");
  const { family: _f, template: _t, ...llama31 } = llmConfig("llama3.1", "small");
  assert.deepEqual(rest, llama31);
  assert.equal(template, "llama_3_1_reasoning");
  assert.equal(family, "r1-distill-llama");
  assert.ok(llmRecipe("r1-distill-llama", "8b", "small").reasoning);
});
