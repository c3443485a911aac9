import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { SIGLIP_RECIPES } from "../src/train/objectives/siglip.js";
import { buildZoo, loadZooTower, zooBuildKey, zooDataKey } from "../src/zoo/zoo.js";
import { Dataset, defaultDatasetDir } from "../src/data/dataset.js";
import { folderHash } from "../src/util/fs.js";
import { loadZooLlm } from "../src/zoo/llms.js";
import { towerProbeView, zooLossFigure, zooView } from "../src/analysis/zoo_tables.js";
import { tempDir } from "./helpers.js";
import { kernelBuild } from "../src/backend/kernel_build.js";

test("the zoo builds a tower and an LLM with manifests, skips them when built, and loads them back", { timeout: 600_000 }, async () => {
  await initBackend();
  process.env["LLAVA_MORE_DATA"] = tempDir();
  const dir = join(tempDir(), "zoo");
  const first = await buildZoo({ preset: "tiny", dir, only: ["siglip", "gemma2-2b"], steps: 3, progress: false });
  assert.deepEqual(first.built, ["siglip", "gemma2-2b"]);
  const tower = first.manifest.entries["siglip"]!;
  assert.equal(tower.objective, "siglip");
  assert.equal(tower.steps, 3);
  assert.equal(tower.lossCurve.length, 3);
  assert.ok(Number.isFinite(tower.finalLoss));
  for (const key of ["themePooled", "patchObject", "reading", "retrieval"]) assert.ok(tower.probes[key]! >= 0 && tower.probes[key]! <= 1, key);
  const llm = first.manifest.entries["gemma2-2b"]!;
  assert.ok(llm.probes["held_out_ppl"]! > 1);
  assert.ok(existsSync(join(dir, "towers", "siglip", "model.safetensors")));
  assert.ok(existsSync(join(dir, "towers", "siglip", "text")));
  assert.ok(!existsSync(join(dir, ".work", "siglip")), "the resumable work folder is removed once the entry is saved");
  const saved = JSON.parse(readFileSync(join(dir, "zoo.json"), "utf8")) as { entries: Record<string, unknown> };
  assert.deepEqual(Object.keys(saved.entries), ["siglip", "gemma2-2b"]);

  const again = await buildZoo({ preset: "tiny", dir, only: ["siglip", "gemma2-2b"], steps: 3, progress: false });
  assert.deepEqual(again.built, []);
  assert.deepEqual(again.skipped, ["siglip", "gemma2-2b"]);
  // The build key is computable without building (what the results archive checks against); --steps
  // and the kernel build this process runs (nothing for the portable bits) are part of it.
  const manifest = new Dataset(defaultDatasetDir("tiny", 0)).manifest;
  const kernels = kernelBuild().class;
  assert.equal(zooBuildKey("tiny", 0, "siglip", manifest, 3, kernels), tower.key);
  assert.equal(zooBuildKey("tiny", 0, "gemma2-2b", manifest, 3, kernels), llm.key);
  assert.notEqual(zooBuildKey("tiny", 0, "siglip", manifest, undefined, kernels), tower.key);

  // A changed recipe is a different entry: only that entry is rebuilt.
  const recipe = SIGLIP_RECIPES.tiny;
  const learningRate = recipe.learningRate;
  recipe.learningRate = learningRate / 2;
  try {
    const changed = await buildZoo({ preset: "tiny", dir, only: ["siglip", "gemma2-2b"], steps: 3, progress: false });
    assert.deepEqual(changed.built, ["siglip"]);
    assert.deepEqual(changed.skipped, ["gemma2-2b"]);
  } finally {
    recipe.learningRate = learningRate;
  }

  const { tower: loaded, textSide } = loadZooTower(dir, "siglip");
  assert.ok(textSide, "text-aligned towers come back with their text side");
  assert.equal(loaded.config.imageSize, 20);
  const lm = loadZooLlm(dir, "gemma2-2b");
  assert.ok(lm.tokenizer.encode("a red star").length > 0);
  assert.throws(() => loadZooTower(dir, "clip"), /no clip tower in the zoo; build it with: npm run zoo -- --only clip/);
  await assert.rejects(buildZoo({ preset: "tiny", dir, only: ["clip2"], progress: false }), /unknown zoo entry clip2/);

  assert.match(zooView(again.manifest).title, /Model zoo \(tiny, seed 0\)/);
  assert.equal(zooLossFigure(again.manifest).data.length, 2);
  assert.equal(towerProbeView(again.manifest).columns.length, 2);
});

test("zoo entries key on the dataset parts they read: stage-2 data and benchmarks can change under a built zoo", () => {
  const parts = { images: "i1", scenes: "s1", text: "t1", stage1: "c1", stage2: "m1", benchmarks: "b1" };
  const base = zooDataKey({ key: "k1", parts });
  assert.equal(zooDataKey({ key: "k2", parts: { ...parts, stage2: "m2", benchmarks: "b2" } }), base);
  for (const part of ["images", "scenes", "text", "stage1"] as const) assert.notEqual(zooDataKey({ key: "k1", parts: { ...parts, [part]: "changed" } }), base, part);
  // Datasets written before the parts were hashed fall back to the whole dataset's key.
  assert.equal(zooDataKey({ key: "k1" }), "k1");
  assert.equal(zooDataKey({ key: "k1", parts: { images: "i1" } }), "k1");
});

test("folderHash: equal exactly when the files and their paths are", () => {
  const a = tempDir();
  const b = tempDir();
  for (const dir of [a, b]) {
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "x.txt"), "one");
    writeFileSync(join(dir, "sub", "y.bin"), new Uint8Array([1, 2, 3]));
  }
  assert.equal(folderHash(a), folderHash(b));
  writeFileSync(join(b, "sub", "y.bin"), new Uint8Array([1, 2, 4]));
  assert.notEqual(folderHash(a), folderHash(b));
  writeFileSync(join(b, "sub", "y.bin"), new Uint8Array([1, 2, 3]));
  renameSync(join(b, "x.txt"), join(b, "z.txt"));
  assert.notEqual(folderHash(a), folderHash(b), "a renamed file changes the hash");
});
