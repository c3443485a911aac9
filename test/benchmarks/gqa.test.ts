import { test } from "node:test";
import assert from "node:assert/strict";
import { userText } from "../../src/eval/task.js";
import { getTask, TASKS } from "../../src/benchmarks/registry.js";
import { benchmarkChecks, docs, docsOf, promptOf, score, short, values, withAndWithoutRule } from "./checks.js";

benchmarkChecks("gqa");

test("gqa: max_new_tokens is the task yaml's", () => {
  assert.equal(TASKS.gqa.maxNewTokens, 16);
});

test("gqa: the fixture scores to its hand-computed values", () => {
  // GQA (plain layout): Red/red ✓, "left." ✓, "yes " ✓ (stripped first, as lmms-eval's
  // ConfigurableTask.process_results), green ✗, tshirt/t-shirt ✓, No/no ✓ → 5/6.
  assert.deepEqual(values(score("gqa").metrics), { exact_match: 5 / 6 });
});

test("gqa: open answers have no form to miss", () => {
  assert.equal(getTask("gqa").answeredInFormat, undefined, "gqa has open answers");
});

test("gqa: prompts are lmms-eval's strings, the image first", () => {
  assert.equal(promptOf("gqa", 0), `What color is the cube on the left?${short}`);
  // The LLaVA model puts the image first unless the prompt already places it (MMMU).
  assert.equal(userText(promptOf("gqa", 0)), `<image>\nWhat color is the cube on the left?${short}`);
});

test("gqa: HF field names map onto its doc type", () => {
  assert.equal(TASKS.gqa.docId(docsOf(TASKS.gqa)[5]!), "201640619"); // from the plain layout's question_id
});

test("gqa: profile current: the reasoning-tag step (hand-made case)", () => {
  // "red" is doc 0's answer; only lmms-eval 75571cfe's strip_reasoning_tags removes the block.
  assert.deepEqual(withAndWithoutRule("gqa", "tag", docs("gqa")[0], "<think>maybe blue</think> Red"), { current: 1, without: 0 });
  assert.deepEqual(withAndWithoutRule("gqa", "tag", docs("gqa")[0], "I checked it.</think>red"), { current: 1, without: 0 });
});
