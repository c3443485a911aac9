import { test } from "node:test";
import assert from "node:assert/strict";
import { llmConfig } from "../../src/models/llm/registry.js";
import { llmFamilyChecks } from "./checks.js";

llmFamilyChecks("vicuna");

test("vicuna quirks: full multi-head attention, the vicuna_v1 template", () => {
  const c = llmConfig("vicuna", "small");
  assert.equal(c.numKvHeads, c.numHeads);
  assert.equal(c.template, "vicuna_v1");
});
