import { test } from "node:test";
import assert from "node:assert/strict";
import { patchGrid } from "../../src/models/vision/config.js";
import { visionConfig } from "../../src/models/vision/registry.js";
import { towerChecks } from "./checks.js";

towerChecks("clip");

test("clip quirks: the real 24² grid scaled per preset (12² at base, 64 px at small), CLS dropped from the features", () => {
  assert.equal(patchGrid(visionConfig("clip", "base")), 12);
  assert.equal(visionConfig("clip", "small").imageSize, 64);
  assert.equal(visionConfig("clip", "tiny").dropLeadingTokens, 1);
});
