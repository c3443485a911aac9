import { test } from "node:test";
import assert from "node:assert/strict";
import { llmConfig } from "../../src/models/llm/registry.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("llama3");

test("llama3 quirks: grouped-query attention 4:1, no rope scaling", () => {
  const l = llmConfig("llama3", "small");
  assert.equal(l.numHeads / l.numKvHeads, 4);
  assert.equal(l.ropeScaling, undefined);
  assert.equal(l.template, "llama_3");
});
