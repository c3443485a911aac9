import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labTable, type LabScoreRow } from "../src/analysis/lab_stats.js";
import { EFFECT_COLUMNS, aboveBaseline, aboveBaselineMarkdown, effectsCsv, formShares, formSharesMarkdown, labEffects, meetsBar, strongestEffects, variablesMarkdown, type EffectRow } from "../src/analysis/lab_effects.js";
import { answerCollapseMarkdown, findingsDocument, writeFindings } from "../src/analysis/lab_report.js";
import { answerHabit, topAnswers } from "../src/eval/results.js";
import { TASKS } from "../src/benchmarks/registry.js";
import { beyondHabitEffects, beyondHabitSection, beyondHabitTable } from "../src/analysis/lab_habits.js";
import { tempDir } from "./helpers.js";

const LLMS = {
  "gemma2-2b": { family: "gemma2", size: "2b", llm_params: 1 },
  "llama3.1-8b": { family: "llama3.1", size: "8b", llm_params: 3 },
  "llama3-8b": { family: "llama3", size: "8b", llm_params: 3 },
} as const;

function rows(scores: Record<keyof typeof LLMS, number[]>): LabScoreRow[] {
  return Object.entries(scores).flatMap(([llm, gqa]) =>
    gqa.map((score, seed) => ({ run: `${llm}__clip-1x__short__s${seed}`, llm, ...LLMS[llm as keyof typeof LLMS], tower: "clip", resolution: "1x", image_size: 64, s2: false, captions: "short", seed, benchmark: "GQA", score })),
  );
}

// gemma2-2b: mean 12, sd 2; llama3.1-8b: mean 22, sd 2; llama3-8b: mean 21, sd 0.
const TABLE = labTable(rows({ "gemma2-2b": [10, 12, 14], "llama3.1-8b": [20, 22, 24], "llama3-8b": [21, 21, 21] }));

test("effects: every contrast of each variable, level b minus level a, in pooled seed SDs (hand-computed)", () => {
  const effects = labEffects(TABLE);
  const pick = (variable: string, a: string, b: string) => effects.find((e) => e.variable === variable && e.level_a === a && e.level_b === b);
  // LLM size: levels in order of size; the pooled SD is √((sd_a² + sd_b²) / 2).
  const up = pick("llm_size", "gemma2-2b", "llama3.1-8b")!;
  assert.deepEqual([up.effect, up.seed_sd, up.n_seeds, up.z, up.benchmark, up.context], [10, 2, 3, 5, "GQA", "clip, 1x, short captions"]);
  // Welch: se = √(4/3 + 4/3), t² = 100 / (8/3) = 37.5, df 4; with 4 df, P(|T| > t) = 1 − sin θ (1 + cos² θ / 2), tan θ = t / 2.
  const sin = Math.sqrt(37.5 / 41.5);
  assert.ok(Math.abs(up.p_welch - (1 - sin * (1 + 4 / 41.5 / 2))) < 1e-9, `p ${up.p_welch}`);
  const up3 = pick("llm_size", "gemma2-2b", "llama3-8b")!;
  assert.equal(up3.effect, 9);
  assert.ok(Math.abs(up3.seed_sd - Math.SQRT2) < 1e-12 && Math.abs(up3.z - 9 / Math.SQRT2) < 1e-12);
  // LLM family at equal size: only the two 8B models; different sizes are not family contrasts.
  const family = effects.filter((e) => e.variable === "llm_family");
  assert.equal(family.length, 1);
  assert.deepEqual([family[0]!.level_a, family[0]!.level_b, family[0]!.effect], ["llama3.1-8b", "llama3-8b", -1]);
  assert.equal(effects.filter((e) => e.variable === "llm_size").length, 2);
  // Variables the table does not vary have no contrasts.
  assert.equal(effects.filter((e) => ["tower", "resolution", "captions"].includes(e.variable)).length, 0);

  const strongest = strongestEffects(effects);
  const size = strongest.find((s) => s.variable.id === "llm_size")!;
  assert.equal(size.strongest, up3, "the largest |z| is gemma2-2b → llama3-8b (6.36 > 5)");
  assert.equal(size.adjustedP, Math.min(1, up3.p_welch * 2), "Bonferroni over the variable's 2 contrasts");
  assert.ok(meetsBar(size.strongest));
  assert.equal(strongest.find((s) => s.variable.id === "llm_family")!.strongest!.effect, -1);
  assert.equal(meetsBar(strongest.find((s) => s.variable.id === "llm_family")!.strongest), false);
  assert.equal(strongest.find((s) => s.variable.id === "tower")!.strongest, undefined);
  // Two seeds are below the bar however large the effect.
  const twoSeeds = labEffects(labTable(rows({ "gemma2-2b": [10, 12], "llama3.1-8b": [40, 42], "llama3-8b": [21, 21] })));
  assert.equal(meetsBar(strongestEffects(twoSeeds)[0]!.strongest), false);
  // A contrast with the bar's seeds takes the row before a larger one without them, and a measured noise
  // before none (z infinite: both levels the same on every seed), whatever the |z|.
  const contrast = (n_seeds: number, z: number, benchmark: string): EffectRow => ({ variable: "llm_size", level_a: "a", level_b: "b", benchmark, effect: z, seed_sd: 1, n_seeds, z, p_welch: 0.01, context: "", pairing_a: "", pairing_b: "" });
  const strongestOf = (...es: EffectRow[]) => strongestEffects(es).find((s) => s.variable.id === "llm_size")!.strongest!.benchmark;
  assert.equal(strongestOf(contrast(2, 9, "two seeds"), contrast(3, 2.5, "three seeds")), "three seeds");
  assert.equal(strongestOf(contrast(3, -Infinity, "no spread"), contrast(3, 2.5, "spread")), "spread");
  assert.equal(strongestOf(contrast(2, -Infinity, "no spread"), contrast(2, 1.5, "spread")), "spread");
  assert.equal(strongestOf(contrast(3, 2.5, "smaller"), contrast(3, -4, "larger")), "larger");
  assert.equal(strongestOf(contrast(2, 1.5, "two seeds"), contrast(3, Infinity, "no spread, three seeds")), "no spread, three seeds");
});

test("LLM size within one family contrasts only the rungs of one family; the ladder crosses families", () => {
  const row = (llm: string, family: string, size: string, seed: number, score: number): LabScoreRow => ({ run: `${llm}__s${seed}`, llm, family, size, llm_params: 1, tower: "clip", resolution: "1x", image_size: 64, s2: false, captions: "short", seed, benchmark: "GQA", score });
  const scores: [string, string, string, number[]][] = [["gemma2-2b", "gemma2", "2b", [10, 12, 14]], ["gemma2-9b", "gemma2", "9b", [11, 13, 15]], ["llama3.1-8b", "llama3.1", "8b", [20, 22, 24]]];
  const effects = labEffects(labTable(scores.flatMap(([llm, family, size, xs]) => xs.map((x, seed) => row(llm, family, size, seed, x)))));
  const inFamily = effects.filter((e) => e.variable === "llm_size_in_family");
  assert.deepEqual(inFamily.map((e) => [e.level_a, e.level_b, e.effect, e.z]), [["gemma2-2b", "gemma2-9b", 1, 0.5]]);
  assert.equal(effects.filter((e) => e.variable === "llm_size").length, 3);
  assert.equal(meetsBar(strongestEffects(effects).find((s) => s.variable.id === "llm_size_in_family")!.strongest), false);
});

test("effects.csv has the calibration columns; findings.md states every published finding and where each variable matters most", () => {
  const effects = labEffects(TABLE);
  const csv = effectsCsv(effects).trim().split("\n");
  assert.equal(csv[0], EFFECT_COLUMNS.join(","));
  assert.deepEqual(EFFECT_COLUMNS.slice(0, 8), ["variable", "level_a", "level_b", "benchmark", "effect", "seed_sd", "n_seeds", "z"]);
  assert.equal(csv.length, 1 + effects.length);
  assert.match(csv[1]!, /^llm_size,gemma2-2b,llama3\.1-8b,GQA,10,2,3,5,0\.0036,"clip, 1x, short captions"$/);

  const doc = findingsDocument(TABLE, effects);
  for (let finding = 1; finding <= 9; finding++) assert.match(doc, new RegExp(`\\*\\*Finding ${finding} — `), `finding ${finding}`);
  assert.match(doc, /Finding 3 — not in these runs\.\*\* Gemma-2-9B vs LLaMA-3\.1-8B/);
  assert.match(doc, /\| LLM size \(the 2B : 3\.8B : 8B : 9B ladder\) \| 2 \| GQA: llama3-8b vs gemma2-2b \(clip, 1x, short captions\) \| 9\.0 \| 1\.4 \| 3 \| 6\.36 \| yes \| 0\.\d{3} \| 0\.\d{3} \|/);
  assert.match(doc, /\| vision-tower objective \| 0 \| not varied in these runs \|/);

  const dir = tempDir();
  const { files } = writeFindings(TABLE, dir);
  assert.deepEqual(files, [join(dir, "effects.csv"), join(dir, "findings.md")]);
  assert.equal(readFileSync(files[1]!, "utf8"), doc);
});

test("above the text-only baseline: a pairing's seed mean must beat the prior by more than two seed SDs (hand-computed)", () => {
  // Prior 16: llama3.1-8b (22 ± 2) clears 16 + 4; llama3-8b (21, no spread) clears it; gemma2-2b (12 ± 2) does not.
  const rows = aboveBaseline(TABLE, { GQA: 16, POPE: 50 });
  assert.deepEqual(rows.map((r) => [r.pairing, r.mean, r.above]), [
    ["llama3.1-8b, clip, 1x, short captions", 22, true],
    ["llama3-8b, clip, 1x, short captions", 21, true],
    ["gemma2-2b, clip, 1x, short captions", 12, false],
  ]);
  assert.equal(aboveBaseline(TABLE, { GQA: 18.5 }).find((r) => r.pairing.startsWith("llama3.1-8b"))!.above, false, "22 − 18.5 = 3.5 is not more than 2 × 2");
  assert.deepEqual(aboveBaseline(TABLE, { POPE: 50 }), [], "benchmarks the table lacks give no rows");
  const md = aboveBaselineMarkdown(rows);
  assert.match(md, /\| GQA \| 16\.0 \| 2 of 3 \| llama3\.1-8b, clip, 1x, short captions \| 22\.0 ± 2\.0 \|/);

  // A run that gave one answer to (nearly) every item does not count, whatever its score.
  const collapsedRun = { "llama3.1-8b__clip-1x__short__s1": { GQA: { share: 0.96 } }, "llama3-8b__clip-1x__short__s0": { GQA: { share: 0.94 } } };
  const withAnswers = aboveBaseline(TABLE, { GQA: 16 }, collapsedRun);
  assert.deepEqual(withAnswers.map((r) => [r.pairing, r.collapsed, r.above]), [
    ["llama3.1-8b, clip, 1x, short captions", 1, false],
    ["llama3-8b, clip, 1x, short captions", 0, true],
    ["gemma2-2b, clip, 1x, short captions", 0, false],
  ]);
  assert.match(aboveBaselineMarkdown(withAnswers), /\| GQA \| 16\.0 \| 1 of 3 \| llama3\.1-8b, clip, 1x, short captions \| 22\.0 ± 2\.0 \| 1 of 3 \|/);

  const doc = findingsDocument(TABLE, labEffects(TABLE), { prior: { GQA: 16 } });
  assert.match(doc, /## Learned above the text-only baseline\?/);
  assert.doesNotMatch(findingsDocument(TABLE), /text-only baseline/, "no prior, no section");
});

test("answer collapse: each run's most frequent answer per benchmark, from its sample logs", () => {
  const dir = tempDir();
  const write = (run: string, task: string, predictions: string[], extra: (i: number) => object = () => ({})): void => {
    mkdirSync(join(dir, run), { recursive: true });
    writeFileSync(join(dir, run, `samples_${task}.jsonl`), predictions.map((p, i) => JSON.stringify({ doc_id: i, prediction: p, ...extra(i) }) + "\n").join(""));
  };
  write("a", "pope", ["yes", "Yes", " yes", "yes"]);
  write("a", "ai2d", ["A", "B", "A", "C is right"]);
  write("b", "pope", ["yes", "no", "no", "yes", "no"]);
  // MME's samples count towards MME-P (perception categories) or MME-C (the rest): one task, two benchmarks.
  const categories = ["existence", "color", "commonsense_reasoning", "code_reasoning", "code_reasoning"];
  const parsed = ["yes", "no", "other", "yes", "yes"];
  write("b", "mme", ["yes", "no", "yes", "yes", "yes"], (i) => ({ category: categories[i], parsed: parsed[i] }));
  write("b", "some_other_task", ["x"]);
  const a = topAnswers(join(dir, "a"), TASKS);
  // The top answer is trimmed and lower-cased; the form is read from the log as the task's scoring reads
  // it (POPE's logged prediction must be exactly "yes" or "no"; MME's parsed label must not be "other").
  assert.deepEqual(a["POPE"], { answer: "yes", share: 1, n: 4, inFormat: 0.5 });
  assert.deepEqual(a["AI2D"], { answer: "a", share: 0.5, n: 4, inFormat: 0.75 });
  const b = topAnswers(join(dir, "b"), TASKS);
  assert.deepEqual(b["POPE"], { answer: "no", share: 0.6, n: 5, inFormat: 1 });
  assert.deepEqual([b["MME-P"]!.share, b["MME-P"]!.n, b["MME-P"]!.inFormat, b["MME-C"]], [0.5, 2, 1, { answer: "yes", share: 1, n: 3, inFormat: 2 / 3 }]);
  assert.deepEqual(b["some_other_task"], { answer: "x", share: 1, n: 1 }, "an unknown task keeps its name");
  assert.deepEqual(topAnswers(join(dir, "missing"), TASKS), {});
  const md = answerCollapseMarkdown({ a, b });
  assert.match(md, /\| POPE \| 2 \| 1 \("yes"\) \| 0\.80 \|/);
  assert.match(md, /\| AI2D \| 1 \| 0 \| 0\.50 \|/);
  assert.match(md, /\| MME-C \| 1 \| 1 \("yes"\) \| 1\.00 \|/);
  assert.ok(md.indexOf("| AI2D |") < md.indexOf("| POPE |") && md.indexOf("| POPE |") < md.indexOf("| MME-P |") && md.indexOf("| MME-C |") < md.indexOf("| some_other_task |"), "README order, unknown names last");
  assert.match(findingsDocument(TABLE, labEffects(TABLE), { answers: { a } }), /## Do the runs answer more than one way\?/);
  writeFileSync(join(dir, "a", "samples_gqa.jsonl"), JSON.stringify({ doc_id: 0, answer: "x" }) + "\n");
  assert.throws(() => topAnswers(join(dir, "a"), TASKS), /samples_gqa\.jsonl:1: expected a "prediction" string/);
});

test("answered in form: per pairing, the mean over its runs; the variable table shows it for both levels of the strongest contrast", () => {
  // The TABLE's scores on MME-C, a yes/no benchmark, with each run's share of answers in form.
  const table = labTable(rows({ "gemma2-2b": [10, 12, 14], "llama3.1-8b": [20, 22, 24], "llama3-8b": [21, 21, 21] }).map((r) => ({ ...r, benchmark: "MME-C" })));
  const form: Record<string, number[]> = { "gemma2-2b": [0.2, 0.4, 0.6], "llama3.1-8b": [0.5, 0.5, 0.8], "llama3-8b": [0.9, 0.9, 0.9] };
  const answers = Object.fromEntries(Object.entries(form).flatMap(([llm, shares]) => shares.map((inFormat, seed) => [`${llm}__clip-1x__short__s${seed}`, { "MME-C": { answer: "yes", share: 0.5, n: 10, inFormat } }])));
  const shares = formShares(table, answers);
  assert.deepEqual([...shares.keys()], ["gemma2-2b, clip, 1x, short captions", "llama3.1-8b, clip, 1x, short captions", "llama3-8b, clip, 1x, short captions"]);
  assert.ok(Math.abs(shares.get("gemma2-2b, clip, 1x, short captions")!.get("MME-C")! - 0.4) < 1e-12);
  assert.ok(Math.abs(shares.get("llama3.1-8b, clip, 1x, short captions")!.get("MME-C")! - 0.6) < 1e-12);
  const md = formSharesMarkdown(shares);
  assert.match(md, /^\| pairing \| MME-C \|\n\|---\|---:\|\n\| gemma2-2b, clip, 1x, short captions \| 0\.40 \|/);
  // The strongest size contrast is gemma2-2b → llama3-8b: its levels answer in form 0.40 and 0.90 of the time.
  const effects = labEffects(table);
  assert.match(variablesMarkdown(effects, shares), /\| LLM size \(the 2B : 3\.8B : 8B : 9B ladder\) \| 2 \| MME-C: llama3-8b vs gemma2-2b .* \| 0\.40 → 0\.90 \|/);
  assert.doesNotMatch(variablesMarkdown(effects), /answered in form/, "no shares, no column");
  const doc = findingsDocument(table, effects, { answers });
  assert.match(doc, /## Do the runs answer in the benchmark's form\?/);
  assert.match(doc, /\| llama3-8b, clip, 1x, short captions \| 0\.90 \|/);
  // Open-answer benchmarks (GQA) have no form: neither the section nor the column.
  const gqaOnly = findingsDocument(TABLE, labEffects(TABLE), { answers: { "gemma2-2b__clip-1x__short__s0": { GQA: { answer: "red", share: 0.3, n: 10 } } } });
  assert.doesNotMatch(gqaOnly, /answered in form|in the benchmark's form/);
});

test("answer habits: accuracy against the run's own answers shuffled over the items (hand-computed), and the variables on the difference", () => {
  // Answers A A B A against truths A B B C: 2 of 4 right; shuffled, n_given·n_truth summed over answers is
  // A 3·1 + B 1·2 = 5 of 16. Always "A" scores what shuffling it scores: 1 of 4 both ways.
  const pairs = (given: string[], truth: string[]) => given.map((g, i) => ({ given: g, truth: truth[i]! }));
  assert.deepEqual(answerHabit(pairs(["A", "A", "B", "A"], ["A", "B", "B", "C"])), { items: 4, accuracy: 0.5, shuffled: 5 / 16 });
  assert.deepEqual(answerHabit(pairs(["A", "A", "A", "A"], ["A", "B", "B", "C"])), { items: 4, accuracy: 0.25, shuffled: 0.25 });
  assert.equal(answerHabit([]), undefined);

  // From sample logs: the task's scoredAnswer (AI2D: normalised answer against the target letter); a log
  // without the fields is not scored.
  const dir = tempDir();
  const ai2d = [["A", "A"], ["(b)", "B"], ["A", "C"], ["C is right", "C"]].map(([prediction, target], i) => JSON.stringify({ doc_id: i, prediction, target }));
  writeFileSync(join(dir, "samples_ai2d.jsonl"), `${ai2d.join("\n")}\n${JSON.stringify({ doc_id: 4, prediction: "A" })}\n`);
  // Given a, b, a, "c is right" against a, b, c, c: right 2 of 4; shuffled (a 2·1 + b 1·1) / 16 = 3/16.
  assert.deepEqual(topAnswers(dir, TASKS)["AI2D"]!.habit, { items: 4, accuracy: 0.5, shuffled: 3 / 16 });

  // The variables on accuracy − shuffled: llama3.1-8b looks (+20 points above its habit), llama3-8b does
  // not (0), whatever their headline scores; gemma2-2b has no habits logged and drops out, which leaves
  // llama3.1-8b the first level.
  const answers = Object.fromEntries(
    (TABLE.objects() as unknown as LabScoreRow[]).map((r) => [r.run, { GQA: { answer: "x", n: 10, share: 0.5, ...(r.llm === "gemma2-2b" ? {} : { habit: { items: 10, accuracy: 0.3 + (r.llm === "llama3.1-8b" ? 0.2 + r.seed / 100 : 0), shuffled: 0.3 } }) } }]),
  );
  const beyond = beyondHabitTable(TABLE, answers).objects() as unknown as LabScoreRow[];
  assert.equal(beyond.length, 6);
  const family = beyondHabitEffects(TABLE, answers).find((e) => e.variable === "llm_family")!;
  assert.deepEqual([family.level_a, family.level_b, Math.round(family.effect * 1e9) / 1e9], ["llama3.1-8b", "llama3-8b", -21]);
  const section = beyondHabitSection(beyondHabitEffects(TABLE, answers)).join("\n");
  assert.match(section, /## More than an answer habit\?/);
  assert.match(section, /\| LLM family at equal size \| 1 \| GQA: llama3-8b vs llama3\.1-8b .* \| -21\.0 \|/);
  assert.deepEqual(beyondHabitSection([]), []);
  const out = tempDir();
  const written = writeFindings(TABLE, out, { answers });
  assert.deepEqual(written.files.map((f) => f.slice(out.length + 1)), ["effects.csv", "findings.md", "habit_effects.csv"]);
  // The rows it returns are the ones it wrote.
  assert.deepEqual(written.habits, beyondHabitEffects(TABLE, answers));
  assert.deepEqual(written.effects, labEffects(TABLE));
  const bare = writeFindings(TABLE, out);
  assert.deepEqual(bare.files.map((f) => f.slice(out.length + 1)), ["effects.csv", "findings.md"]);
  assert.deepEqual(bare.habits, []);
  assert.ok(!existsSync(join(out, "habit_effects.csv")), "a stale habit_effects.csv is removed");
});
