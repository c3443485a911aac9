import { test } from "node:test";
import assert from "node:assert/strict";
import { patchGrid } from "../../src/models/vision/config.js";
import { visionConfig } from "../../src/models/vision/registry.js";
import { towerChecks } from "./checks.js";

towerChecks("siglip");

test("siglip quirks: the real 27² grid scaled per preset (14² at base, 72 px at small), 1152 / 1024 of CLIP's width, every token kept", () => {
  assert.equal(patchGrid(visionConfig("siglip", "base")), 14);
  assert.equal(visionConfig("siglip", "small").imageSize, 72);
  assert.equal(visionConfig("siglip", "small").hiddenSize / visionConfig("clip", "small").hiddenSize, 1152 / 1024);
  assert.equal(visionConfig("siglip", "tiny").dropLeadingTokens, 0);
});
