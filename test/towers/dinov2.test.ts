import { test } from "node:test";
import assert from "node:assert/strict";
import { patchGrid } from "../../src/models/vision/config.js";
import { visionConfig } from "../../src/models/vision/registry.js";
import { towerChecks } from "./checks.js";

towerChecks("dinov2");

test("dinov2 quirks: the real 16² grid scaled per preset (8² at base, 40 px at small), CLS dropped from the features", () => {
  assert.equal(patchGrid(visionConfig("dinov2", "base")), 8);
  assert.equal(visionConfig("dinov2", "small").imageSize, 40);
  assert.equal(visionConfig("dinov2", "tiny").dropLeadingTokens, 1);
});
