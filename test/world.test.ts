import { test } from "node:test";
import assert from "node:assert/strict";
import { Random } from "../src/util/random.js";
import { sampleScene, sceneSignature, relation, type WorldConfig } from "../src/world/scene.js";
import { encodePng, renderScene, resizeImage, sceneSvg } from "../src/world/render.js";
import { textSvg } from "../src/world/font.js";
import { legibilityProbe } from "../src/world/legibility.js";
import { WORLD_PRESETS } from "../src/world/presets.js";
import { LABEL_ALPHABET, THEMES, CATEGORIES } from "../src/world/vocabulary.js";
import { themeWeights, themeNamed } from "../src/world/scene.js";

const world: WorldConfig = WORLD_PRESETS.small;

test("the same seed gives the same scenes and the same PNG bytes; another seed gives others", async () => {
  const draw = (seed: number) => [0, 1, 2, 3].map((i) => sampleScene(Random.stream(seed, "scene", i), `s${i}`, world));
  const a = draw(7);
  assert.deepEqual(a, draw(7));
  assert.notDeepEqual(a.map(sceneSignature), draw(8).map(sceneSignature));
  for (const scene of a.slice(0, 2)) {
    const first = await encodePng(await renderScene(scene, world));
    const second = await encodePng(await renderScene(scene, world));
    assert.ok(first.equals(second), `scene ${scene.id} rendered to different bytes`);
  }
});

test("scenes keep one object per grid cell, draw categories with the theme's weights and render at native size", async () => {
  const counts = new Map<string, number>();
  const theme = themeNamed("garden");
  let gardenScenes = 0;
  for (let i = 0; i < 400; i++) {
    const s = sampleScene(Random.stream(1, "scene", i), `s${i}`, world);
    const cells = s.objects.map((o) => o.row * 3 + o.col);
    assert.equal(new Set(cells).size, cells.length, "two objects share a cell");
    assert.ok(Math.max(s.width, s.height) === world.nativeSize);
    if (s.theme === theme.name) {
      gardenScenes++;
      for (const o of s.objects) counts.set(o.category, (counts.get(o.category) ?? 0) + 1);
    }
  }
  assert.ok(gardenScenes > 40);
  const weights = themeWeights(theme);
  const common = CATEGORIES.filter((_, i) => weights[i]! > 1).reduce((n, c) => n + (counts.get(c.name) ?? 0), 0);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  // 4 common categories weighted 6 against 8 weighted 1: 24/32 of draws before repeats.
  assert.ok(common / total > 0.6, `common categories are ${(100 * common) / total}% of garden objects`);
  assert.equal(THEMES.length, 5);
  const s = sampleScene(Random.stream(3, "x"), "x", world);
  const raw = await renderScene(s, world);
  assert.equal(raw.width, s.width);
  assert.equal(raw.height, s.height);
  assert.equal(raw.data.length, s.width * s.height * 3);
  const small = await resizeImage(raw, 40, 40);
  assert.equal(small.data.length, 40 * 40 * 3);
});

test("relations on the grid and the printed font", () => {
  const a = { col: 0, row: 2 } as Parameters<typeof relation>[0];
  const b = { col: 2, row: 0 } as Parameters<typeof relation>[1];
  assert.deepEqual(relation(a, b), { horizontal: "left", vertical: "below" });
  for (const ch of LABEL_ALPHABET) assert.match(textSvg(ch, 0, 0, 1, "#000"), /<rect /);
  assert.throws(() => textSvg("a", 0, 0, 1, "#000"), /font: no glyph for "a"/);
  const scene = sampleScene(Random.stream(11, "svg"), "svg", { ...world, labelShare: 1, minObjects: 3, maxObjects: 3, diagramShare: 0 });
  const svg = sceneSvg(scene, world);
  for (const o of scene.objects) if (o.label) assert.ok(svg.includes('fill="#111111"'), "labels are drawn");
});

test("resolution matters: printed characters are read far better at high resolution than at low", async () => {
  const [low, high] = await legibilityProbe(world, { resolutions: [24, 216], trainPerCharacter: 4, testPerCharacter: 3 });
  assert.ok(low!.accuracy < 0.5, `at 24 px ${low!.accuracy}`);
  assert.ok(high!.accuracy > 0.95, `at 216 px ${high!.accuracy}`);
  assert.ok(Math.abs(high!.glyphPixels - world.textHeight * 216) < 1e-9);
});
