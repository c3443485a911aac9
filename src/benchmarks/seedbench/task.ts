/**
 * SEED-Bench (lmms_eval/tasks/seedbench/seedbench.yaml, utils.py): the question,
 * "\nA. …\nB. …\nC. …\nD. …", then "\nAnswer with the option's letter from the given choices
 * directly."; the yaml sets no max_new_tokens, so the LLaVA model's 1024 applies. Scored by
 * seed_process_result (seedExtract: strip, keep the first character, compare case-sensitively),
 * which files each row under `seed_<data_type>` and `seed_all`, and seed_aggregation_result
 * (right / rows): seed_image over the image rows, seed_video over the video rows, seed_all over
 * every row, fractions 0–1; a metric with no rows is not reported (lmms-eval's evaluator only
 * aggregates keys some row returned). The workbench generates and evaluates image questions
 * only (the README's SEED-img column is seed_image); a predictions file's video rows are scored
 * the same way, so seed_all is lmms-eval's number, never seed_image under another name.
 * lmms-eval 75571cfe compares without case (seedCaseless: "a" answers A).
 */

import { generatedAnswer, type LmmsTask } from "../../eval/task.js";
import { optionBlock, seedCaseless, seedExtract, seedSameCase, type SeedCompare } from "../../eval/metrics/choice.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
import { docObject, id, int, oneOf, str, strList, type RawDoc } from "../../eval/fields.js";
import { LETTER_PROMPT } from "../../eval/prompts.js";

type Letter = "A" | "B" | "C" | "D";

export interface SeedDoc {
  questionId: string;
  question: string;
  choices: [string, string, string, string];
  answer: Letter;
  questionTypeId: number;
  dataType: "image" | "video";
}

export interface SeedLog {
  questionId: string;
  prediction: string;
  /** The first character of the stripped prediction (the whole of it when one character long). */
  pred: string;
  answer: Letter;
  correct: number;
  /** The doc's data_type: which of seed_image and seed_video the row counts in (all rows count in seed_all). */
  dataType: SeedDoc["dataType"];
}

function choices(d: RawDoc, where: string): SeedDoc["choices"] {
  if (d["choices"] !== undefined) {
    const c = strList(d, ["choices"], where, 4);
    if (c.length !== 4) throw new Error(`${where}: field "choices": expected 4 strings, found ${c.length}`);
    return c as SeedDoc["choices"];
  }
  return [str(d, ["choice_a"], where), str(d, ["choice_b"], where), str(d, ["choice_c"], where), str(d, ["choice_d"], where)];
}

const accuracy = (logs: readonly SeedLog[]) => {
  let right = 0;
  for (const l of logs) right += l.correct;
  return right / logs.length;
};

const CASE_SLOT: RuleSlot<SeedCompare> = {
  kind: "case",
  vendored: { rule: seedSameCase, does: "the first character equals the answer letter, case-sensitive", follows: "lmms_eval/tasks/seedbench/utils.py seed_aggregation_result" },
  current: { rule: seedCaseless, does: "compared lower-cased and stripped: \"a\" answers A", follows: "lmms_eval/tasks/seedbench/utils.py seed_aggregation_result" },
};

const SLOTS = { tag: TAG_SLOT, case: CASE_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<SeedDoc, SeedLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  const same = ruleOf(SLOTS.case, choice.case);
  return {
    name: "seedbench",
    benchmarks: ["SEED-img"],
    maxNewTokens: 1024,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.question}\n${optionBlock(doc.choices)}\n${LETTER_PROMPT}`,
    processResult(doc, prediction) {
      const pred = seedExtract(read(prediction));
      return { questionId: doc.questionId, prediction, pred, answer: doc.answer, correct: same(pred, doc.answer) ? 1 : 0, dataType: doc.dataType };
    },
    itemScore: (log) => log.correct,
    metricScope: (log) => [log.dataType === "video" ? "seed_video" : "seed_image", "seed_all"],
    aggregate(logs) {
      if (logs.length === 0) throw new Error("seedbench: no samples to aggregate");
      // The yaml's metric_list order; a log written before dataType was logged is an image row.
      const parts: Array<[string, readonly SeedLog[]]> = [
        ["seed_image", logs.filter((l) => l.dataType !== "video")],
        ["seed_video", logs.filter((l) => l.dataType === "video")],
        ["seed_all", logs],
      ];
      return parts.filter(([, part]) => part.length > 0).map(([metric, part]) => ({ metric, value: accuracy(part), n: part.length }));
    },
    headline: { "SEED-img": "seed_image" },
    headlineScale: { "SEED-img": 100 },
    answeredInFormat: (log) => typeof log.pred === "string" && ["A", "B", "C", "D"].some((letter) => same(log.pred, letter)),
    scoredAnswer: (log) => ({ given: same(log.pred, log.answer) ? log.answer : log.pred, truth: log.answer }),
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      return {
        questionId: id(d, ["questionId", "question_id", "doc_id"], where),
        question: str(d, ["question"], where),
        choices: choices(d, where),
        answer: oneOf(d, ["answer"], where, ["A", "B", "C", "D"] as const),
        questionTypeId: int(d, ["questionTypeId", "question_type_id"], where),
        dataType: oneOf(d, ["dataType", "data_type"], where, ["image", "video"] as const),
      };
    },
    candidateAnswers: () => ["A", "B", "C", "D"],
  };
}

export const seedbenchProfiles: ProfiledTask<SeedDoc, SeedLog, typeof SLOTS> = { name: "seedbench", slots: SLOTS, build };
export const seedbench = build(choiceOf(SLOTS, "vendored"));
