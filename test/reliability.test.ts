/** Runs you can trust: locks, atomic writes and the refusals that keep saved work whole. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs, { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { generateDataset } from "../src/benchmarks/dataset.js";
import { Projector } from "../src/models/llava/projector.js";
import { main } from "../src/cli/index.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { checkResolution, resolutionMemoryBytes } from "../src/models/vision/resolution.js";
import { parseStudyGrid } from "../src/study/grids.js";
import { missingLogSteps, trainPairing } from "../src/study/run.js";
import { archiveRun } from "../src/study/archive.js";
import { processAlive, processStartTime, withLock, writeFileAtomic } from "../src/util/fs.js";
import { checkSeed, hashString, MAX_SEED, Random } from "../src/util/random.js";
import { tempDir } from "./helpers.js";

test("a lock naming a live process whose id was reused (another start time) is stale and taken over", async () => {
  const dir = tempDir();
  const file = join(dir, "run.lock");
  const init = processStartTime(1);
  if (init === undefined) return; // no /proc: start times are unknown and a live holder is trusted
  writeFileSync(file, `1 ${Number(init) + 12345}\n`);
  assert.equal(await withLock(file, "training", async () => readFileSync(file, "utf8").split(" ")[0]), String(process.pid));
  assert.equal(existsSync(file), false);
  writeFileSync(file, `1 ${init}\n`);
  await assert.rejects(() => withLock(file, "training", async () => 0), /training is in progress in process 1 \(lock .*run\.lock\)/);
  writeFileSync(file, "1\n"); // a lock of an earlier version, without a start time: a live holder is trusted
  await assert.rejects(() => withLock(file, "training", async () => 0), /in progress in process 1/);
});

test("writeFileAtomic replaces a file whole and leaves no temporary file", () => {
  const dir = tempDir();
  const file = join(dir, "sub", "result.json");
  writeFileAtomic(file, "old");
  writeFileAtomic(file, new Uint8Array(Buffer.from("new content")));
  assert.equal(readFileSync(file, "utf8"), "new content");
  assert.deepEqual(readdirSync(join(dir, "sub")), ["result.json"]);
});

test("seeds: only the range the random streams tell apart is accepted, and two accepted seeds never draw alike", async () => {
  assert.equal(checkSeed(0), 0);
  assert.equal(checkSeed(MAX_SEED), 4294967295);
  for (const bad of [MAX_SEED + 1, -1, 1.5, 1e20, NaN]) assert.throws(() => checkSeed(bad, "--seed"), /--seed: expected an integer from 0 to 4294967295 \(the random streams have 32-bit state/, String(bad));
  // Before the check, 2^32 silently drew seed 0's numbers.
  assert.equal(Random.stream(2 ** 32, "scene", 3).next(), Random.stream(0, "scene", 3).next());
  const seeds = [...Array.from({ length: 20000 }, (_, i) => i), 2 ** 31 - 1, 2 ** 31, MAX_SEED - 1, MAX_SEED];
  for (const label of ["scene\u00003", "stage2\u000017"]) assert.equal(new Set(seeds.map((s) => hashString(label, s))).size, seeds.length, label);
  for (const seed of ["4294967296", "99999999999999999999", "1e3"]) {
    await assert.rejects(() => main(["generate-data", "--preset", "tiny", "--seed", seed, "--out", join(tempDir(), "d")]), new RegExp(`--seed: expected an integer from 0 to 4294967295 .*, got "${seed}"`));
  }
  await assert.rejects(() => main(["train", "--preset", "tiny", "--seed", "4294967296", "--runs", tempDir()]), /--seed: expected an integer from 0 to 4294967295/);
  await assert.rejects(() => trainPairing({ preset: "tiny", spec: { llm: "llama3.1-8b", tower: "clip", resolution: {}, captions: "short", seed: 2 ** 32 }, runsDir: tempDir() }), /llama3\.1-8b__clip-1x__short__s4294967296: seed: expected an integer from 0 to 4294967295/);
  assert.throws(() => parseStudyGrid({ name: "g", title: "t", blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"] }], seeds: [0, 2 ** 32] }, "grid.json"), /grid\.json: field "seeds": expected a non-empty array of seeds, each an integer from 0 to 4294967295/);
});

test("a grid file with a typo'd name or resolution names the file, the field and what was expected", () => {
  const grid = (block: object) => ({ name: "g", title: "t", blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"] }, block], seeds: [0] });
  assert.throws(() => parseStudyGrid(grid({ llms: ["llama3.1-8b"], towers: ["clip", "clipp"] }), "my-grid.json"), /my-grid\.json: field "blocks\[1\]\.towers\[1\]": expected one of clip, siglip, siglip2, dinov2, dinov2-reg, got "clipp"/);
  assert.throws(() => parseStudyGrid(grid({ llms: ["llama-3.1-8b"], towers: ["clip"] }), "my-grid.json"), /field "blocks\[1\]\.llms\[0\]": expected one of .*llama3\.1-8b.*, got "llama-3\.1-8b"/);
  assert.throws(() => parseStudyGrid(grid({ llms: ["llama3.1-8b"], towers: ["clip"], captions: ["shrot"] }), "my-grid.json"), /field "blocks\[1\]\.captions\[0\]": expected one of short, .*got "shrot"/);
  assert.throws(() => parseStudyGrid(grid({ llms: ["llama3.1-8b"], towers: ["clip"], resolutions: [{ scale: "2x" }] }), "my-grid.json"), /field "blocks\[1\]\.resolutions\[0\]": expected an object \{scale\?: a positive multiple of the tower's side, s2\?: true or false\}, got \{"scale":"2x"\}/);
  assert.equal(parseStudyGrid(grid({ llms: ["gemma2-2b"], towers: ["siglip2"], resolutions: [{ scale: 0.75 }, { s2: true }], captions: ["dense"] }), "ok.json").blocks.length, 2);
});

test("a resolution the tower cannot take is refused before any work, with the limit in the message", async () => {
  const clip = visionConfig("clip", "tiny"); // 16 px, 4 px patches
  const GiB = 2 ** 30;
  assert.doesNotThrow(() => checkResolution(clip, {}, 240, 24 * GiB));
  assert.doesNotThrow(() => checkResolution(clip, { s2: true }, 240, 24 * GiB));
  assert.doesNotThrow(() => checkResolution(visionConfig("siglip", "small"), { s2: true }, 12000, 24 * GiB));
  assert.throws(() => checkResolution(clip, { scale: 0.01 }, 240, 24 * GiB, "clip"), /resolution 0\.01x: clip's input would be 0\.2 px, less than one 4 px patch; the smallest it takes is 0\.25x \(4 px\)/);
  assert.throws(() => checkResolution(clip, { scale: 50 }, 240, 24 * GiB, "clip"), /resolution 50x: clip at 800 px would hold about [\d.]+ GiB .*, more than this machine's 24\.0 GiB of memory; the largest scale that fits is about [\d.]+x/);
  // The memory estimate grows with the side: pixels as its square, attention as its fourth power.
  assert.ok(resolutionMemoryBytes(clip, { scale: 2 }, 240) > 4 * resolutionMemoryBytes(clip, {}, 240));
  const data = join(tempDir(), "data");
  await generateDataset({ preset: "tiny", outDir: data, progress: false });
  await assert.rejects(() => trainPairing({ preset: "tiny", spec: { llm: "llama3.1-8b", tower: "clip", resolution: { scale: 0.01 }, captions: "short", seed: 0 }, datasetDir: data, runsDir: tempDir(), zooDir: tempDir() }), /resolution 0\.01x: clip's input would be 0\.2 px/);
  await assert.rejects(() => trainPairing({ preset: "tiny", spec: { llm: "llama3.1-8b", tower: "clip", resolution: { scale: 50 }, captions: "short", seed: 0 }, datasetDir: data, runsDir: tempDir(), zooDir: tempDir() }), /resolution 50x: clip at 800 px would hold about/);
});

test("generate-data removes the partial folders a killed generation left, and keeps a live one's", async () => {
  const root = tempDir();
  const dir = join(root, "tiny");
  let dead = 999999;
  while (processAlive(dead)) dead++;
  mkdirSync(join(root, `tiny.partial-${dead}`, "images"), { recursive: true });
  mkdirSync(join(root, "tiny.partial-1"), { recursive: true }); // pid 1 is alive: a generation in progress
  mkdirSync(join(root, "other.partial-12"), { recursive: true }); // another dataset's: not ours to judge
  const lines: string[] = [];
  await generateDataset({ preset: "tiny", outDir: dir, progress: false, log: (l) => lines.push(l) });
  assert.deepEqual(readdirSync(root).sort(), ["other.partial-12", "tiny", "tiny.partial-1"]);
  assert.ok(lines.includes(`removed ${join(root, `tiny.partial-${dead}`)}, left by a generation that was killed`), lines.join("\n"));
});

test("a write that cannot happen names the file and what its folder must be", () => {
  const dir = tempDir();
  writeFileSync(join(dir, "dataset"), "a file where a folder should be");
  assert.throws(() => writeFileAtomic(join(dir, "dataset", "cache", "content.json"), "{}"), /dataset\/cache\/content\.json: cannot be written, its folder .*dataset\/cache must be a writable folder \(ENOTDIR/);
});

test("a run log missing steps before its checkpoint is named step by step (a resumed run says so instead of keeping quiet)", () => {
  const file = join(tempDir(), "log.jsonl");
  const line = (stage: number, step: number): string => `${JSON.stringify({ stage, step, loss: 1, learning_rate: 0, tokens: 1, seconds: 1, tokens_per_second: 1, backend: "cpu" })}\n`;
  writeFileSync(file, [0, 1, 2, 3].map((s) => line(1, s)).join("") + [0, 4].map((s) => line(2, s)).join("") + '{"stage":2,"st');
  assert.equal(missingLogSteps(file, [{ stage: 1, steps: 4 }, { stage: 2, steps: 5 }]), "stage 2 steps 1–3");
  assert.equal(missingLogSteps(file, [{ stage: 1, steps: 6 }, { stage: 2, steps: 3 }]), "stage 1 steps 4–5; stage 2 steps 1–2");
  assert.equal(missingLogSteps(file, [{ stage: 1, steps: 4 }, { stage: 2, steps: 1 }]), "");
  assert.equal(missingLogSteps(join(tempDir(), "none.jsonl"), [{ stage: 1, steps: 1 }]), "stage 1 step 0");
});

test("archive refuses a sample log cut mid-line or short of lines, naming the file, and archives a whole one", () => {
  const runs = tempDir();
  const run = join(runs, "p__s0");
  const evalDir = join(run, "eval-limit2");
  mkdirSync(evalDir, { recursive: true });
  writeFileSync(join(run, "result-limit2.json"), JSON.stringify({ id: "p__s0", preset: "tiny", eval: { tasks: { pope: { n: 2 } } } }));
  writeFileSync(join(evalDir, "results.json"), "{}\n");
  const samples = join(evalDir, "samples_pope.jsonl");
  const whole = '{"doc_id":0,"prediction":"yes"}\n{"doc_id":1,"prediction":"no"}\n';
  const archive = tempDir();
  writeFileSync(samples, whole.slice(0, 45));
  assert.throws(() => archiveRun(run, archive, "-limit2"), (err: Error) => err.message.startsWith(`${samples}:2: malformed JSON line`));
  writeFileSync(samples, whole.slice(0, whole.indexOf("\n") + 1));
  assert.throws(() => archiveRun(run, archive, "-limit2"), (err: Error) => err.message.startsWith(`${samples}: 1 sample lines, but ${join(run, "result-limit2.json")} counts 2 items of pope`));
  assert.equal(existsSync(join(archive, "p__s0")), false, "a refused run left files in the archive");
  writeFileSync(samples, whole);
  archiveRun(run, archive, "-limit2");
  assert.ok(existsSync(join(archive, "p__s0", "eval-limit2", "samples_pope.jsonl.gz")));
});

test("writeFileAtomic flushes the file before the rename and the folder after it", () => {
  const dir = tempDir();
  const file = join(dir, "result.json");
  const flushed: string[] = [];
  const fsync = fs.fsyncSync;
  fs.fsyncSync = (fd: number): void => {
    flushed.push(readlinkSync(`/proc/self/fd/${fd}`));
    fsync(fd);
  };
  try {
    writeFileAtomic(file, "{}\n");
  } finally {
    fs.fsyncSync = fsync;
  }
  assert.equal(flushed.length, 2, flushed.join(", "));
  assert.match(flushed[0]!, /\.result\.json\.\d+\.tmp$/); // the data, under its temporary name
  assert.equal(flushed[1], dir); // the folder, whose entry the rename changed
});

test("the first and the last accepted seed give other projector weights; 2^32 (refused) would give seed 0's", async () => {
  await initBackend();
  const weights = (seed: number): Float32Array[] => new Projector("mlp2x_gelu", 8, 8, seed).parameters().map((v) => v.dataSync() as Float32Array);
  const differ = (a: Float32Array[], b: Float32Array[]): boolean => a.some((t, i) => t.some((x, j) => x !== b[i]![j]));
  const zero = weights(0);
  for (const seed of [1, 2 ** 31, MAX_SEED]) assert.ok(differ(zero, weights(seed)), `seed ${seed} drew seed 0's weights`);
  assert.equal(differ(zero, weights(2 ** 32)), false);
});
