import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DATASET_PARTS, sampleSplits, Dataset, readBenchmarkFile } from "../src/data/dataset.js";
import { DATASET_PRESETS, generateDataset } from "../src/benchmarks/dataset.js";
import { getTask } from "../src/benchmarks/registry.js";
import { folderHash } from "../src/util/fs.js";
import { sceneSignature } from "../src/world/scene.js";
import { TEXT_KINDS, TEXT_MIX, textDocument } from "../src/data/text_corpus.js";
import { INSTRUCTION_KINDS, MIXTURE, instructionSample, questionSample, SHORT_ANSWER_PROMPT } from "../src/data/instructions.js";
import { OPTION_LETTER_PROMPT } from "../src/data/questions.js";
import { caption, denseCaption } from "../src/data/captions.js";
import { readLlavaJson, writeLlavaJson, validateLlavaSamples, type LlavaSample } from "../src/data/llava_json.js";
import { Random } from "../src/util/random.js";
import { tempDir, tinyDataset } from "./helpers.js";

const tinyConfig = DATASET_PRESETS.tiny;

test("training and held-out scenes are disjoint by id and by content, and deterministic", () => {
  const { train, test: held } = sampleSplits(tinyConfig, 3);
  const ids = new Set(train.map((s) => s.id));
  const signatures = new Set(train.map(sceneSignature));
  for (const s of held) {
    assert.ok(!ids.has(s.id));
    assert.ok(!signatures.has(sceneSignature(s)), `held-out ${s.id} repeats a training scene`);
  }
  assert.deepEqual(sampleSplits(tinyConfig, 3), { train, test: held });
});

test("the text corpus and the stage-2 mixture have the configured proportions", () => {
  const { train } = sampleSplits(tinyConfig, 0);
  const n = 3000;
  const kinds = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const doc = textDocument(train, 0, i);
    kinds.set(doc.kind, (kinds.get(doc.kind) ?? 0) + 1);
    assert.ok(doc.text !== undefined || (doc.turns ?? []).length >= 2);
    if (doc.kind === "chinese") assert.match(doc.text!, /[\u4e00-\u9fff]/);
  }
  for (const k of TEXT_KINDS) assert.ok(Math.abs(kinds.get(k)! / n - TEXT_MIX[k]) < 0.03, `${k}: ${kinds.get(k)! / n} vs ${TEXT_MIX[k]}`);
  const mix = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const s = instructionSample(train, 0, i, (scene) => `${scene.id}.png`);
    mix.set(s.kind, (mix.get(s.kind) ?? 0) + 1);
    if (s.kind === "vqa" || s.kind === "reading") assert.ok(s.conversations[0]!.value.endsWith(SHORT_ANSWER_PROMPT));
    if (s.kind === "choice") {
      assert.ok(s.conversations[0]!.value.endsWith(OPTION_LETTER_PROMPT));
      assert.match(s.conversations[1]!.value, /^[A-D]$/);
    }
    if (s.kind === "text") assert.equal(s.image, undefined);
  }
  for (const k of INSTRUCTION_KINDS) assert.ok(Math.abs(mix.get(k)! / n - MIXTURE[k]) < 0.03, `${k}: ${mix.get(k)! / n} vs ${MIXTURE[k]}`);
});

test("the one-question stream: one short-answer question about one image, families by weight, the same for the same seed", () => {
  const { train } = sampleSplits(tinyConfig, 0);
  const families = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    const s = questionSample(train, { colour: 3, count: 1 }, 0, i, (scene) => `${scene.id}.png`);
    assert.equal(s.kind, "vqa");
    assert.equal(s.conversations.length, 2, "one question and its answer");
    const [question, answer] = s.conversations;
    assert.ok(question!.value.startsWith("<image>\n") && question!.value.endsWith(`\n${SHORT_ANSWER_PROMPT}`), question!.value);
    const scene = train.find((x) => `${x.id}.png` === s.image)!;
    const family = /^<image>\nWhat color is the (\w+)\?/.exec(question!.value) ? "colour" : /^<image>\nHow many /.exec(question!.value) ? "count" : "other";
    families.set(family, (families.get(family) ?? 0) + 1);
    if (family === "colour") {
      const named = /What color is the (\w+)\?/.exec(question!.value)![1];
      assert.ok(scene.objects.some((o) => o.category === named && o.colour === answer!.value), `${named}: ${answer!.value} not in ${s.image}`);
    }
  }
  assert.equal(families.get("other"), undefined);
  const colour = families.get("colour")! / 400;
  // Weight 3 of 4, less the draws where the scene names no object uniquely and count is drawn again.
  assert.ok(colour > 0.5 && colour < 0.8, `colour share ${colour}`);
  assert.deepEqual(questionSample(train, { colour: 1 }, 5, 7, (x) => x.id), questionSample(train, { colour: 1 }, 5, 7, (x) => x.id));
  assert.notDeepEqual(questionSample(train, { colour: 1 }, 5, 7, (x) => x.id), questionSample(train, { colour: 1 }, 5, 8, (x) => x.id));
  assert.throws(() => questionSample([{ ...train[0]!, objects: [] }], { colour: 1 }, 0, 0, (x) => x.id), /no scene gave a question of colour after 100 draws/);
});

test("caption styles: dense names every object, short is one line, noisy is alt-text", () => {
  const { train } = sampleSplits(tinyConfig, 0);
  const scene = train.find((s) => s.kind === "objects" && s.objects.length >= 3)!;
  const dense = denseCaption(scene);
  for (const o of scene.objects) assert.ok(dense.includes(`${o.colour} ${o.category}`), `${o.colour} ${o.category} missing from: ${dense}`);
  const short = caption("short", scene, Random.stream(0, "c"));
  assert.ok(short.length < dense.length && !short.includes("\n"));
  assert.notEqual(caption("noisy", scene, Random.stream(0, "c")), short);
});

test("LLaVA JSON: a written file reads back; each bad input names the file, sample and field", () => {
  const dir = tempDir();
  mkdirSync(join(dir, "images"));
  writeFileSync(join(dir, "images", "a.png"), "not really a png but non-empty");
  const samples: LlavaSample[] = [
    { id: "1", image: "a.png", conversations: [{ from: "human", value: "<image>\nWhat is it?" }, { from: "gpt", value: "A star." }] },
    { id: "2", conversations: [{ from: "human", value: "Hello" }, { from: "gpt", value: "Hi." }] },
  ];
  const file = join(dir, "data.json");
  writeLlavaJson(file, samples);
  assert.deepEqual(readLlavaJson(file, join(dir, "images")).samples, samples);
  const bad = (value: unknown, pattern: RegExp) => {
    const f = join(dir, "bad.json");
    writeFileSync(f, typeof value === "string" ? value : JSON.stringify(value));
    assert.throws(() => readLlavaJson(f, join(dir, "images")), pattern);
  };
  bad('[{"id": "1",\n "image": }]', /bad\.json:2:\d+: malformed JSON/);
  bad([{ ...samples[0], conversations: [{ from: "gpt", value: "x" }, { from: "gpt", value: "y" }] }], /sample 0 \(id "1"\): field "conversations\[0\]\.from": expected "human"/);
  bad([{ ...samples[0], conversations: [{ from: "human", value: "no placeholder" }, { from: "gpt", value: "y" }] }], /field "conversations\[0\]\.value": expected exactly one "<image>"/);
  bad([samples[0], samples[0]], /sample 1: duplicate id "1" \(first at sample 0\)/);
  bad([{ ...samples[0], image: "../secret.png" }], /leaves the image folder/);
  bad([{ ...samples[0], image: "missing.png" }], /image file .*missing\.png does not exist/);
  assert.throws(() => validateLlavaSamples({ not: "an array" }, "x.json"), /x\.json: expected a JSON array/);
  // A bad sample never replaces a good file.
  const before = readFileSync(file, "utf8");
  assert.throws(() => writeLlavaJson(file, [{ id: "9", conversations: [] }]), /conversations/);
  assert.equal(readFileSync(file, "utf8"), before);
});

test("generate-data writes every part, reuses a cached dataset, and never overwrites one made with other settings", async () => {
  const dir = await tinyDataset();
  const dataset = new Dataset(dir);
  const m = dataset.manifest;
  assert.equal(m.counts["images"], tinyConfig.trainScenes + tinyConfig.testScenes);
  assert.equal(dataset.stage1("dense").samples.length, tinyConfig.trainScenes);
  assert.equal(dataset.stage2().samples.length, tinyConfig.stage2Samples);
  assert.equal(dataset.text("pretrain").length, tinyConfig.textDocuments);
  assert.equal(dataset.text("reasoning").length, tinyConfig.reasoningDocuments);
  assert.ok(dataset.text("reasoning").every((d) => /<think>[\s\S]*<\/think>/.test(d.turns![1]!.content)));
  const image = await dataset.image(dataset.stage1("short").samples[0]!.image!);
  assert.equal(Math.max(image.width, image.height), tinyConfig.world.nativeSize);
  const mtime = statSync(join(dir, "manifest.json")).mtimeMs;
  const again = await generateDataset({ preset: "tiny", seed: 0, outDir: dir, progress: false });
  assert.equal(again.cached, true);
  assert.equal(statSync(join(dir, "manifest.json")).mtimeMs, mtime);
  await assert.rejects(generateDataset({ preset: "tiny", seed: 1, outDir: dir, progress: false }), /holds a dataset generated with other settings .*--force/);
  assert.equal(new Dataset(dir).manifest.seed, 0);
  // A dataset from an older generator is refused by readers and regenerated by generate-data.
  const old = join(tempDir(), "old");
  const config = { ...tinyConfig, trainScenes: 6, testScenes: 40, textDocuments: 10, reasoningDocuments: 2, stage2Samples: 10 };
  await generateDataset({ config, seed: 0, outDir: old, progress: false });
  const manifestFile = join(old, "manifest.json");
  writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, "utf8")), version: 0, key: "0ld" }));
  assert.throws(() => new Dataset(old), /generated by generator version 0, but this workbench writes version \d+; regenerate it with: npx llava-more generate-data --preset \w+/);
  const lines: string[] = [];
  const regenerated = await generateDataset({ config, seed: 0, outDir: old, progress: false, log: (l) => lines.push(l) });
  assert.equal(regenerated.cached, false);
  assert.match(lines[0]!, /generated by generator version 0; regenerating with version/);
  assert.equal(new Dataset(old).manifest.key, regenerated.manifest.key);
  assert.throws(() => dataset.scenes("validation" as "test"), /unknown split "validation"; expected one of train, test/);
  assert.throws(() => dataset.stage1("medium" as "short"), /unknown caption set "medium"/);
  writeFileSync(join(dir, "images", "broken.png"), "garbage");
  await assert.rejects(dataset.image("broken.png"), /broken\.png: cannot decode image/);
  await assert.rejects(dataset.image("../manifest.json"), /leaves the image folder/);
});

test("the same seed generates byte-identical datasets", async () => {
  const dir = await tinyDataset();
  const config = { ...tinyConfig, trainScenes: 10, testScenes: 100, textDocuments: 20, reasoningDocuments: 5, stage2Samples: 20 };
  const a = await generateDataset({ config, seed: 0, outDir: join(tempDir(), "a"), progress: false });
  const b = await generateDataset({ config, seed: 0, outDir: join(tempDir(), "b"), progress: false });
  for (const part of ["scenes/test.jsonl", "images/test-000003.png", "text/pretrain.jsonl", "stage1/noisy.json", "stage2/mixture.json", "benchmarks/pope.jsonl", "benchmarks/mmbench_cn_dev.jsonl"]) {
    assert.ok(readFileSync(join(a.dir, part)).equals(readFileSync(join(b.dir, part))), `${part} differs`);
  }
  // Each part's hash is its files' content, the same for both.
  assert.deepEqual(Object.keys(a.manifest.parts ?? {}), [...DATASET_PARTS]);
  assert.deepEqual(a.manifest.parts, b.manifest.parts);
  assert.equal(a.manifest.parts!.stage2, folderHash(join(a.dir, "stage2")));
  assert.ok(existsSync(dir));
});

test("benchmark files: bad lines name the file and line", async () => {
  const dir = await tinyDataset();
  const images = join(dir, "images");
  const file = join(tempDir(), "pope.jsonl");
  const good = readFileSync(join(dir, "benchmarks", "pope.jsonl"), "utf8").split("\n")[0]!;
  const write = (lines: string[]) => writeFileSync(file, lines.join("\n") + "\n");
  write([good, "{oops"]);
  assert.throws(() => readBenchmarkFile(getTask("pope"), file, images), /pope\.jsonl:2: malformed JSON line/);
  write([good, good]);
  assert.throws(() => readBenchmarkFile(getTask("pope"), file, images), /pope\.jsonl:2: duplicate question id .* \(first on line 1\)/);
  write([good.replace(/"image":"[^"]+"/, '"image":"../../etc/passwd"')]);
  assert.throws(() => readBenchmarkFile(getTask("pope"), file, images), /pope\.jsonl:1: field "image".*leaves the image folder/);
  write([good]);
  assert.throws(() => readBenchmarkFile(getTask("seed_video"), file, images), /unknown task "seed_video"/);
});
