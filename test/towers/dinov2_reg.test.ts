import { test } from "node:test";
import assert from "node:assert/strict";
import { visionArchitecture, visionConfig } from "../../src/models/vision/registry.js";
import { towerChecks } from "./checks.js";

towerChecks("dinov2-reg");

test("dinov2-reg quirks: DINOv2 with 4 registers, the features drop CLS and the registers, the DINOv2 objective", () => {
  const c = visionConfig("dinov2-reg", "tiny");
  assert.deepEqual([c.registers, c.dropLeadingTokens], [4, 5]);
  assert.equal(visionArchitecture("dinov2-reg").objective, "dinov2");
});
