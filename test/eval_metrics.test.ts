import { test } from "node:test";
import assert from "node:assert/strict";
import { normalizeVqaAnswer, vqaAccuracy } from "../src/eval/metrics/vqa_normalizer.js";
import { parseMmeAnswer, parseMmeAnswerSingleLetter, popeNormalize } from "../src/eval/metrics/yes_no.js";
import { exactMatch } from "../src/eval/metrics/exact_match.js";
import { ai2dFlexibleExtract, extractMcqAnswer, mmbenchExtract, scienceqaCorrect, scienceqaCorrectCaseless, seedCaseless, seedExtract, seedSameCase } from "../src/eval/metrics/choice.js";
import { DEFAULT_REASONING_TAGS, stripReasoningTags } from "../src/eval/metrics/reasoning.js";
import { extractNumbers, openCorrect, openCorrectFirstCandidate, parseMultiChoice, parseOpen, pyStrOpen } from "../src/eval/metrics/mmmu_parse.js";
import { exactMean, pyCapitalize, pyFloat, pyRound, pySplit, pyStrip } from "../src/eval/metrics/python.js";
import { pope, type PopeDoc } from "../src/benchmarks/pope/task.js";
import { mme, type MmeDoc } from "../src/benchmarks/mme/task.js";
import { mmbenchEnDev, type MmbenchDoc } from "../src/benchmarks/mmbench/task.js";
import { makeMmmuTask, type MmmuDoc } from "../src/benchmarks/mmmu/task.js";
import { gqa } from "../src/benchmarks/gqa/task.js";
import { ai2d } from "../src/benchmarks/ai2d/task.js";
import { scienceqaImg } from "../src/benchmarks/scienceqa_img/task.js";

const metric = (ms: ReadonlyArray<{ metric: string; value: number }>, name: string): number => {
  const m = ms.find((x) => x.metric === name);
  assert.ok(m, `metric ${name} missing`);
  return m.value;
};

test("EvalAI normaliser: numbers, articles, contractions, commas, periods, punctuation", () => {
  assert.equal(normalizeVqaAnswer("Two."), "2");
  assert.equal(normalizeVqaAnswer("2"), "2");
  assert.equal(normalizeVqaAnswer("None"), "0");
  assert.equal(normalizeVqaAnswer("The red car"), "red car");
  assert.equal(normalizeVqaAnswer("an apple"), "apple");
  assert.equal(normalizeVqaAnswer("dont"), "don't");
  // The table's capitalised keys never match lower-cased words.
  assert.equal(normalizeVqaAnswer("Im"), "im");
  // Commas are deleted before the digit-comma rule could see them.
  assert.equal(normalizeVqaAnswer("1,000"), "1000");
  // A period goes unless a digit follows it.
  assert.equal(normalizeVqaAnswer("2.5"), "2.5");
  assert.equal(normalizeVqaAnswer("a.m."), "am");
  assert.equal(normalizeVqaAnswer("U.S.A."), "usa");
  // At most 32 periods are removed (re.UNICODE passed as `count`).
  assert.equal(normalizeVqaAnswer("x.".repeat(40)), `${"x".repeat(33)}${".x".repeat(7)}.`);
  // Punctuation next to a space is deleted, elsewhere it becomes a space.
  assert.equal(normalizeVqaAnswer("hello-world"), "hello world");
  assert.equal(normalizeVqaAnswer("yes - no"), "yes no");
  assert.equal(normalizeVqaAnswer("Cat's toy?"), "cat 's toy");
  assert.equal(normalizeVqaAnswer("hi (there)!"), "hi there");
});

test("VQA accuracy: mean over the 10 leave-one-out subsets of min(1, matches / 3)", () => {
  const refs = (k: number, hit: string, miss = "other") => [...Array<string>(k).fill(hit), ...Array<string>(10 - k).fill(miss)];
  // 2 matches: 8 subsets keep both (2/3), 2 subsets keep one (1/3): (8·2/3 + 2·1/3) / 10 = 0.6.
  assert.equal(vqaAccuracy("coca cola", refs(2, "coca cola")), 0.6);
  // 3 matches: 7 subsets · 1 + 3 subsets · 2/3 = 9, / 10 = 0.9.
  assert.equal(vqaAccuracy("the stop sign", refs(3, "stop sign")), 0.9);
  // 1 match: 9 subsets · 1/3 = 3, / 10 = 0.3.
  assert.equal(vqaAccuracy("1,000", refs(1, "1000")), 0.3);
  assert.equal(vqaAccuracy("Two.", refs(10, "2")), 1);
  assert.equal(vqaAccuracy("x", refs(4, "x")), 1);
  assert.equal(vqaAccuracy("nothing", refs(0, "x")), 0);
});

test("exact statistics.mean agrees with Python where a plain sum would not", () => {
  // Python: statistics.mean(v) vs sum(v) / len(v), for values as the VQA leave-one-out produces.
  assert.equal(exactMean([1 / 3, 2 / 3, 2 / 3]), 0.5555555555555556); // plain: 0.5555555555555555
  assert.equal(exactMean([...Array<number>(8).fill(2 / 3), 1 / 3, 1 / 3]), 0.6); // plain: 0.5999999999999999
  assert.equal(exactMean([0.1, 0.2, 0.3]), 0.2); // plain: 0.20000000000000004
  assert.equal(exactMean([1, 1, 1, 1]), 1);
});

test("Python helpers: round half-even on exact ties, float(), strip(chars), capitalize()", () => {
  assert.equal(pyRound(0.0625, 3), 0.062);
  assert.equal(pyRound(0.1875, 3), 0.188);
  assert.equal(pyRound(4 / 6, 3), 0.667);
  assert.equal(pyRound(2.675, 2), 2.67); // 2.675 is below the tie in binary
  assert.equal(pyFloat("1_000"), 1000);
  assert.equal(pyFloat("5."), 5);
  assert.equal(pyFloat("1,000"), undefined);
  assert.equal(pyFloat("-inf"), -Infinity);
  assert.equal(pyStrip("A.'", "."), "A.'"); // only leading/trailing "." go, and the last char is '
  assert.equal(pyCapitalize("what does SALE say?"), "What does sale say?");
});

test("Python helpers: strip() and split() use Python's whitespace, not JavaScript's", () => {
  // str.isspace(): U+001C–U+001F and U+0085 are whitespace, U+FEFF (BOM) is not; JavaScript's trim() says the opposite.
  assert.equal(pyStrip("\x1cA\x85\u3000"), "A");
  assert.equal(pyStrip("\ufeffA\ufeff"), "\ufeffA\ufeff");
  assert.deepEqual(pySplit("is\x1fA\x85now"), ["is", "A", "now"]);
  assert.equal(seedExtract("\x1dB"), "B");
  assert.equal(popeNormalize("Yes\x85"), "yes");
  assert.equal(pyFloat("\x1e12\x1f"), 12);
});

test("GQA exact match: case and ASCII punctuation ignored; whitespace stripped before the metric, not by it", () => {
  assert.ok(exactMatch("Red", "red"));
  assert.ok(exactMatch("left.", "left"));
  assert.ok(exactMatch("tshirt", "t-shirt"));
  // The metric itself keeps whitespace (HF evaluate's exact_match) ...
  assert.ok(!exactMatch("yes ", "yes"));
  assert.ok(!exactMatch("the cube", "cube"));
  const doc = { questionId: "q", question: "?", answer: "Yes" };
  assert.equal(gqa.processResult(doc, "yes!").exact_match, 1);
  // ... but the task scores the answer ConfigurableTask.process_results stripped, and logs it raw.
  assert.equal(gqa.processResult({ ...doc, answer: "no" }, "no ").exact_match, 1);
  assert.equal(gqa.processResult({ ...doc, answer: "man" }, " man ").exact_match, 1);
  assert.equal(gqa.processResult({ ...doc, answer: "man" }, " man ").prediction, " man ");
  assert.equal(gqa.processResult({ ...doc, answer: "man" }, "the man\n").exact_match, 0);
});

test("exact match mirrors numpy's fixed-width strings: trailing NULs dropped, lower case cut to the input's width", () => {
  // Each case checked against HF evaluate's steps run in numpy (np.asarray, np.char.lower, np.char.translate, ==).
  assert.ok(exactMatch("yes\x00", "yes"));
  assert.ok(exactMatch("Yes\x00!", "yes")); // the NUL trails once "!" is deleted
  assert.ok(exactMatch("yes\x00\x00", "yes."));
  assert.ok(!exactMatch("ye\x00s", "yes"));
  assert.ok(!exactMatch("\x00yes", "yes"));
  assert.ok(exactMatch("\u0130", "i")); // "İ".lower() is "i̇" (2 code points), cut to 1
  assert.ok(!exactMatch("\u0130", "i\u0307"));
  assert.ok(exactMatch("\u0130x", "i\u0307"));
  // Through the task: stripped first (a NUL is not whitespace), then the NUL is dropped by the comparison.
  const doc = { questionId: "q", question: "?", answer: "yes" };
  assert.equal(gqa.processResult(doc, "yes\x00").exact_match, 1);
  assert.equal(gqa.processResult(doc, " yes\x00\n").exact_match, 1);
  assert.equal(gqa.processResult(doc, "yes\x00").prediction, "yes\x00");
  assert.equal(ai2d.processResult({ questionId: "x", question: "?", options: ["p", "q"], answer: 1 }, "B\x00").exact_match, 1);
});

const popeDoc = (answer: "yes" | "no", i: number): PopeDoc => ({ questionId: `p${i}`, question: "Is there a cat?", answer, category: "random" });

test("POPE: precision and recall count only exact yes/no; yes-ratio comes from the ground truth", () => {
  assert.equal(popeNormalize("  Yes\n"), "yes");
  const cases: Array<[PopeDoc["answer"], string]> = [
    ["yes", "Yes"], // TP
    ["yes", "Yes, there is."], // neither TP nor FN: not the exact string
    ["yes", "no"], // FN
    ["no", "YES"], // FP
    ["no", "No."], // neither: not the exact string
    ["no", "nope"],
  ];
  const logs = cases.map(([gt, p], i) => pope.processResult(popeDoc(gt, i), p));
  const m = pope.aggregate(logs);
  assert.equal(metric(m, "pope_accuracy"), 1 / 6); // only the first is exactly right
  assert.equal(metric(m, "pope_precision"), 0.5); // TP 1 / (TP 1 + FP 1)
  assert.equal(metric(m, "pope_recall"), 0.5); // TP 1 / (TP 1 + FN 1): the "Yes, there is." sample is not counted
  assert.equal(metric(m, "pope_f1_score"), 0.5);
  assert.equal(metric(m, "pope_yes_ratio"), 0.5); // 3 of 6 labels are yes, whatever was predicted
  const allYes = [popeDoc("yes", 0), popeDoc("no", 1), popeDoc("no", 2), popeDoc("no", 3)].map((d) => pope.processResult(d, "yes"));
  assert.equal(metric(pope.aggregate(allYes), "pope_yes_ratio"), 0.25);
  assert.equal(metric(pope.aggregate(allYes), "pope_recall"), 1);
  const none = [popeDoc("yes", 0), popeDoc("no", 1)].map((d) => pope.processResult(d, "maybe"));
  assert.equal(metric(pope.aggregate(none), "pope_f1_score"), 0); // no TP/FP/FN: 0 by convention
});

const mmeDoc = (image: string, answer: "Yes" | "No", category = "existence"): MmeDoc => ({
  questionId: `${image}-${answer}`,
  imageId: image,
  question: "Is there a cat in this image? Please answer yes or no.",
  answer,
  category,
});

test("MME answer parsing: exact, then yes/no within the first four characters, else other", () => {
  assert.equal(parseMmeAnswer("Yes, there is"), "yes");
  assert.equal(parseMmeAnswer("No."), "no");
  assert.equal(parseMmeAnswer("Not sure"), "no");
  assert.equal(parseMmeAnswer("None"), "no");
  assert.equal(parseMmeAnswer("I think yes"), "other");
  assert.equal(parseMmeAnswer("y"), "other"); // today's lmms-eval maps "y"; LLaVA-MORE's copy does not
});

test("MME acc+ needs both questions of an image right; subtask score = acc + acc+", () => {
  const both = [mme.processResult(mmeDoc("i1", "Yes"), "Yes, there is"), mme.processResult(mmeDoc("i1", "No"), "No")];
  const one = [mme.processResult(mmeDoc("i2", "Yes"), "Yes"), mme.processResult(mmeDoc("i2", "No"), "Yes")];
  // i1: acc 100 + acc+ 100 = 200; i2: acc 50 + acc+ 0 = 50; existence = (200 + 50) / 2 = 125.
  assert.deepEqual(mme.aggregate([...both, ...one]), [{ metric: "mme_perception_score", value: 125, n: 4 }]);
  const cog = [mme.processResult(mmeDoc("c1", "Yes", "code_reasoning"), "yes"), mme.processResult(mmeDoc("c1", "No", "code_reasoning"), "no")];
  assert.deepEqual(mme.aggregate([...both, ...cog]), [
    { metric: "mme_perception_score", value: 200, n: 2 },
    { metric: "mme_cognition_score", value: 200, n: 2 },
  ]);
  assert.throws(() => mme.aggregate(both.slice(0, 1)), /image "i1" \(existence\) has 1 questions/);
});

const mmbDoc = (index: number, answer: MmbenchDoc["answer"], options: MmbenchDoc["options"] = { A: "cat", B: "dog", C: "bird", D: "fish" }): MmbenchDoc => ({
  index,
  question: "What animal is it?",
  hint: null,
  options,
  answer,
  category: "c",
  l2Category: "l2",
});

test("MMBench extraction: one letter, wrapped letters, the article guard, then a unique option text", () => {
  const opts = { A: "cat", B: "dog", C: "bird", D: "fish" };
  assert.deepEqual(mmbenchExtract("B", opts), { letter: "B", via: "option" });
  assert.deepEqual(mmbenchExtract("(C)", opts), { letter: "C", via: "option" });
  assert.deepEqual(mmbenchExtract("The answer is B.", opts), { letter: "B", via: "option" });
  // "A" among more than 3 words may be the article: the bare-letter step gives up, no wrap matches,
  // and the option texts decide.
  assert.deepEqual(mmbenchExtract("A cat is sitting here", opts), { letter: "A", via: "text" });
  assert.equal(mmbenchExtract("The answer is A", opts), null);
  assert.deepEqual(mmbenchExtract("It is a small dog.", opts), { letter: "B", via: "text" });
  assert.equal(mmbenchExtract("a cat or a dog", opts), null); // two option texts: ambiguous
  assert.deepEqual(mmbenchExtract("E", opts), { letter: "E", via: "option" }); // E is a candidate letter upstream
});

test("MMBench circular evaluation: right in 3 of 4 rotations is wrong; no judge is recorded", () => {
  const rot = (k: number, answer: MmbenchDoc["answer"], pred: string) => mmbenchEnDev.processResult(mmbDoc(7 + k * 1_000_000, answer), pred);
  const three = [rot(0, "A", "A"), rot(1, "B", "B"), rot(2, "C", "C"), rot(3, "D", "A")];
  assert.deepEqual(mmbenchEnDev.aggregate(three), [{ metric: "gpt_eval_score", value: 0, n: 1 }]);
  const four = [rot(0, "A", "A"), rot(1, "B", "B"), rot(2, "C", "(C)"), rot(3, "D", "fish")];
  assert.deepEqual(mmbenchEnDev.aggregate(four), [{ metric: "gpt_eval_score", value: 100, n: 1 }]);
  assert.equal(four[3]?.via, "text");
  assert.equal(four[0]?.judge, "none (rule-based extraction)");
  assert.equal(mmbenchEnDev.notes?.["judge"], "none (rule-based extraction)");
  // A question counts only through its rotation-0 row; an unextracted answer is wrong.
  const orphan = [rot(1, "B", "B")];
  assert.throws(() => mmbenchEnDev.aggregate(orphan), /no rotation-0 rows/);
  const unanswered = mmbenchEnDev.processResult(mmbDoc(8, "A"), "I don't know");
  assert.equal(unanswered.extracted, null);
  assert.deepEqual(mmbenchEnDev.aggregate([...four, unanswered]), [{ metric: "gpt_eval_score", value: 50, n: 2 }]);
});

test("letter extraction variants per task: A, A., (A), The answer is A", () => {
  const preds = ["A", "A.", "(A)", "The answer is A"];
  assert.deepEqual(preds.map((p) => scienceqaCorrect(p, "A")), [true, true, false, false]);
  const ai2dDoc = { questionId: "x", question: "?", options: ["p", "q"], answer: 0 };
  assert.deepEqual(preds.map((p) => ai2d.processResult(ai2dDoc, p).exact_match), [1, 1, 1, 0]);
  assert.deepEqual(preds.map(seedExtract), ["A", "A", "(", "T"]);
  assert.deepEqual(preds.map((p) => parseMultiChoice(p, ["p", "q", "r"], 0, "k").letter), ["A", "A", "A", "A"]);
  assert.deepEqual(preds.map((p) => mmbenchExtract(p, { A: "p", B: "q" })?.letter ?? null), ["A", "A", "A", null]);
  // ScienceQA's rule is case-sensitive and does not strip itself ...
  assert.equal(scienceqaCorrect("a", "A"), false);
  assert.equal(scienceqaCorrect(" A", "A"), false);
  assert.equal(scienceqaCorrect("B. dog", "B"), true);
  // ... but it reads the answer ConfigurableTask.process_results stripped: "A.\n", "B\n" and " A" count.
  const sqaDoc = { questionId: "s", question: "?", choices: ["p", "q"], hint: "", answer: 0 };
  assert.deepEqual(["A.\n", " A", "A\n", "B\n", "a\n"].map((p) => scienceqaImg.processResult(sqaDoc, p).exact_match), [1, 1, 1, 0, 0]);
  assert.deepEqual(["B\n", " B."].map((p) => scienceqaImg.processResult({ ...sqaDoc, answer: 1 }, p).exact_match), [1, 1]);
  assert.equal(scienceqaImg.processResult(sqaDoc, "A.\n").prediction, "A.\n");
  // AI2D likewise: " A\n" is "A".
  assert.deepEqual([" A\n", "\n(a) "].map((p) => ai2d.processResult(ai2dDoc, p).exact_match), [1, 1]);
});

test("MMMU multiple choice: brackets, letters, option text after 5 words, the last of several, seeded random", () => {
  const opts = ["Baroque", "Rococo", "Gothic", "Renaissance"];
  assert.deepEqual(parseMultiChoice("(B) Rococo", opts, 0, "k"), { letter: "B", via: "bracket" });
  assert.deepEqual(parseMultiChoice("C.", opts, 0, "k"), { letter: "C", via: "letter-space" }); // "." stripped, then "C "
  assert.deepEqual(parseMultiChoice("I would say that this is clearly Gothic architecture", opts, 0, "k"), { letter: "C", via: "option-text" });
  // Not more than 5 words: the option text is not looked at, so the pick is random.
  assert.equal(parseMultiChoice("clearly Gothic", opts, 0, "k").via, "random");
  // Several letters: the one that occurs last wins.
  assert.deepEqual(parseMultiChoice("A or B? I pick D", opts, 0, "k"), { letter: "D", via: "letter-space" });
  // Quirk: "DNA " proposes A, and " A " never occurs, so D (found at " D ") wins over A.
  assert.deepEqual(parseMultiChoice("DNA is D", opts, 0, "k").letter, "D");
  // The random fallback is deterministic for a (seed, sample) pair and changes with the seed.
  const pick = (seed: number) => parseMultiChoice("unclear", ["up", "down"], seed, "validation_Physics_2");
  assert.deepEqual(pick(0), { letter: "B", via: "random" });
  assert.deepEqual(pick(0), pick(0));
  assert.deepEqual(pick(1), { letter: "A", via: "random" });
  const doc: MmmuDoc = { id: "validation_Physics_2", question: "?", options: ["up", "down"], answer: "A", questionType: "multiple-choice", subject: "Physics" };
  assert.equal(makeMmmuTask(0).processResult(doc, "unclear").correct, 0);
  assert.equal(makeMmmuTask(1).processResult(doc, "unclear").correct, 1);
  // The answer is stripped first (ConfigurableTask.process_results): "A\n" is "A", not the seeded random B.
  assert.equal(parseMultiChoice("A\n", ["up", "down"], 0, "validation_Physics_2").via, "random"); // the parser alone: " A\n " has no "A "
  assert.deepEqual(pick(0).letter, "B");
  const stripped = makeMmmuTask(0).processResult(doc, "A\n");
  assert.deepEqual([stripped.parsed_pred, stripped.via, stripped.correct, stripped.prediction], ["A", "letter-space", 1, "A\n"]);
});

test("MMMU open answers: key tails, numbers, normalisation", () => {
  assert.deepEqual(parseOpen("The answer is 12."), [12]);
  assert.ok(openCorrect("12", parseOpen("The answer is 12.")));
  assert.ok(openCorrect("1000", parseOpen("It costs 1,000 dollars")));
  assert.ok(!openCorrect("3.5", parseOpen("about 4")));
  assert.ok(openCorrect("Paris", parseOpen("the capital is paris")));
  // One-character gold answers are padded with a space to avoid trivial matches.
  assert.ok(!openCorrect("a", parseOpen("banana")));
  // Quirk: the plain-number pattern also picks pieces of the comma and scientific forms.
  assert.deepEqual(extractNumbers("x = -1.5e3 or 2,000 and 7"), ["2,000", "-1.5e3", "-1", "3", "000", "7"]);
});

test("MMMU accuracy is Python's round(·, 3) of the size-weighted subject accuracies", () => {
  const task = makeMmmuTask();
  const mk = (i: number): MmmuDoc => ({ id: `validation_Math_${i}`, question: "?", options: [], answer: "12", questionType: "open", subject: "Math" });
  // 1 right of 16 = 0.0625, an exact tie at 3 decimals: half-even gives 0.062 (toFixed would give 0.063).
  const logs = Array.from({ length: 16 }, (_, i) => task.processResult(mk(i), i === 0 ? "12" : "no idea"));
  assert.deepEqual(task.aggregate(logs), [{ metric: "mmmu_acc", value: 0.062, n: 16 }]);
});

// The current profile's rules (lmms-eval 75571cfe), each against the vendored rule it replaces.

test("strip_reasoning_tags: blocks, a lone end tag, unclosed and other-case tags, order of pairs", () => {
  const strip = (s: string) => stripReasoningTags(s, DEFAULT_REASONING_TAGS);
  assert.equal(strip("<think>is it a cat?</think> Yes"), "Yes");
  assert.equal(strip("<think>a</think>B<think>c</think>"), "B");
  assert.equal(strip("<analysis>x</analysis>\nNo\n"), "No");
  // A template that prefilled "<think>": everything up to the last end tag goes.
  assert.equal(strip("first</think>second</think> C"), "C");
  // Unclosed, other case, or the end tag before the start tag: left alone (but stripped).
  assert.equal(strip("<think>Yes"), "<think>Yes");
  assert.equal(strip("<THINK>x</THINK>yes"), "<THINK>x</THINK>yes");
  assert.equal(strip("</think>a<think>b"), "</think>a<think>b");
  // No pairs: only the strip (the vendored pipeline).
  assert.equal(stripReasoningTags(" <think>x</think>A ", []), "<think>x</think>A");
});

test("AI2D flexible-extract: an upper-case letter then a full stop at the start, else the response as is", () => {
  assert.deepEqual(["A. adult", "  B.", "\tC.cat", "a. adult", "(A)", "The answer is A.", "AB."].map(ai2dFlexibleExtract), ["A", "B", "C", "a. adult", "(A)", "The answer is A.", "AB."]);
});

test("ScienceQA and SEED: the current comparisons ignore case, the vendored ones do not", () => {
  assert.deepEqual(["a", "A", "a.", "A. cat", " a "].map((p) => [scienceqaCorrect(p.trim(), "A"), scienceqaCorrectCaseless(p, "A")]), [[false, true], [true, true], [false, false], [true, true], [false, true]]);
  assert.deepEqual([seedSameCase("a", "A"), seedCaseless("a", "A"), seedCaseless("b", "A")], [false, true, false]);
});

test("MME: the current parse reads a one-character y / n", () => {
  assert.deepEqual(["y", "Y.", "n", "N", "x", "yes", "no, none"].map(parseMmeAnswerSingleLetter), ["yes", "yes", "no", "no", "other", "yes", "no"]);
  assert.deepEqual(["y", "n"].map(parseMmeAnswer), ["other", "other"]);
});

test("extract_mcq_answer: formats by priority, the later position within one, the choice list", () => {
  const cases: Array<[string, string]> = [
    ["The correct answer is (B).", "B"],
    ["B is right", "B"], // start
    ["I think it is C", "C"], // end
    ["Option C: blue", "C"], // colon
    ["(A) or (D), I would say (D) because", "D"], // parentheses, the later one
    ["The answer is B, then", "B"], // phrase
    ["答案是C。", "C"],
    ["ABC", "C"], // "C " after padding: space
    ["none of them", ""],
    ["", ""],
  ];
  for (const [response, letter] of cases) assert.equal(extractMcqAnswer(response), letter, response);
  assert.equal(extractMcqAnswer("E", ["A", "B", "C", "D"]), "");
  assert.equal(extractMcqAnswer("E"), "E");
});

test("MMMU open questions at 75571cfe: only str() of the first candidate, compared character by character", () => {
  assert.equal(openCorrect("0.5", parseOpen("Therefore the answer is 0.5")), true);
  assert.equal(openCorrectFirstCandidate("0.5", parseOpen("Therefore the answer is 0.5")), false);
  assert.equal(openCorrect("hepatitis", parseOpen("The answer is hepatitis")), true);
  assert.equal(openCorrectFirstCandidate("hepatitis", parseOpen("The answer is hepatitis")), false);
  // Only an empty gold answer is "in" a single character.
  assert.equal(openCorrectFirstCandidate("", ["x"]), true);
  assert.equal(openCorrectFirstCandidate("", []), false);
  assert.deepEqual([pyStrOpen(3), pyStrOpen(0.5), pyStrOpen("x")], ["3.0", "0.5", "x"]);
});
