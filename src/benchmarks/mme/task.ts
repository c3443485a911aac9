/**
 * MME (lmms_eval/tasks/mme/mme.yaml, utils.py): the stripped question with " Please answer yes
 * or no." removed (upstream removes it because the default post_prompt is non-empty), then
 * "\nAnswer the question using a single word or phrase."; max 16 new tokens. Answers parsed by
 * parseMmeAnswer (exact yes/no, else yes/no in the first 4 characters, else other).
 * Aggregation (mme_aggregate_results): per subtask, group the two questions of each image;
 * acc = 100 · mean of the two, acc+ = 100 when both are right; the subtask score is the mean
 * over images of acc + acc+ (0–200); perception = sum over the 10 perception subtasks present,
 * cognition = sum over the 4 cognition subtasks present (0–2000 / 0–800). An image without
 * exactly two questions is an error, as upstream's assert. Upstream groups by the HF
 * `question_id`, which is the image path; here by imageId. Metric names follow today's
 * lmms-eval; LLaVA-MORE's vendored copy spells the first `mme_percetion_score`.
 * lmms-eval 75571cfe reads a one-letter "y" / "n" as yes / no (parseMmeAnswerSingleLetter).
 */

import { generatedAnswer, type LmmsTask, type MetricValue } from "../../eval/task.js";
import { parseMmeAnswer, parseMmeAnswerSingleLetter, type MmeLabel } from "../../eval/metrics/yes_no.js";
import { choiceOf, ruleOf, TAG_SLOT, type Choice, type ProfiledTask, type RuleSlot } from "../../eval/profile.js";
import { docObject, id, oneOf, str } from "../../eval/fields.js";
import { SHORT_ANSWER_PROMPT } from "../../eval/prompts.js";

export const MME_PERCEPTION = [
  "existence", "count", "position", "color", "posters", "celebrity", "scene", "landmark", "artwork", "OCR",
] as const;
export const MME_COGNITION = ["commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning"] as const;
export type MmeCategory = (typeof MME_PERCEPTION)[number] | (typeof MME_COGNITION)[number];
const MME_CATEGORIES: readonly MmeCategory[] = [...MME_PERCEPTION, ...MME_COGNITION];

export interface MmeDoc {
  questionId: string;
  imageId: string;
  /** Ends with " Please answer yes or no." as in MME. */
  question: string;
  answer: "Yes" | "No";
  category: string;
}

export interface MmeLog {
  questionId: string;
  imageId: string;
  category: string;
  prediction: string;
  parsed: MmeLabel;
  ground_truth: "yes" | "no";
  score: number;
}

const REPLACED = " Please answer yes or no.";

export interface MmeSubtaskScore {
  acc: number;
  accPlus: number;
  /** acc + acc+, 0–200. */
  score: number;
  images: number;
}

/** Per-subtask acc, acc+ and score, as upstream logs them (and sums them into the two totals). */
export function mmeSubtaskScores(logs: readonly MmeLog[]): Map<string, MmeSubtaskScore> {
  const byCategory = new Map<string, Map<string, number[]>>();
  for (const l of logs) {
    const images = byCategory.get(l.category) ?? new Map<string, number[]>();
    byCategory.set(l.category, images);
    images.set(l.imageId, [...(images.get(l.imageId) ?? []), l.score]);
  }
  const out = new Map<string, MmeSubtaskScore>();
  for (const [category, images] of byCategory) {
    let [acc, accPlus] = [0, 0];
    for (const [image, scores] of images) {
      if (scores.length !== 2) throw new Error(`mme: image "${image}" (${category}) has ${scores.length} questions; MME scores pairs`);
      const right = (scores[0] as number) + (scores[1] as number);
      acc += (right / 2) * 100;
      accPlus += right === 2 ? 100 : 0;
    }
    const k = images.size;
    out.set(category, { acc: acc / k, accPlus: accPlus / k, score: (acc + accPlus) / k, images: k });
  }
  return out;
}

// Upstream routes every category outside the perception list to cognition.
const isPerception = (l: MmeLog): boolean => (MME_PERCEPTION as readonly string[]).includes(l.category);

const PARSE_SLOT: RuleSlot<(answer: string) => MmeLabel> = {
  kind: "parse",
  vendored: { rule: parseMmeAnswer, does: "yes / no exactly, else yes or no in the first four characters", follows: "lmms_eval/tasks/mme/utils.py parse_pred_ans" },
  current: { rule: parseMmeAnswerSingleLetter, does: "the same, and a one-character \"y\" / \"n\" is yes / no", follows: "lmms_eval/tasks/mme/utils.py parse_pred_ans" },
};

const SLOTS = { tag: TAG_SLOT, parse: PARSE_SLOT };

function build(choice: Choice<typeof SLOTS>): LmmsTask<MmeDoc, MmeLog> {
  const read = (raw: string) => generatedAnswer(raw, ruleOf(SLOTS.tag, choice.tag));
  const parse = ruleOf(SLOTS.parse, choice.parse);
  return {
    name: "mme",
    benchmarks: ["MME-P", "MME-C"],
    maxNewTokens: 16,
    docId: (doc) => doc.questionId,
    prompt: (doc) => `${doc.question.trim().replaceAll(REPLACED, "")}\n${SHORT_ANSWER_PROMPT}`,
    processResult(doc, prediction) {
      const parsed = parse(read(prediction));
      const ground_truth = doc.answer === "Yes" ? "yes" : "no";
      const { questionId, imageId, category } = doc;
      return { questionId, imageId, category, prediction, parsed, ground_truth, score: parsed === ground_truth ? 1 : 0 };
    },
    itemScore: (log) => log.score,
    metricScope: (log) => [isPerception(log) ? "mme_perception_score" : "mme_cognition_score"],
    aggregate(logs) {
      const out: MetricValue[] = [];
      const groups: Array<[string, MmeLog[]]> = [
        ["mme_perception_score", logs.filter(isPerception)],
        ["mme_cognition_score", logs.filter((l) => !isPerception(l))],
      ];
      for (const [metric, part] of groups) {
        if (part.length === 0) continue;
        // Upstream sums per-subtask means in the order subtasks first appear.
        let total = 0;
        for (const s of mmeSubtaskScores(part).values()) total += s.score;
        out.push({ metric, value: total, n: part.length });
      }
      if (out.length === 0) throw new Error("mme: no samples to aggregate");
      return out;
    },
    headline: { "MME-P": "mme_perception_score", "MME-C": "mme_cognition_score" },
    answeredInFormat: (log) => log.parsed === "yes" || log.parsed === "no",
    scoredAnswer: (log) => ({ given: log.parsed, truth: log.ground_truth }),
    headlineScale: { "MME-P": 1, "MME-C": 1 },
    benchmarkOf: (log) => (isPerception(log) ? "MME-P" : "MME-C"),
    parseDoc(raw, where) {
      const d = docObject(raw, where);
      const question = str(d, ["question"], where);
      // HF MME: `question_id` is the image path, shared by the image's two questions.
      const imageId = id(d, ["imageId", "question_id"], where);
      return {
        questionId: d["questionId"] !== undefined ? id(d, ["questionId"], where) : `${imageId}::${question}`,
        imageId,
        question,
        answer: oneOf(d, ["answer"], where, ["Yes", "No"] as const, (s) => {
          const t = s.toLowerCase().trim().replaceAll(".", "");
          return t === "yes" ? "Yes" : t === "no" ? "No" : s;
        }),
        category: oneOf(d, ["category"], where, MME_CATEGORIES),
      };
    },
    candidateAnswers: () => ["yes", "no"],
  };
}

export const mmeProfiles: ProfiledTask<MmeDoc, MmeLog, typeof SLOTS> = { name: "mme", slots: SLOTS, build };
export const mme = build(choiceOf(SLOTS, "vendored"));
