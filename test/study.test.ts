import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { Dataset, defaultDatasetDir } from "../src/data/dataset.js";
import { generateDataset } from "../src/benchmarks/dataset.js";
import { spreadSubset } from "../src/eval/runner.js";
import { runCostMarkdown, writeLabReport, zooBuildsText } from "../src/analysis/lab_report.js";
import { fileHash } from "../src/util/fs.js";
import { main } from "../src/cli/index.js";
import { buildZoo, towerDir } from "../src/zoo/zoo.js";
import { microBatch, type StageSample } from "../src/train/llava_stages.js";
import { FeatureStore } from "../src/data/feature_cache.js";
import { expandGrid, type StudyGrid } from "../src/study/grid.js";
import { type PairingSpec, type RunResult, runId, runWallSeconds } from "../src/analysis/run_record.js";
import { imageTokens, inputSide, parseResolution, resolutionLabel } from "../src/models/vision/resolution.js";
import { STUDY_GRIDS, studyGrid } from "../src/study/grids.js";
import { kernelBuild } from "../src/backend/kernel_build.js";
import { currentResult, evalSuffix, evaluatePairing, expectedResultKey, readLog, resultKey, resultOptions, runPairing, WORKER_LOG, zooFeatureTower } from "../src/study/run.js";
import { protocolKey, readProtocolFile } from "../src/train/protocol_file.js";
import { bindingMarkdown } from "../src/analysis/lab_binding.js";
import { findingsInputs, otherKernelsText, otherZooBuilds, readResults } from "../src/study/results.js";
import { buildVariation } from "../src/analysis/lab_builds.js";
import { labTable } from "../src/analysis/lab_stats.js";
import { parseCsv } from "../src/util/csv.js";
import { archivedIds, archivedResult, archiveRun, archiveSourceOf, currentArchivedKey } from "../src/study/archive.js";
import { validationBenchmarks } from "../src/benchmarks/validation.js";
import { getTask } from "../src/benchmarks/registry.js";
import { mixtureSamples, PROTOCOLS } from "../src/train/protocol.js";
import { fitPrompt } from "../src/study/answerer.js";
import { expectedRunSeconds, gridTimeLeft, mergeStudy, missingZooEntries, resumeText, runStudy, timeLeftText, writeSlurmScript, zooCoverage } from "../src/study/runner.js";
import { llmDir } from "../src/zoo/llms.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { IMAGE_TOKEN_INDEX } from "../src/models/llava/llava.js";
import { tempDir } from "./helpers.js";

test("resolutions parse, label and size the tower input; grids expand into named runs", () => {
  assert.deepEqual(parseResolution("1x"), {});
  assert.deepEqual(parseResolution("1x+S2"), { s2: true });
  assert.deepEqual(parseResolution("0.75x"), { scale: 0.75 });
  assert.throws(() => parseResolution("2y"), /resolution "2y": expected a multiple of the tower's side such as 1x/);
  for (const label of ["1x", "0.75x", "1.5x+S2"]) assert.equal(resolutionLabel(parseResolution(label)), label);
  const clip = visionConfig("clip", "small");
  assert.equal(inputSide(clip, {}), 64);
  assert.equal(inputSide(clip, { scale: 0.75 }), 48);
  assert.equal(inputSide(visionConfig("siglip", "small"), { scale: 0.75 }), 56); // 54 rounded to whole 8-px patches
  assert.equal(imageTokens(clip, { scale: 0.75 }), 36);
  assert.equal(imageTokens(clip, { s2: true }), 64);

  const grid: StudyGrid = { name: "g", title: "g", seeds: [0, 1], blocks: [{ llms: ["llama3.1-8b"], towers: ["clip", "siglip"] }, { llms: ["llama3.1-8b"], towers: ["clip"] }] };
  const runs = expandGrid(grid).map(runId);
  assert.deepEqual(runs, ["llama3.1-8b__clip-1x__short__s0", "llama3.1-8b__clip-1x__short__s1", "llama3.1-8b__siglip-1x__short__s0", "llama3.1-8b__siglip-1x__short__s1"]);
  assert.equal(expandGrid(STUDY_GRIDS.resolution).length, 12);
  const tiny = studyGrid("backbones", "tiny");
  assert.equal(expandGrid(tiny).length, 4);
  assert.equal(tiny.evalLimit, 8);
  assert.throws(() => studyGrid("nope", "small"), /unknown study "nope"; expected one of quick, llms, backbones, resolution, pretraining/);
});

test("an evaluation limit spreads over the file and keeps each image's items together", () => {
  const items = ["a", "a", "b", "c", "c", "d", "e", "e", "f", "g"].map((image, i) => ({ image, i }));
  const subset = spreadSubset(items, 4);
  assert.deepEqual(subset.map((x) => x.i), [0, 1, 3, 4, 6, 7]); // groups a, c, e: 3 groups of the 7, kept whole
  assert.deepEqual(spreadSubset(items, 20), items);
  assert.deepEqual(spreadSubset(items, 1).map((x) => x.image), ["a", "a"]);
});

test("micro-batches group samples of similar length; long prompts keep their header and image", () => {
  const sample = (n: number, image: number): StageSample => ({ ids: Array(n).fill(1), labels: Array(n).fill(1), image });
  const samples = [sample(9, 0), sample(3, 0), sample(20, -1), sample(5, 0), sample(7, 0), sample(1, 0), sample(2, 0), sample(4, 0)];
  const recipe = { globalBatch: 4, microBatch: 2 };
  // Step 0 holds the first four, in positions: 9 + 15, 3 + 15, text-only 20, 5 + 15 (16 image tokens replace one id).
  assert.deepEqual(microBatch(samples, 0, 0, recipe, 16).map((s) => s.ids.length), [3, 20]);
  assert.deepEqual(microBatch(samples, 0, 1, recipe, 16).map((s) => s.ids.length), [5, 9]);
  assert.deepEqual(microBatch(samples, 1, 0, recipe, 16).map((s) => s.ids.length), [1, 2]);

  const ids = [7, 8, IMAGE_TOKEN_INDEX, 1, 2, 3, 4, 5, 6];
  assert.deepEqual(fitPrompt(ids, 6), [7, 8, IMAGE_TOKEN_INDEX, 4, 5, 6]);
  assert.deepEqual(fitPrompt(ids, 3), [IMAGE_TOKEN_INDEX, 5, 6]); // the header does not fit beside the image
  assert.throws(() => fitPrompt(ids, 1), /a prompt of 9 ids cannot be cut to 1/);
});

// ----- one tiny study, end to end ------------------------------------------------------------------

const root = tempDir("llava-more-study-");
process.env["LLAVA_MORE_DATA"] = join(root, "data");
process.env["LLAVA_MORE_ZOO"] = join(root, "zoo");
process.env["LLAVA_MORE_RUNS"] = join(root, "runs");
process.env["LLAVA_MORE_RESULTS"] = join(root, "results");
const TINY: StudyGrid & { evalLimit: number } = { name: "tiny-pair", title: "two tiny pairings", seeds: [0], blocks: [{ llms: ["llama3.1-8b", "vicuna-7b"], towers: ["clip"] }], evalLimit: 8 };

let zooReady: Promise<void> | undefined;
const tinyZoo = (): Promise<void> =>
  (zooReady ??= (async () => {
    await initBackend();
    await generateDataset({ preset: "tiny", progress: false });
    await buildZoo({ preset: "tiny", only: ["clip", "llama3.1-8b", "vicuna-7b"], steps: 3, progress: false });
  })());

const sameResult = (a: RunResult, b: RunResult): void => {
  assert.deepEqual(a.eval.headline, b.eval.headline);
  assert.deepEqual([a.stage1.firstLoss, a.stage1.finalLoss, a.stage2.firstLoss, a.stage2.finalLoss], [b.stage1.firstLoss, b.stage1.finalLoss, b.stage2.firstLoss, b.stage2.finalLoss]);
};

test("a tiny grid of two pairings trains both stages, evaluates, merges, and skips finished runs", { timeout: 600_000 }, async () => {
  await tinyZoo();
  assert.deepEqual(missingZooEntries(TINY, join(root, "zoo", "tiny")), []);
  assert.deepEqual(missingZooEntries({ ...TINY, blocks: [{ llms: ["gemma2-9b"], towers: ["siglip"] }] }, join(root, "zoo", "tiny")), ["siglip", "gemma2-9b"]);
  const outcome = await runStudy({ study: TINY, preset: "tiny", progress: false });
  assert.deepEqual(outcome.failed, []);
  assert.equal(outcome.ran.length, 2);
  assert.equal(outcome.results.length, 2);
  assert.equal(outcome.table.numRows(), 2 * 11); // every README column but SEED-all and SEED-vid
  for (const r of outcome.results) {
    assert.ok(r.stage1.finalLoss < r.stage1.firstLoss, `${r.id} stage 1: ${r.stage1.firstLoss} -> ${r.stage1.finalLoss}`);
    assert.ok(r.stage2.finalLoss < r.stage2.firstLoss, `${r.id} stage 2: ${r.stage2.firstLoss} -> ${r.stage2.finalLoss}`);
    assert.equal(r.eval.limit, 8);
    const log = readLog(join(root, "runs", "tiny", r.id, "log.jsonl"));
    assert.equal(log.filter((l) => l.stage === 1).length, r.stage1.steps);
    assert.equal(log.filter((l) => l.stage === 2).length, r.stage2.steps);
    assert.ok(log.every((l) => Number.isFinite(l.loss) && l.tokens_per_second > 0 && l.backend.length > 0 && l.learning_rate >= 0));
    assert.ok(existsSync(join(root, "runs", "tiny", r.id, "eval-limit8", "results.json")));
    // The result and run.json name the kernel build and CPU; the key carries the build's class.
    assert.deepEqual(r.kernels, kernelBuild());
    assert.deepEqual((JSON.parse(readFileSync(join(root, "runs", "tiny", r.id, "run.json"), "utf8")) as { kernels: unknown }).kernels, kernelBuild());
    assert.equal(resultOptions(r).kernels, kernelBuild().class);
  }
  for (const f of outcome.files) assert.ok(existsSync(f), f);
  assert.match(readFileSync(outcome.files[0]!, "utf8"), /^run,llm,family,size,llm_params,tower,resolution,image_size,s2,captions,seed,benchmark,score/);

  const again = await runStudy({ study: TINY, preset: "tiny", progress: false });
  assert.equal(again.ran.length, 0);
  assert.equal(again.skipped.length, 2);

  // The tower's features were cached once, and are recomputed when the tower changes.
  const dataset = new Dataset(defaultDatasetDir("tiny", 0));
  const entryFile = join(towerDir(join(root, "zoo", "tiny"), "clip"), "entry.json");
  const entry = JSON.parse(readFileSync(entryFile, "utf8")) as { finalLoss: number; key: string };
  const folder = join(dataset.dir, "cache", "features", `clip-${entry.key}-16px-train-120`);
  const before = statSync(join(folder, "features.f32")).mtimeMs;
  const cached = await FeatureStore.load(dataset, zooFeatureTower(join(root, "zoo", "tiny"), "clip", dataset), {}, "train", { limit: 120, progress: false });
  assert.equal(statSync(join(folder, "features.f32")).mtimeMs, before);
  assert.deepEqual([cached.tokens, cached.dim], [16, 32]);
  // Another build of the tower (another zoo on the same dataset) gets a cache of its own and leaves this one alone.
  const otherZoo = join(root, "zoo", "tiny-other-build");
  cpSync(join(root, "zoo", "tiny"), otherZoo, { recursive: true });
  writeFileSync(join(towerDir(otherZoo, "clip"), "entry.json"), JSON.stringify({ ...entry, key: "0badbeef", finalLoss: entry.finalLoss + 1 }));
  const other = await FeatureStore.load(dataset, zooFeatureTower(otherZoo, "clip", dataset), {}, "train", { limit: 120, progress: false });
  assert.notEqual(other.meta.key, cached.meta.key);
  assert.ok(existsSync(join(dataset.dir, "cache", "features", "clip-0badbeef-16px-train-120", "features.f32")));
  assert.equal(statSync(join(folder, "features.f32")).mtimeMs, before);
  // The same build with other weights (a rebuild) recomputes its cache in place.
  writeFileSync(entryFile, JSON.stringify({ ...entry, finalLoss: entry.finalLoss + 1 }));
  try {
    await FeatureStore.load(dataset, zooFeatureTower(join(root, "zoo", "tiny"), "clip", dataset), {}, "train", { limit: 120, progress: false });
    assert.notEqual(JSON.parse(readFileSync(join(folder, "meta.json"), "utf8")).key, cached.meta.key);
  } finally {
    writeFileSync(entryFile, JSON.stringify(entry));
  }

  // The report: tables, figures and the one-page summary.
  const figures = tempDir();
  const report = await writeLabReport({ table: outcome.table, results: outcome.results, title: TINY.title, preset: "tiny", outDir: join(figures, "lab"), reportDir: figures, staticImages: false });
  assert.ok(report.written.some((p) => p.endsWith("lab_scores.html")));
  const summary = readFileSync(join(figures, "lab", "tables", "lab_summary.csv"), "utf8");
  assert.match(summary, /llama3\.1-8b \+ clip @ 1x, short captions/);
  assert.match(summary, /vicuna-7b \+ clip @ 1x, short captions/);
  const page = readFileSync(join(figures, "report.md"), "utf8");
  assert.match(page, /## Lab study: two tiny pairings/);
  assert.match(page, /Finding 1 — no noise estimate\./); // LLaMA-3.1 vs Vicuna, one seed each
});

test("a run killed in stage 1 and again in stage 2 resumes to the same result as an uninterrupted run", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  const whole = await runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false }); // finished by the grid test, or trained now
  const runsDir = tempDir();
  await assert.rejects(runPairing({ preset: "tiny", spec, evalLimit: 8, runsDir, progress: false, interruptAfter: { stage: 1, step: 6 } }), /interrupted after step 6 of stage 1/);
  await assert.rejects(runPairing({ preset: "tiny", spec, evalLimit: 8, runsDir, progress: false, interruptAfter: { stage: 2, step: 4 } }), /interrupted after step 4 of stage 2/);
  const resumed = await runPairing({ preset: "tiny", spec, evalLimit: 8, runsDir, progress: false });
  sameResult(resumed, whole);
  // Binding measured during stage 2 resumes with the run: the same points as an uninterrupted run.
  assert.deepEqual(resumed.binding, whole.binding);
  // Its wall time: the stages count every segment, so the cost table never shows just the last one.
  const segment = { ...resumed, id: "p__s0", seconds: 10, stage1: { ...resumed.stage1, seconds: 120 }, stage2: { ...resumed.stage2, seconds: 1080 }, eval: { ...resumed.eval, seconds: 60 } };
  assert.match(runCostMarkdown([segment]), /\| llama3\.1-8b__clip-1x__short \| 1 \| 21\.0 \| 120 \| 1080 \| 60 \|/);
  assert.match(runCostMarkdown([{ ...segment, seconds: 1500 }]), /\| llama3\.1-8b__clip-1x__short \| 1 \| 25\.0 \|/);
  // Seeds of one pairing share a row.
  assert.match(runCostMarkdown([segment, { ...segment, spec: { ...spec, seed: 1 }, seconds: 1500 }]), /\| llama3\.1-8b__clip-1x__short \| 2 \| 23\.0 \|/);
  // Each run records the SHA-1 of the zoo weights it started from; the cost section says whether the runs share them.
  assert.deepEqual(whole.zooWeights, { llm: fileHash(join(root, "zoo", "tiny", "llms", "llama3.1-8b", "model.safetensors")), tower: fileHash(join(root, "zoo", "tiny", "towers", "clip", "model.safetensors")) });
  assert.deepEqual(resumed.zooWeights, whole.zooWeights);
  assert.match(runCostMarkdown([whole, resumed]), /Zoo weights: every run of a zoo entry started from the same weights \(one build of each of 2 entries\)\.$/);
  const rebuilt = { ...resumed, zooWeights: { ...whole.zooWeights!, llm: "0".repeat(40) } };
  assert.match(zooBuildsText([whole, rebuilt, { ...whole, zooWeights: undefined }]), /^Zoo weights: \*\*built more than once\*\* among these runs — llama3\.1-8b \(2 builds\);.* 1 run did not record its zoo weights\.$/);
  assert.equal(zooBuildsText([{ ...whole, zooWeights: undefined }]), "Zoo weights: not recorded by these runs.");
  const weights = (dir: string): Buffer => readFileSync(join(dir, runId(spec), "model", "model.safetensors"));
  assert.ok(weights(runsDir).equals(weights(join(root, "runs", "tiny"))), "final weights differ");
  const logFile = join(runsDir, runId(spec), "log.jsonl");
  const log = readLog(logFile);
  // A kill in the middle of writing a line leaves it cut short: it is dropped, not fatal.
  writeFileSync(logFile, `${readFileSync(logFile, "utf8")}{"stage":2,"st`);
  assert.equal(readLog(logFile).length, log.length);
  assert.deepEqual(log.map((l) => `${l.stage}:${l.step}`), [...Array(whole.stage1.steps).keys()].map((s) => `1:${s}`).concat([...Array(whole.stage2.steps).keys()].map((s) => `2:${s}`)));
});

test("the validation split asks every benchmark about training scenes never trained on, and a run is evaluated on it apart", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const dataset = new Dataset(defaultDatasetDir("tiny", 0));
  const { trainScenes: from, validationScenes: count } = PROTOCOLS.tiny;
  const inRange = (sceneId: string): boolean => {
    const i = Number(/^train-(\d+)$/.exec(sceneId)?.[1] ?? -1);
    return i >= from && i < from + count;
  };
  for (const task of ["gqa", "pope", "mmbench_en_dev"]) {
    const { items } = validationBenchmarks(dataset, { from, count })(task);
    assert.ok(items.length > 0, `${task}: no validation items`);
    assert.ok(items.every((it) => inRange(it.sceneId) && it.image === `${it.sceneId}.png`), `${task}: an item outside training scenes ${from}–${from + count - 1}`);
    assert.ok(dataset.benchmark(getTask(task)).items.every((it) => it.sceneId.startsWith("test-")), `${task}: the benchmark file asks about training scenes`);
    assert.deepEqual(validationBenchmarks(dataset, { from, count })(task).items, items, `${task}: not deterministic`);
  }
  assert.throws(() => validationBenchmarks(dataset, { from: 100, count: 40 }), /validation scenes 100–139 are outside the 120 training scenes/);

  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  const onBenchmark = await runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false });
  const onValidation = await runPairing({ preset: "tiny", spec, evalLimit: 8, split: "validation", progress: false });
  assert.equal(onValidation.eval.split, "validation");
  assert.equal(onBenchmark.eval.split, undefined);
  assert.notEqual(onValidation.key, onBenchmark.key);
  assert.deepEqual(onValidation.stage2, onBenchmark.stage2, "validation retrained the pairing");
  // Every evaluation measures whether the model looks: validation conversations with their own and with other scenes' images.
  for (const r of [onValidation, onBenchmark]) assert.ok(r.imageReliance && Number.isFinite(r.imageReliance.gap) && r.imageReliance.samples >= 2, JSON.stringify(r.imageReliance));
  // And whether it binds: per family on multi-object validation scenes, beside its shortcut and prior, and its curve over stage 2.
  const binding = onValidation.binding!;
  assert.ok(binding.families.some((f) => f.family === "colour") && binding.families.every((f) => f.n > 0 && f.accuracy >= 0 && f.accuracy <= 1 && f.shortcut > 0 && f.prior !== null), JSON.stringify(binding));
  assert.deepEqual(binding.curve.map((p) => p.step), [3, 6, 9, 10]); // tiny's 10 stage-2 steps, measured after each quarter (rounded up) and at the end
  assert.deepEqual(onBenchmark.binding, binding, "one measurement for both splits: validation scenes");
  assert.match(bindingMarkdown([onValidation])!, /\| llama3\.1-8b__clip-1x__short \| colour \| 1 \|/);
  const dir = join(root, "runs", "tiny", runId(spec));
  assert.ok(existsSync(join(dir, "result-validation-limit8.json")) && existsSync(join(dir, "result-limit8.json")));
  assert.ok(readFileSync(join(dir, "eval-validation-limit8", "samples_pope.jsonl"), "utf8").trim().split("\n").length >= 8);
});

test("results of another protocol, dataset or zoo entry are stale: left out of merges and run again", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  await runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false });
  const runsDir = tempDir();
  const dir = join(runsDir, runId(spec));
  cpSync(join(root, "runs", "tiny", runId(spec)), dir, { recursive: true });
  assert.equal(readResults(runsDir, { suffix: "-limit8" }).length, 1);
  assert.equal(expectedResultKey({ preset: "tiny", spec, runsDir, evalLimit: 8 }), currentResult(dir, "-limit8")!.key);
  // The same run under another protocol (a changed stage-2 learning rate, say) has another key.
  const file = join(dir, "result-limit8.json");
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), key: "0badc0de" }));
  assert.equal(currentResult(dir, "-limit8"), undefined);
  assert.deepEqual(readResults(runsDir, { suffix: "-limit8" }), []);
  assert.equal(mergeStudy({ study: { ...TINY, blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"] }] }, preset: "tiny", runsDir }).finished, 0);

  // Evaluating a folder trained under other settings refuses and keeps it (only training starts again).
  const runFile = join(dir, "run.json");
  writeFileSync(runFile, JSON.stringify({ ...JSON.parse(readFileSync(runFile, "utf8")), key: "0badc0de" }));
  await assert.rejects(evaluatePairing({ preset: "tiny", spec, runsDir, evalLimit: 4, progress: false }), /trained with other settings than these options give \(training key 0badc0de.*npx llava-more train --preset tiny/);
  assert.ok(existsSync(join(dir, "model", "summary.json")) && existsSync(file), "the folder is kept");

  // Run again, the stale folder is emptied and trained afresh — but a study worker's log, opened before, stays.
  writeFileSync(join(dir, WORKER_LOG), "worker started\n");
  const messages: string[] = [];
  const again = await runPairing({ preset: "tiny", spec, runsDir, evalLimit: 8, progress: false, log: (m) => messages.push(m) });
  assert.ok(messages.some((m) => m.includes("the folder holds a run with other settings; starting again")), messages.join("\n"));
  assert.equal(again.key, expectedResultKey({ preset: "tiny", spec, runsDir, evalLimit: 8 }));
  assert.equal(readFileSync(join(dir, WORKER_LOG), "utf8"), "worker started\n");
});

test("a protocol file whose stage 2 asks one question per image first: those steps first, then the mixture, in a runs folder of its own", { timeout: 600_000 }, async () => {
  await tinyZoo();
  // At half the side (9 image tokens) a question and its short-answer prompt fit tiny's 64 positions.
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: { scale: 0.5 }, captions: "short", seed: 0 } as const;
  const plain = PROTOCOLS.tiny;
  const edits = { stage2: { samples: plain.stage2.samples + 32, questionsFirst: { samples: 32, families: { colour: 1 } } } };
  const file = join(tempDir(), "questions-first.json");
  writeFileSync(file, JSON.stringify(edits));
  const protocol = readProtocolFile(file, plain);
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    assert.equal(await main(["train", "--preset", "tiny", "--resolution", "0.5x", "--protocol", file]), 0);
  } finally {
    console.log = log;
  }
  const dir = join(root, "runs", `tiny-protocol-${protocolKey(protocol)}`, runId(spec));
  assert.ok(lines.some((l) => l.includes(`tiny-protocol-${protocolKey(protocol)}`)), lines.join("\n"));
  assert.equal(existsSync(join(root, "runs", "tiny", runId(spec))), false, "the preset's run folder is not touched");
  const stage2 = JSON.parse(readFileSync(join(dir, "model", "summary.json"), "utf8")) as RunResult["stage2"];
  assert.equal(stage2.steps, (plain.stage2.samples + 32) / plain.stage2.globalBatch, "32 questions, then the 80 mixture samples");
  assert.equal(readLog(join(dir, "log.jsonl")).filter((l) => l.stage === 2).length, stage2.steps);
  assert.ok(stage2.finalLoss < stage2.firstLoss, `stage 2: ${stage2.firstLoss} -> ${stage2.finalLoss}`);
  const dataKey = new Dataset(defaultDatasetDir("tiny", 0)).manifest.key;
  assert.notEqual(resultKey({ preset: "tiny", spec }, protocol, dataKey), resultKey({ preset: "tiny", spec }, plain, dataKey));
  assert.throws(() => mixtureSamples({ ...plain.stage2, questionsFirst: { samples: plain.stage2.samples, families: { colour: 1 } } }), /stage 2: 80 samples leave none for the mixture after questionsFirst's 80/);
  writeFileSync(file, JSON.stringify({ stage2: { questionsFirst: { samples: 8, families: { colour: 1, taste: 1 } } } }));
  await assert.rejects(main(["train", "--preset", "tiny", "--protocol", file]), new RegExp(`${file.replace(/[.]/g, "\\.")}: field "stage2.questionsFirst.families.taste": not a question family`));
});

test("every input of a run is read before its first step: bad stage-2 data stops it before stage 1 trains", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const data = join(tempDir(), "tiny-broken");
  cpSync(defaultDatasetDir("tiny", 0), data, { recursive: true });
  const mixture = join(data, "stage2", "mixture.json");
  const samples = JSON.parse(readFileSync(mixture, "utf8")) as { conversations?: unknown }[];
  delete samples[3]!.conversations;
  writeFileSync(mixture, JSON.stringify(samples));
  const runsDir = tempDir();
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  await assert.rejects(runPairing({ preset: "tiny", spec, datasetDir: data, runsDir, evalLimit: 8, progress: false }), /stage2\/mixture\.json: sample 3 .*field "conversations"/);
  assert.equal(existsSync(join(runsDir, runId(spec), "stage1")), false, "stage 1 trained before stage 2's data was read");
  assert.deepEqual(readLog(join(runsDir, runId(spec), "log.jsonl")), []);
});

test("runs and the feature cache are keyed by the data's content: edited stage data trains anew, unchanged data is reused", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const data = join(tempDir(), "tiny-copy");
  cpSync(defaultDatasetDir("tiny", 0), data, { recursive: true });
  const runsDir = tempDir();
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  const options = { preset: "tiny", spec, datasetDir: data, runsDir, evalLimit: 8, progress: false } as const;
  const dataset = new Dataset(data);
  const unchanged = dataset.manifest.key;
  assert.equal(dataset.contentKey(["images", "scenes", "stage1", "stage2", "benchmarks"]), unchanged, "a copy holds the same content");
  const first = await runPairing(options);
  assert.equal(first.key, expectedResultKey(options));
  assert.equal((await runPairing(options)).finished, first.finished, "unchanged data: the finished run is reused");
  const runJsonKey = (): string => (JSON.parse(readFileSync(join(runsDir, runId(spec), "run.json"), "utf8")) as { key: string }).key;
  const firstTrainKey = runJsonKey();

  // Every reply of the stage-1 captions and the stage-2 mixture changed in place, as a user might.
  for (const file of [join(data, "stage1", "short.json"), join(data, "stage2", "mixture.json")]) {
    const samples = JSON.parse(readFileSync(file, "utf8")) as { conversations: { from: string; value: string }[] }[];
    for (const sample of samples) for (const turn of sample.conversations) if (turn.from === "gpt") turn.value = "An edited reply.";
    writeFileSync(file, JSON.stringify(samples));
  }
  assert.notEqual(new Dataset(data).contentKey(["stage1", "stage2"]), unchanged);
  assert.equal(new Dataset(data).contentKey(["images", "scenes"]), unchanged, "the images did not change");
  const messages: string[] = [];
  const second = await runPairing({ ...options, log: (m) => messages.push(m) });
  assert.notEqual(second.key, first.key);
  assert.ok(messages.some((m) => m.includes("the folder holds a run with other settings; starting again")), messages.join("\n"));
  assert.notEqual(second.stage2.finalLoss, first.stage2.finalLoss, "trained on the edited replies");
  assert.notEqual(runJsonKey(), firstTrainKey, "run.json names the data the weights were trained on");

  // An image changed in place gives the features another key (and the run with it).
  const tower = zooFeatureTower(join(root, "zoo", "tiny"), "clip", new Dataset(data));
  const image = readdirSync(join(data, "images")).find((f) => f.endsWith(".png"))!;
  const other = readdirSync(join(data, "images")).filter((f) => f.endsWith(".png"))[1]!;
  cpSync(join(data, "images", other), join(data, "images", image));
  assert.notEqual(zooFeatureTower(join(root, "zoo", "tiny"), "clip", new Dataset(data)).dataKey, tower.dataKey);
});

test("a run folder is locked while a process works on it; a lock left by a dead process is taken over", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 0 } as const;
  const lock = `${join(root, "runs", "tiny", runId(spec))}.lock`;
  writeFileSync(lock, `${process.ppid}\n`); // a live process
  await assert.rejects(runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false }), new RegExp(`${runId(spec).replace(/[.+]/g, "\\$&")} is in progress in process ${process.ppid}`));
  assert.ok(existsSync(lock), "another process's lock was removed");
  const dead = Number(execFileSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" }).trim());
  writeFileSync(lock, `${dead}\n`);
  const result = await runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false });
  assert.equal(result.id, runId(spec));
  assert.ok(!existsSync(lock), "the lock outlived the run");
});

test("the results archive keeps a run's result and gzipped samples, and a fresh runs folder reads, skips and reports from it", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const archive = join(root, "results", "tiny");
  assert.equal(await main(["archive", "--preset", "tiny", "--eval-limit", "8"]), 0);
  const ids = TINY.blocks[0]!.llms.map((llm) => runId({ llm, tower: "clip", resolution: { scale: 1, s2: false }, captions: "short", seed: 0 })).sort();
  assert.deepEqual(archivedIds(archive), ids);
  const folder = join(archive, ids[0]!);
  assert.deepEqual(readdirSync(folder).sort(), ["eval-limit8", "result-limit8.json"]); // no checkpoints, no logs
  const evalFiles = readdirSync(join(folder, "eval-limit8")).sort();
  assert.ok(evalFiles.includes("results.json") && evalFiles.includes("samples_pope.jsonl.gz"), evalFiles.join(", "));
  assert.ok(evalFiles.every((f) => f === "results.json" || f.endsWith(".jsonl.gz")));
  const gz = readFileSync(join(folder, "eval-limit8", "samples_pope.jsonl.gz"));
  archiveRun(join(root, "runs", "tiny", ids[0]!), archive, "-limit8");
  assert.deepEqual(readFileSync(join(folder, "eval-limit8", "samples_pope.jsonl.gz")), gz, "archiving again changed the bytes");

  // A runs folder without these runs: the archive stands in for them, in findings and in the study.
  const dataDir = defaultDatasetDir("tiny", 0);
  const fresh = tempDir();
  const local = findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8 });
  const archived = findingsInputs(fresh, dataDir, { evalLimit: 8, archiveDir: archive });
  assert.deepEqual(archived.results.map((r) => r.id), ids);
  assert.deepEqual(archived.table.objects(), local.table.objects().filter((row) => ids.includes((row as { run: string }).run)));
  for (const id of ids) assert.deepEqual(archived.answers[id], local.answers[id]);
  assert.equal(findingsInputs(fresh, dataDir, { evalLimit: 8 }).results.length, 0);
  // Findings read one kernel build's runs and count the others they leave out.
  const build = kernelBuild().class;
  assert.deepEqual(findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8, kernels: build }).results.map((r) => r.id), local.results.map((r) => r.id));
  const otherBuild = findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8, archiveDir: archive, kernels: "avx2+Zen" });
  assert.deepEqual([otherBuild.results.length, otherBuild.otherKernels], [0, { [build]: local.results.length }]);
  assert.match(otherKernelsText(otherBuild.otherKernels, "why"), new RegExp(`left out ${local.results.length} runs of the ${build.replace(/[.+]/g, "\\$&")} kernel build \\(why\\)`));
  // Findings under the current scoring profile read only the evaluations made under it.
  const [firstLlm] = TINY.blocks[0]!.llms;
  const currentSpec: PairingSpec = { llm: firstLlm!, tower: "clip", resolution: { scale: 1, s2: false }, captions: "short", seed: 0 };
  assert.equal(findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8, lmmsEval: "current" }).results.length, 0);
  // The run's own settings, as currentResult reads them, so the evaluation reuses its weights.
  const runFolder = join(root, "runs", "tiny", runId(currentSpec));
  const vendored = local.results.find((r) => r.id === runId(currentSpec))!;
  const stored = JSON.parse(readFileSync(join(runFolder, "run.json"), "utf8")) as { dataset: string; zoo?: string };
  const messages: string[] = [];
  await evaluatePairing({ ...resultOptions(vendored), datasetDir: stored.dataset, ...(stored.zoo !== undefined ? { zooDir: stored.zoo } : {}), lmmsEval: "current", progress: false, log: (m: string) => messages.push(m) });
  assert.deepEqual(messages.filter((m) => m.includes("starting again")), [], "evaluating under another profile trained the run anew");
  const current = findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8, lmmsEval: "current" });
  assert.deepEqual(current.results.map((r) => [r.id, r.eval.lmmsEval]), [[runId(currentSpec), "current"]]);
  assert.deepEqual(findingsInputs(join(root, "runs", "tiny"), dataDir, { evalLimit: 8 }).results.map((r) => r.id), local.results.map((r) => r.id), "the vendored findings are unchanged");
  const study = await runStudy({ study: TINY, preset: "tiny", runsDir: fresh, archiveDir: archive, progress: false });
  assert.deepEqual([study.ran.length, study.skipped.length, study.results.length], [0, 2, 2]);
  // A study over runs finished before its archive existed archives them.
  const second = tempDir();
  const again = await runStudy({ study: TINY, preset: "tiny", archiveDir: second, progress: false });
  assert.deepEqual([again.ran.length, again.skipped.length], [0, 2]);
  assert.deepEqual(archivedIds(second), ids);

  // A result whose key the pairing would not get now is stale, in the archive as in a run folder.
  const dataset = new Dataset(dataDir).manifest;
  const result = JSON.parse(readFileSync(join(folder, "result-limit8.json"), "utf8")) as RunResult;
  assert.equal(archivedResult({ dir: archive, dataset }, ids[0]!, "-limit8")?.key, result.key);
  writeFileSync(join(folder, "result-limit8.json"), JSON.stringify({ ...result, key: "00000000" }));
  assert.equal(archivedResult({ dir: archive, dataset }, ids[0]!, "-limit8"), undefined);
  // A zoo without the entries: their default build's keys, which this test's 3-step zoo does not have.
  writeFileSync(join(folder, "result-limit8.json"), JSON.stringify(result));
  assert.equal(archivedResult({ dir: archive, dataset, zooDir: tempDir() }, ids[0]!, "-limit8"), undefined);
  assert.notEqual(currentArchivedKey(result, { dataset, zooDir: tempDir() }), result.key);
  assert.throws(() => archiveRun(fresh, archive, "-limit8"), /no finished result to archive/);
});

test("runs on another zoo build (--zoo-seed) get their own runs and archive folders, and findings compare the builds", { timeout: 600_000 }, async () => {
  await tinyZoo();
  await buildZoo({ preset: "tiny", seed: 1, only: ["clip", "llama3.1-8b"], steps: 3, progress: false });
  const spec = { llm: "llama3.1-8b", tower: "clip", resolution: { scale: 1, s2: false }, captions: "short", seed: 0 } as const;
  const id = runId(spec);
  await runPairing({ preset: "tiny", spec, evalLimit: 8, progress: false }); // finished by the grid test, or trained now (the test run alone)
  const seed0File = join(root, "runs", "tiny", id, "result-limit8.json");
  const before = readFileSync(seed0File, "utf8");
  const grid = join(tempDir(), "grid.json");
  writeFileSync(grid, JSON.stringify({ ...TINY, blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"] }] }));
  assert.equal(await main(["study", "--preset", "tiny", "--grid-file", grid, "--zoo-seed", "1"]), 0);
  const seed1File = join(root, "runs", "tiny-zoo1", id, "result-limit8.json");
  assert.ok(existsSync(seed1File));
  assert.deepEqual(archivedIds(join(root, "results", "tiny-zoo1")), [id]);
  assert.equal(readFileSync(seed0File, "utf8"), before, "the run on the seed-0 zoo was left alone");
  const [r0, r1] = [JSON.parse(before) as RunResult, JSON.parse(readFileSync(seed1File, "utf8")) as RunResult];
  assert.notEqual(r1.key, r0.key);
  // --zoo names a build: its seed picks the folders, and a --zoo-seed that disagrees is refused.
  await assert.rejects(main(["study", "--preset", "tiny", "--grid-file", grid, "--zoo", join(root, "zoo", "tiny-seed1"), "--zoo-seed", "2"]), /was built with seed 1, not --zoo-seed 2/);
  assert.equal(await main(["study", "--preset", "tiny", "--grid-file", grid, "--zoo", join(root, "zoo", "tiny-seed1")]), 0);
  assert.equal(readFileSync(seed0File, "utf8"), before);

  assert.deepEqual(otherZooBuilds("tiny"), [1]);
  // The archive records the dataset that build was pretrained on, which a clone without that zoo and dataset checks the runs' keys against.
  const buildArchive = join(root, "results", "tiny-zoo1");
  const seed1Data = new Dataset(defaultDatasetDir("tiny", 1)).manifest;
  const recorded = JSON.parse(readFileSync(join(buildArchive, "zoo-dataset.json"), "utf8")) as { seed: number; key: string; parts: unknown };
  assert.deepEqual(recorded, { seed: 1, key: seed1Data.key, parts: seed1Data.parts });
  const seed0Data = new Dataset(defaultDatasetDir("tiny", 0)).manifest;
  const away = join(tempDir(), "data");
  renameSync(defaultDatasetDir("tiny", 1), away);
  try {
    const source = archiveSourceOf(buildArchive, seed0Data, { seed: 1 });
    assert.deepEqual([source.zooSeed, source.zooDataset?.key], [1, seed1Data.key]);
    // The 3-step test zoo's keys are not its default build's: with the zoo here, they come from it.
    assert.equal(archivedResult(source, id, "-limit8")?.key, r1.key);
    assert.equal(currentArchivedKey(r1, { ...source, zooDir: tempDir() }), currentArchivedKey(r1, { dataset: seed0Data, zooDir: tempDir(), zooSeed: 1, zooDataset: seed1Data }));
    renameSync(join(buildArchive, "zoo-dataset.json"), join(away, "..", "zoo-dataset.json"));
    assert.equal(archiveSourceOf(buildArchive, seed0Data, { seed: 1 }).zooDataset, undefined);
  } finally {
    renameSync(away, defaultDatasetDir("tiny", 1));
    if (!existsSync(join(buildArchive, "zoo-dataset.json"))) renameSync(join(away, "..", "zoo-dataset.json"), join(buildArchive, "zoo-dataset.json"));
  }
  const out = tempDir();
  assert.equal(await main(["findings", "--preset", "tiny", "--eval-limit", "8", "--out", out]), 0);
  const doc = readFileSync(join(out, "findings.md"), "utf8");
  assert.match(doc, /## Does the variable matter more than a rebuild of the backbones\?/);
  // Two builds at one run seed: the build SD is |a − b| / √2.
  const csv = parseCsv(readFileSync(join(out, "builds.csv"), "utf8"), "builds.csv");
  const column = (name: string): number => csv.header.indexOf(name);
  const gqa = csv.records.find((r) => r.values[column("pairing")] === "llama3.1-8b, clip, 1x, short captions" && r.values[column("benchmark")] === "GQA");
  assert.ok(gqa, "builds.csv has the anchor's GQA row");
  const sd = Math.abs(r0.eval.headline["GQA"]! - r1.eval.headline["GQA"]!) / Math.SQRT2;
  assert.ok(Math.abs(Number(gqa.values[column("build_sd")]) - sd) < 1e-9, `${gqa.values.join(",")} vs build SD ${sd}`);
  assert.equal(gqa.values[column("n_builds")], "2");
  // Findings of the other build alone.
  const own = tempDir();
  assert.equal(await main(["findings", "--preset", "tiny", "--zoo-seed", "1", "--eval-limit", "8", "--out", own]), 0);
  assert.match(readFileSync(join(own, "findings.md"), "utf8"), /From \d+ scores of 1 runs/);
  assert.ok(!existsSync(join(own, "builds.csv")));
});

test("backbone-build spread: pooled SD across builds at shared run seeds, beside the SD across seeds", () => {
  const row = (zoo: number, seed: number, score: number) => ({ run: `r${zoo}${seed}`, llm: "l", family: "f", size: "8B", llm_params: 8, tower: "clip", resolution: "1x", image_size: 64, s2: false, captions: "short", seed, benchmark: "GQA", score });
  const rows = buildVariation([
    { zooSeed: 0, table: labTable([row(0, 0, 40), row(0, 1, 38), row(0, 2, 39)]) },
    { zooSeed: 1, table: labTable([row(1, 0, 44), row(1, 1, 30)]) },
    { zooSeed: 2, table: labTable([row(2, 0, 36)]) },
  ]);
  assert.equal(rows.length, 1);
  const [r] = rows;
  // Seed 0 is the only seed all three builds ran: SD of 40, 44, 36 = 4.
  assert.deepEqual(r!.seeds, [0]);
  assert.deepEqual(r!.scores, [{ zooSeed: 0, values: [40] }, { zooSeed: 1, values: [44] }, { zooSeed: 2, values: [36] }]);
  assert.equal(r!.build_sd, 4);
  // Within builds: variances 1 (40, 38, 39) and 98 (44, 30), pooled √49.5.
  assert.ok(Math.abs(r!.seed_sd - Math.sqrt(49.5)) < 1e-12);
  assert.deepEqual([r!.n_builds, r!.n_seeds], [3, 3]);
  // One build only: nothing to compare.
  assert.deepEqual(buildVariation([{ zooSeed: 0, table: labTable([row(0, 0, 40)]) }]), []);
});

test("the runs the zoo can serve are re-read from the zoo folder: an entry built beside the grid unblocks its runs", () => {
  const zoo = tempDir();
  const built = (dir: string): void => (mkdirSync(dir, { recursive: true }), writeFileSync(join(dir, "entry.json"), "{}"));
  const anchor = { llm: "llama3.1-8b", tower: "clip", resolution: { scale: 1, s2: false }, captions: "short", seed: 0 } as const;
  const gemma = { ...anchor, llm: "gemma2-2b" } as const;
  assert.deepEqual(zooCoverage([anchor, gemma], zoo), { missing: ["clip", "llama3.1-8b", "gemma2-2b"], runnable: [] });
  built(towerDir(zoo, "clip"));
  built(llmDir(zoo, "llama3.1-8b"));
  assert.deepEqual(zooCoverage([anchor, gemma], zoo), { missing: ["gemma2-2b"], runnable: [anchor] });
  built(llmDir(zoo, "gemma2-2b"));
  assert.deepEqual(zooCoverage([anchor, gemma], zoo), { missing: [], runnable: [anchor, gemma] });
});

test("a study says up front which zoo entries it lacks, and the runs needing them fail with the command that builds them", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const lines: string[] = [];
  const outcome = await runStudy({ study: { ...TINY, blocks: [{ llms: ["gemma2-2b", "llama3.1-8b"], towers: ["clip"] }], seeds: [0] }, preset: "tiny", runsDir: tempDir(), progress: false, log: (l) => lines.push(l) });
  assert.ok(lines.includes("the zoo lacks gemma2-2b: 1 of the 2 runs to do will fail until it has them (build them first: npm run zoo -- --preset tiny --only gemma2-2b)"), lines.join("\n"));
  assert.deepEqual(outcome.failed.map((f) => f.id), ["gemma2-2b__clip-1x__short__s0"]);
  assert.match(outcome.failed[0]!.error, /no gemma2-2b in the zoo; build it with: npm run zoo -- --only gemma2-2b/);
  assert.deepEqual(outcome.ran, ["llama3.1-8b__clip-1x__short__s0"]);
});

test("a feature cache restricted to its first scenes shares the data and knows no later scene", async () => {
  await tinyZoo();
  const dataset = new Dataset(defaultDatasetDir("tiny", 0));
  const all = await FeatureStore.load(dataset, zooFeatureTower(join(root, "zoo", "tiny"), "clip", dataset), {}, "train", { limit: 40, progress: false });
  const first = all.first(30);
  assert.equal(first.meta.count, 30);
  assert.ok(first.has("train-000029") && !first.has("train-000030") && all.has("train-000030"));
  assert.deepEqual(first.batch([29]).arraySync(), all.batch([29]).arraySync());
  assert.throws(() => all.first(41), /first\(41\): expected 1 to 40 scenes/);
});

test("a Slurm job array runs one grid entry per task; worker processes run the grid in parallel", { timeout: 600_000 }, async () => {
  await tinyZoo();
  const runsDir = tempDir();
  const study = { ...TINY, seeds: [1] };
  const { file, tasks } = writeSlurmScript({ study, preset: "tiny", runsDir });
  assert.equal(tasks, 2);
  const script = readFileSync(file, "utf8");
  assert.match(script, /#SBATCH --array=0-1/);
  assert.match(script, /study '--grid-file' '.*tiny-pair\.grid\.json' '--preset' 'tiny' '--runs' .* --index "\$SLURM_ARRAY_TASK_ID"/);
  assert.throws(() => execFileSync("bash", [file], { stdio: "pipe", env: { ...process.env, SLURM_ARRAY_TASK_ID: "" } }), /run this script with sbatch/);
  for (const task of ["0", "1"]) execFileSync("bash", [file], { stdio: "pipe", env: { ...process.env, SLURM_ARRAY_TASK_ID: task } });
  const merged = mergeStudy({ study, preset: "tiny", runsDir });
  assert.equal(merged.finished, 2);

  const parallel = await runStudy({ study: { ...TINY, seeds: [2] }, preset: "tiny", runsDir, workers: 2, progress: false });
  assert.deepEqual(parallel.failed, []);
  assert.equal(parallel.ran.length, 2);
  assert.ok(existsSync(join(runsDir, "llama3.1-8b__clip-1x__short__s2", "worker.log")));
});

test("the CLI trains and evaluates one pairing and names bad options", async () => {
  await tinyZoo();
  const code = await main(["train", "--preset", "tiny", "--llm", "vicuna-7b", "--tower", "clip", "--eval", "--eval-limit", "8"]);
  assert.equal(code, 0);
  await assert.rejects(main(["train", "--preset", "tiny", "--resolution", "2y"]), /resolution "2y": expected a multiple/);
  await assert.rejects(main(["eval", "--preset", "tiny", "--llm", "gpt-5"]), /--llm: expected one of vicuna-7b, llama3-8b/);
  await assert.rejects(main(["study", "--grid", "nope", "--preset", "tiny"]), /unknown study "nope"/);
  await assert.rejects(main(["eval", "--preset", "tiny", "--split", "test"]), /--split: expected one of benchmark, validation, got "test"/);
  assert.equal(await main(["eval", "--preset", "tiny", "--llm", "vicuna-7b", "--split", "validation", "--eval-limit", "8"]), 0);
  assert.ok(existsSync(join(root, "runs", "tiny", "vicuna-7b__clip-1x__short__s0", "result-validation-limit8.json")));
  // findings over every run evaluated on 8 items, with the text-only baseline of the same items and what the runs cost.
  const out = tempDir();
  assert.equal(await main(["findings", "--preset", "tiny", "--eval-limit", "8", "--out", out]), 0);
  const doc = readFileSync(join(out, "findings.md"), "utf8");
  assert.match(doc, /## Learned above the text-only baseline\?/);
  assert.match(doc, /\| GQA \| \d+\.\d \| \d+ of \d+ \|/);
  assert.match(doc, /## What the runs cost, and whether they look/);
  assert.match(doc, /\| vicuna-7b__clip-1x__short \| \d+ \| [\d.]+ \|/);
  assert.match(doc, /\d+ runs? of \d+ pairings?: [\d.]+ min of run time in all .*; backend: \w+/);
});

test("time left in a grid comes from its finished runs' wall time, a resumed run's stages included", () => {
  const spec = (llm: PairingSpec["llm"], seed: number, tower: PairingSpec["tower"] = "clip"): PairingSpec => ({ llm, tower, resolution: { scale: 1 }, captions: "short", seed });
  const run = (runSpec: PairingSpec, seconds: number, stages: [number, number, number]) =>
    ({ spec: runSpec, seconds, stage1: { seconds: stages[0] }, stage2: { seconds: stages[1] }, eval: { seconds: stages[2] } }) as unknown as RunResult;
  // 1,200 s recorded; a resumed run that recorded only its last 168 s but whose stages took 100 + 1,000 + 100.
  const finished = [run(spec("llama3.1-8b", 0), 1200, [100, 1000, 60]), run(spec("llama3.1-8b", 1), 168, [100, 1000, 100])];
  assert.equal(runWallSeconds(finished[1]!), 1200);
  const anchor = (n: number) => [...Array(n).keys()].map((seed) => spec("llama3.1-8b", seed + 2));
  // 1,200 s each; 5 runs on 2 workers are 3 rounds: 3,600 s.
  assert.equal(timeLeftText(finished, anchor(5), 2), "20 min a run so far, about 1.0 h for 5 runs on 2 workers");
  assert.equal(timeLeftText(finished.slice(0, 1), anchor(1), 1), "20 min a run so far, about 0.3 h for 1 run on 1 worker");
  // The study's progress bar reads the same estimate; nothing finished yet leaves the bar to its own clock.
  assert.deepEqual(gridTimeLeft(finished, anchor(3), 2), { secondsEach: 1200, secondsLeft: 2400 });
  assert.equal(gridTimeLeft([], anchor(3), 2), undefined);
  assert.equal(timeLeftText([], anchor(3), 2), "no run finished yet to estimate 3 runs from");
  // Runs the zoo blocks fail within seconds: a resumed grid's time left counts only the others.
  assert.equal(resumeText(finished, anchor(5), 9, 2), "; 20 min a run so far, about 1.0 h for 5 runs on 2 workers (not counting the 9 that wait on the zoo)");
  assert.equal(resumeText(finished, anchor(5), 0, 2), "; 20 min a run so far, about 1.0 h for 5 runs on 2 workers");
  assert.equal(resumeText(finished, [], 9, 2), "");
});

test("each run left is timed by finished runs of its pairing, else of its LLM, else of all, and scheduled on the worker free first", () => {
  const spec = (llm: PairingSpec["llm"], tower: PairingSpec["tower"], seed: number): PairingSpec => ({ llm, tower, resolution: { scale: 1 }, captions: "short", seed });
  const run = (runSpec: PairingSpec, seconds: number) =>
    ({ spec: runSpec, seconds, stage1: { seconds: 0 }, stage2: { seconds: 0 }, eval: { seconds: 0 } }) as unknown as RunResult;
  const finished = [run(spec("llama3.1-8b", "clip", 0), 1000), run(spec("llama3.1-8b", "siglip", 0), 2000), run(spec("gemma2-9b", "clip", 0), 4000)];
  // Its pairing (another seed), its LLM with another tower (mean of 1,000 and 2,000), nothing of its own (mean of all three).
  assert.equal(expectedRunSeconds(finished, spec("llama3.1-8b", "siglip", 2)), 2000);
  assert.equal(expectedRunSeconds(finished, spec("llama3.1-8b", "dinov2", 0)), 1500);
  assert.equal(expectedRunSeconds(finished, spec("vicuna-7b", "clip", 0)), 7000 / 3);
  assert.equal(expectedRunSeconds([], spec("vicuna-7b", "clip", 0)), undefined);
  // Two workers: 4,000 | 1,000 + 1,000 + 4,000 → the grid ends after 6,000 s, not 2 rounds × the mean run.
  const todo = [spec("gemma2-9b", "clip", 1), spec("llama3.1-8b", "clip", 1), spec("llama3.1-8b", "clip", 2), spec("gemma2-9b", "clip", 2)];
  assert.deepEqual(gridTimeLeft(finished, todo, 2), { secondsEach: 7000 / 3, secondsLeft: 6000 });
  assert.deepEqual(gridTimeLeft(finished, todo, 1), { secondsEach: 7000 / 3, secondsLeft: 10000 });
});

test("the scoring profile: the default one leaves a run's result key and file as they were; current gets its own", () => {
  const protocol = PROTOCOLS.tiny;
  const options = { preset: "tiny" as const, spec: { llm: "llama3.1-8b" as const, tower: "clip" as const, resolution: parseResolution("1x"), captions: "short" as const, seed: 0 } };
  const key = resultKey(options, protocol, "data");
  assert.equal(resultKey({ ...options, lmmsEval: "vendored" }, protocol, "data"), key);
  assert.notEqual(resultKey({ ...options, lmmsEval: "current" }, protocol, "data"), key);
  assert.deepEqual([evalSuffix({}), evalSuffix({ lmmsEval: "vendored" }), evalSuffix({ lmmsEval: "current", evalLimit: 100 })], ["", "", "-limit100-current"]);
  // A result file records its profile; one without the field (written before profiles) reads as vendored.
  const stored = { preset: "tiny", spec: options.spec, eval: { limit: 100 } } as unknown as RunResult;
  assert.equal(resultOptions(stored).lmmsEval, undefined);
  assert.equal(resultOptions({ ...stored, eval: { ...stored.eval, lmmsEval: "current" } }).lmmsEval, "current");
});
