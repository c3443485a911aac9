import { test, before, mock } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { main } from "../src/cli/index.js";
import { IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { chatTemplate } from "../src/models/templates/registry.js";
import { listingConversation, LISTING_PROMPT, objectsEncoding, oracleEncoding, parseCurriculum, parseTurns, phaseAt, probeFamilies, scratchLanguageModel, stepSamples } from "../src/probes/binding_probe.js";
import { findChromium } from "../src/analysis/export.js";
import { Random } from "../src/util/random.js";
import { sampleScene, type Scene, type SceneObject } from "../src/world/scene.js";
import { WORLD_PRESETS } from "../src/world/presets.js";
import { CATEGORIES, COLOURS, SIZES, THEMES } from "../src/world/vocabulary.js";
import { buildZoo, defaultZooDir } from "../src/zoo/zoo.js";
import { loadZooLlm } from "../src/zoo/llms.js";
import { readingSequences } from "../src/probes/reading_phase.js";

before(async () => {
  await initBackend();
});

const obj = (id: number, category: string, colour: string, col: number, row: number): SceneObject => ({ id, category, colour, size: "large", texture: "solid", col, row, cx: (col + 0.5) / 3, cy: (row + 0.5) / 3, radius: 0.14 });
const THEME = THEMES[0]!.name;
const scene = (objects: SceneObject[], width = 96, height = 96): Scene => ({ id: "x", kind: "objects", theme: THEME, width, height, objects, edges: [] });

test("curricula parse into phases; bad text names the phase and what was expected", () => {
  const phases = parseCurriculum("colour@300;colour,count:2,exists@600;llava");
  assert.deepEqual(phases[0], { mixture: { kind: "families", weights: { colour: 1 } }, until: 300 });
  assert.deepEqual(phases[1], { mixture: { kind: "families", weights: { colour: 1, count: 2, exists: 1 } }, until: 600 });
  assert.deepEqual(phases[2], { mixture: { kind: "llava" } });
  assert.deepEqual(parseCurriculum("listing@500;colour")[0], { mixture: { kind: "listing" }, until: 500 });
  assert.equal(phaseAt(phases, 299), phases[0]);
  assert.equal(phaseAt(phases, 300), phases[1]);
  assert.equal(phaseAt(phases, 10_000), phases[2]);
  assert.throws(() => parseCurriculum("colour;llava"), /phase 1 \("colour"\) needs @STEP/);
  assert.throws(() => parseCurriculum("colour@600;count@300;llava"), /phase 2 ends at step 300, not after the previous phase's 600/);
  assert.throws(() => parseCurriculum("colours"), /"colours" is neither a mixture .* nor a question family/);
  assert.throws(() => parseCurriculum("colour:0"), /weight "0" of colour must be a positive number/);
  assert.deepEqual(parseTurns("4"), [{ turns: 4 }]);
  assert.deepEqual(parseTurns("1@200;4"), [{ turns: 1, until: 200 }, { turns: 4 }]);
  assert.throws(() => parseTurns("0"), /--turns: "0" is not a whole number of questions ≥ 1/);
  assert.throws(() => parseTurns("1;4"), /--turns: phase 1 \("1"\) needs @STEP/);
  assert.deepEqual(probeFamilies("oracle"), ["colour", "count", "exists", "position"]);
  assert.deepEqual(probeFamilies("clip"), ["colour", "count", "exists", "position", "label"]);
});

test("a listing names the colour of every object whose category is unique, in a seeded random order", () => {
  const s = scene([obj(0, "star", "red", 0, 0), obj(1, "ring", "blue", 1, 0), obj(2, "ring", "green", 2, 0), obj(3, "cube", "yellow", 0, 2)]);
  const answers = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const listing = listingConversation(s, new Random(i))!;
    assert.equal(listing.facts, 2, "the two rings are left out: a colour question cannot name them");
    assert.equal(listing.conversation.turns.length, 1);
    assert.equal(listing.conversation.turns[0]!.user, `<image>\n${LISTING_PROMPT}`);
    answers.add(listing.conversation.turns[0]!.assistant);
  }
  assert.deepEqual([...answers].sort(), ["The cube is yellow. The star is red.", "The star is red. The cube is yellow."]);
  assert.equal(listingConversation(scene([obj(0, "ring", "blue", 0, 0), obj(1, "ring", "red", 1, 0)]), new Random(0)), undefined);
});

test("the oracle encoding marks each patch with the object under its centre and the theme; the objects encoding one token per object", () => {
  const red = COLOURS.findIndex((c) => c.name === "red");
  const star = CATEGORIES.findIndex((c) => c.name === "star");
  const s = scene([obj(0, "star", "red", 1, 1)]);
  const oracle = oracleEncoding(3);
  const v = oracle.batch([s]).arraySync()[0]!;
  const centre = v[1 * 3 + 1]!; // patch (1, 1) has its centre at the star's
  assert.equal(centre[0], 0);
  assert.equal(centre[1 + red], 1);
  assert.equal(centre[1 + COLOURS.length + star], 1);
  assert.equal(centre[1 + COLOURS.length + CATEGORIES.length + SIZES.indexOf("large")], 1);
  assert.equal(centre.reduce((a, b) => a + b, 0), 4); // colour, category, size, theme
  const corner = v[0]!;
  assert.equal(corner[0], 1);
  assert.equal(corner.reduce((a, b) => a + b, 0), 2); // background, theme
  assert.equal(corner[oracle.dim - THEMES.length], 1);
  // A wide image is padded to a square: the top row of patches is padding, background only.
  const wide = oracle.batch([scene([obj(0, "star", "red", 1, 1)], 128, 64)]).arraySync()[0]!;
  assert.ok(wide.slice(0, 3).every((p) => p[0] === 1));
  assert.equal(wide[1 * 3 + 1]![0], 0, "the centre patch is still the star's");

  const objects = objectsEncoding(3);
  const o = objects.batch([scene([obj(0, "star", "red", 2, 0), obj(1, "ring", "blue", 0, 1)])]).arraySync()[0]!;
  assert.equal(o[0]![red], 1);
  assert.equal(o[0]![COLOURS.length + star], 1);
  assert.equal(o[0]![COLOURS.length + CATEGORIES.length + SIZES.length + 2], 1); // column 2
  assert.equal(o[1]![COLOURS.length + CATEGORIES.length + SIZES.length + 3 + 1], 1); // row 1
  assert.ok(o[2]!.every((x) => x === 0), "no third object: a zero token");
  assert.throws(() => objects.batch([scene([0, 1, 2, 3].map((i) => obj(i, "star", "red", i % 3, Math.floor(i / 3))))]), /4 objects, more than 3 tokens/);
});

test("a step's samples are a function of the step; several turns ask distinct questions, each answer supervised", () => {
  const scenes = Array.from({ length: 64 }, (_, i) => sampleScene(Random.stream(0, "t", i), `t${i}`, WORLD_PRESETS.small));
  const { model, tokenizer } = scratchLanguageModel("gemma2", "2b", "tiny", scenes, 0);
  const template = chatTemplate(model.config.template);
  const options = { scenes, phases: parseCurriculum("colour,count,exists,position"), turns: parseTurns("3"), batch: 12, seed: 4, tokenizer, template, room: 400 };
  const a = stepSamples(5, options);
  assert.deepEqual(stepSamples(5, options), a);
  assert.notDeepEqual(stepSamples(6, options), a);
  assert.ok(a.some((s) => s.turns === 3));
  for (const s of a) {
    const text = tokenizer.decode(s.sample.ids.filter((id) => id >= 0));
    const questions = [...text.matchAll(/([A-Z][^?\n]*\?)\n/g)].map((m) => m[1]);
    assert.equal(questions.length, s.turns, text);
    assert.equal(new Set(questions).size, s.turns, `distinct questions: ${text}`);
    // One supervised run of tokens per answer turn.
    const runs = s.sample.labels.filter((l, i) => l !== IGNORE_INDEX && (i === 0 || s.sample.labels[i - 1] === IGNORE_INDEX)).length;
    assert.equal(runs, s.turns);
  }
  // A listing phase: one supervised answer naming `turns` colours, after the listing prompt.
  for (const s of stepSamples(0, { ...options, phases: parseCurriculum("listing") })) {
    const text = tokenizer.decode(s.sample.ids.filter((id) => id >= 0));
    assert.ok(text.includes(LISTING_PROMPT), text);
    const answer = tokenizer.decode(s.sample.ids.filter((id, i) => id >= 0 && s.sample.labels[i] !== IGNORE_INDEX));
    assert.equal([...answer.matchAll(/The [a-z]+ is [a-z]+\./g)].length, s.turns, answer);
  }
  // Questions per image by step: one before step 6, then up to three.
  const phased = { ...options, turns: parseTurns("1@6;3") };
  assert.ok(stepSamples(5, phased).every((s) => s.turns === 1));
  assert.deepEqual(stepSamples(6, phased), stepSamples(6, options));
  model.dispose();
});

test("npx llava-more probe binding runs on tiny in seconds: binding per family against its references, curves and figure written, the loss falls", { timeout: 300_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), "binding-probe-"));
  const code = await main(["probe", "binding", "--preset", "tiny", "--encoding", "oracle", "--mixture", "colour@12;binding", "--turns", "2", "--projector-init", "pytorch", "--out", out]);
  assert.equal(code, 0);
  const written = JSON.parse(readFileSync(join(out, "binding_probe.json"), "utf8")) as {
    curves: { steps: number[]; loss: (number | null)[]; families: { family: string; accuracy: number[]; shortcut: number; prior: number | null; n: number }[] };
    answers: number;
    steps: number;
  };
  assert.deepEqual(written.curves.steps, [0, 8, 16, 24]);
  assert.deepEqual(written.curves.families.map((f) => f.family), ["colour", "count", "exists", "position"]);
  for (const f of written.curves.families) {
    assert.equal(f.accuracy.length, 4);
    assert.ok(f.n > 0 && f.shortcut > 0 && f.shortcut <= 1 && f.prior !== null, JSON.stringify(f));
  }
  assert.ok(written.answers > 24 * 8, `two turns where a scene has two questions: ${written.answers} answers`);
  const loss = written.curves.loss;
  assert.equal(loss[0], null);
  assert.ok(loss[3]! < loss[1]! - 0.5, `loss falls: ${loss.join(", ")}`);
  if (findChromium()) assert.ok(existsSync(join(out, "binding_probe.png")));
});

test("the probe refuses a tower encoding without a zoo, naming the command that builds it", async () => {
  const before = process.env["LLAVA_MORE_ZOO"];
  process.env["LLAVA_MORE_ZOO"] = mkdtempSync(join(tmpdir(), "no-zoo-"));
  try {
    await assert.rejects(main(["probe", "binding", "--preset", "tiny", "--encoding", "siglip", "--out", mkdtempSync(join(tmpdir(), "probe-"))]), /needs the tiny zoo's siglip tower, not built in .*; build it with: npx llava-more zoo --preset tiny --only siglip/);
    await assert.rejects(main(["probe", "colour"]), /expected the probe's name, binding/);
  } finally {
    if (before === undefined) delete process.env["LLAVA_MORE_ZOO"];
    else process.env["LLAVA_MORE_ZOO"] = before;
  }
});

test("npx llava-more probe reading tabulates each built zoo LLM's look-up in text against the shortcuts, and names the build command without one", { timeout: 300_000 }, async () => {
  const before = process.env["LLAVA_MORE_ZOO"];
  const zoo = mkdtempSync(join(tmpdir(), "reading-zoo-"));
  process.env["LLAVA_MORE_ZOO"] = zoo;
  const log = mock.method(console, "log", () => {});
  try {
    await assert.rejects(main(["probe", "reading", "--preset", "tiny", "--llm", "gemma2-2b"]), /no gemma2-2b built in .*; build it with: npx llava-more zoo --preset tiny --only gemma2-2b/);
    await buildZoo({ preset: "tiny", dir: defaultZooDir("tiny", 0), only: ["gemma2-2b"], steps: 2, progress: false });
    const empty = mkdtempSync(join(tmpdir(), "empty-zoo-"));
    await assert.rejects(main(["probe", "reading", "--preset", "tiny", "--zoo", empty]), (e: Error) => e.message.includes(`no LLM built in ${empty}`));
    assert.equal(await main(["probe", "reading", "--preset", "tiny", "--zoo", defaultZooDir("tiny", 0)]), 0);
    const text = String(log.mock.calls.at(-1)!.arguments[0]);
    assert.match(text, /\| LLM \| colour \| count \| exists \| position \|/);
    const row = text.split("\n").find((l) => l.startsWith("| gemma2-2b |"))!;
    assert.equal(row.split("|").length - 3, 4, row);
    assert.ok(/\d+\.\d \/ \d+\.\d \(\d+\)|–/.test(row), row);
  } finally {
    log.mock.restore();
    if (before === undefined) delete process.env["LLAVA_MORE_ZOO"];
    else process.env["LLAVA_MORE_ZOO"] = before;
  }
});

test("a reading phase supervises only the answers after each description, lowers its loss, and leaves a zoo that probe reading reads", { timeout: 300_000 }, async () => {
  const before = process.env["LLAVA_MORE_ZOO"];
  process.env["LLAVA_MORE_ZOO"] = mkdtempSync(join(tmpdir(), "reading-phase-zoo-"));
  const log = mock.method(console, "log", () => {});
  try {
    await buildZoo({ preset: "tiny", dir: defaultZooDir("tiny", 0), only: ["gemma2-2b"], steps: 2, progress: false });
    const lm = loadZooLlm(defaultZooDir("tiny", 0), "gemma2-2b");
    const scenes = Array.from({ length: 30 }, (_, i) => sampleScene(Random.stream(4, "reading-phase", i), `r${i}`, WORLD_PRESETS.small));
    const sequences = readingSequences(lm, scenes, { families: ["colour", "count"], turns: 3, seqLen: 512, seed: 0 });
    assert.ok(sequences.length > 0);
    for (const s of sequences) {
      const text = lm.tokenizer.decode(s.ids);
      const answers = [...text.matchAll(/\nAnswer: ([^\n]+)/g)].map((m) => m[1]!.trim());
      assert.ok(answers.length >= 1 && answers.length <= 3, text);
      assert.deepEqual(lm.tokenizer.decode(s.ids.filter((_, t) => s.labels[t] !== IGNORE_INDEX)).trim().split(/\s+/), answers, "only the answers carry labels");
    }
    const out = mkdtempSync(join(tmpdir(), "reading-phase-"));
    assert.equal(await main(["probe", "reading", "--preset", "tiny", "--train", "12", "--eval-every", "6", "--turns", "2", "--out", out]), 0);
    const record = JSON.parse(readFileSync(join(out, "reading_phase.json"), "utf8")) as { points: { step: number; loss?: number; families: { family: string }[] }[] };
    assert.deepEqual(record.points.map((p) => p.step), [0, 6, 12]);
    assert.ok(record.points[2]!.loss! < record.points[1]!.loss!, `loss ${record.points[1]!.loss} → ${record.points[2]!.loss}`);
    assert.equal(await main(["probe", "reading", "--preset", "tiny", "--zoo", join(out, "zoo")]), 0);
    assert.match(String(log.mock.calls.at(-1)!.arguments[0]), /\| gemma2-2b \|/);
    await assert.rejects(main(["probe", "reading", "--preset", "tiny", "--train", "2", "--families", "colour,theme"]), /--families.*theme/);
  } finally {
    log.mock.restore();
    if (before === undefined) delete process.env["LLAVA_MORE_ZOO"];
    else process.env["LLAVA_MORE_ZOO"] = before;
  }
});

test("npx llava-more probe shortcuts tabulates each family's shortcut and prior on world scenes", async () => {
  const log = mock.method(console, "log", () => {});
  try {
    assert.equal(await main(["probe", "shortcuts", "--preset", "tiny", "--scenes", "200"]), 0);
    const text = String(log.mock.calls[0]!.arguments[0]);
    assert.match(text, /^Binding set on 200 world scenes/);
    assert.match(text, /\| exists \| \d+ \| [\d.]+ \| (bag of attributes|majority) \| [\d.]+ \|/);
  } finally {
    log.mock.restore();
  }
});
