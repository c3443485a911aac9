import { test } from "node:test";
import assert from "node:assert/strict";
import { visionArchitecture, visionConfig } from "../../src/models/vision/registry.js";
import { towerChecks } from "./checks.js";

towerChecks("siglip2");

test("siglip2 quirks: the SigLIP architecture, every token kept; what differs is its objective", () => {
  const { family, ...rest } = visionConfig("siglip2", "small");
  const { family: _f, ...siglip } = visionConfig("siglip", "small");
  assert.deepEqual(rest, siglip);
  assert.equal(visionConfig("siglip2", "tiny").dropLeadingTokens, 0);
  assert.deepEqual([visionArchitecture("siglip2").objective, visionArchitecture("siglip").objective], ["siglip2", "siglip"]);
});
