import { test } from "node:test";
import assert from "node:assert/strict";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { benchmarkChecks, docs, docsOf, promptOf, score, short, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("textvqa_val", { noScoredAnswer: "TextVQA scores against ten references" });

test("textvqa_val: max_new_tokens is the task yaml's", () => {
  // 1024 where the yaml sets none (the LLaVA model's default).
  assert.equal(TASKS.textvqa_val.maxNewTokens, 1024);
});

test("textvqa_val: the fixture scores to its hand-computed values", () => {
  // TextVQA: "Two." vs 10×"2" → 1; 2 of 10 match → 0.6; "the stop sign" 3 of 10 → 0.9; "1,000" 1 of 10 → 0.3;
  // no match → 0. Mean (1 + 0.6 + 0.9 + 0.3 + 0) / 5 = 2.8 / 5, which is 0.5599999999999999 in floating point.
  assert.deepEqual(values(score("textvqa_val").metrics), { exact_match: 0.5599999999999999 });
});

test("textvqa_val: open answers have no form to miss", () => {
  assert.equal(getTask("textvqa_val").answeredInFormat, undefined, "textvqa_val has open answers");
});

test("textvqa_val: prompts are lmms-eval's strings", () => {
  assert.equal(promptOf("textvqa_val", 1), `What brand is the drink?\nReference OCR token: Coca-Cola, classic${short}`);
  assert.equal(promptOf("textvqa_val", 4), `What word is above the door?\nReference OCR token: ${short}`);
  assert.equal(
    TASKS.textvqa_val.prompt({ questionId: "1", question: "what does the STOP sign say?", answers: ["stop"], ocrTokens: ["STOP"] }),
    `What does the stop sign say?\nReference OCR token: STOP${short}`,
  );
});

test("textvqa_val: HF field names map onto its doc type", () => {
  assert.deepEqual(TASKS.textvqa_val.candidateAnswers(docsOf(TASKS.textvqa_val)[1]!), ["coca cola", "coke"]);
});

test("textvqa_val: profile current: the reasoning-tag step (hand-made case)", () => {
  // Doc 0's ten answers are all "2".
  assert.deepEqual(withAndWithoutRule("textvqa_val", "tag", docs("textvqa_val")[0], "<think>two dogs</think>2"), { current: 1, without: 0 });
});
