/**
 * A reading phase: an LLM trained on text alone to find an object a question names in a scene's
 * description (docs/binding.md, "The LLM reads"). Each sequence is one training scene's dense
 * description followed by up to `turns` distinct binding questions about it, in the corpus's own
 * format ("<description>\nQuestion: …\nAnswer: …"), and only the answers carry loss — so every step
 * spends its gradient on the look-up instead of on the description's next-token statistics. The
 * reading probe (`describedReading`) measures it on the held-out scenes as it trains.
 */
import * as tf from "@tensorflow/tfjs";
import { denseCaption } from "../data/captions.js";
import { describedQuestion } from "../data/text_corpus.js";
import { IGNORE_INDEX } from "../models/llm/decoder.js";
import { documentStartId, packSequences, rowsLoss, type LabelledSequence } from "../train/llm_pretrain.js";
import { moduleState, trainLoop } from "../train/loop.js";
import { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { bindingQuestions, type BindingFamily, type FamilyBinding } from "./binding.js";
import { completionScorer, describedReading, fitsContext, type LanguageModel, type ReadingItem } from "./llm_probes.js";

export interface ReadingPhaseOptions {
  /** Families asked about (default colour, count, exists, position). */
  families: readonly BindingFamily[];
  /** Distinct questions per description, each answer supervised. */
  turns: number;
  steps: number;
  learningRate: number;
  /** Rows per step and tokens per row (sequences are packed whole). */
  rows: number;
  seqLen: number;
  /** Steps between reading measurements (and one before the first step). */
  evalEvery: number;
  seed: number;
  progress?: boolean;
  log?: (line: string) => void;
}

export interface ReadingPoint {
  step: number;
  /** Mean loss per answer token over the steps since the last point (absent at step 0). */
  loss?: number;
  families: FamilyBinding[];
}

/**
 * One labelled sequence per training scene that has something to ask: the description, then its
 * distinct questions (drawn from `turns` independent question streams) with only the answers labelled.
 * Sequences longer than `seqLen` are left out.
 */
export function readingSequences(lm: LanguageModel, scenes: readonly Scene[], o: Pick<ReadingPhaseOptions, "families" | "turns" | "seqLen" | "seed">): LabelledSequence[] {
  const asked = new Map<number, { question: string; answer: string }[]>();
  for (let k = 0; k < o.turns; k++) {
    for (const q of bindingQuestions(scenes, { seed: o.seed + k, families: o.families, label: `reading-phase-${k}` })) {
      const list = asked.get(q.sceneIndex) ?? [];
      if (!list.some((x) => x.question === q.question)) list.push({ question: q.question, answer: q.answer });
      asked.set(q.sceneIndex, list);
    }
  }
  const start = documentStartId(lm.tokenizer, lm.model.config.template);
  const sequences: LabelledSequence[] = [];
  for (const [sceneIndex, qas] of [...asked].sort((a, b) => a[0] - b[0])) {
    const ids = [start, ...lm.tokenizer.encode(denseCaption(scenes[sceneIndex]!))];
    const labels = ids.map(() => IGNORE_INDEX);
    for (const { question, answer } of qas.slice(0, o.turns)) {
      const head = lm.tokenizer.encode(describedQuestion(question));
      const reply = lm.tokenizer.encode(` ${answer}`);
      ids.push(...head, ...reply);
      labels.push(...head.map(() => IGNORE_INDEX), ...reply);
    }
    if (ids.length <= o.seqLen) sequences.push({ ids, labels });
  }
  return sequences;
}

/** Trains `lm` in place on the reading sequences of `trainScenes`, measuring `heldOut` as it goes. */
export async function trainReadingPhase(lm: LanguageModel, trainScenes: readonly Scene[], heldOut: readonly ReadingItem[], o: ReadingPhaseOptions): Promise<ReadingPoint[]> {
  if (o.seqLen > lm.model.config.maxPositions) throw new Error(`reading phase: rows of ${o.seqLen} tokens exceed the LLM's ${lm.model.config.maxPositions} positions`);
  const pool = readingSequences(lm, trainScenes, o);
  if (pool.length === 0) throw new Error(`reading phase: no training scene has a ${o.families.join("/")} question whose sequence fits ${o.seqLen} tokens`);
  const items = heldOut.filter((item) => fitsContext(lm, item));
  const log = o.log ?? (() => {});
  const measure = (): FamilyBinding[] => describedReading(completionScorer(lm), items);
  const points: ReadingPoint[] = [{ step: 0, families: measure() }];
  const describe = (p: ReadingPoint): string => `step ${p.step}${p.loss !== undefined ? ` loss ${p.loss.toFixed(3)}` : ""}: ${p.families.map((f) => `${f.family} ${(100 * f.accuracy).toFixed(1)}% (shortcut ${(100 * f.shortcut).toFixed(1)})`).join(", ")}`;
  log(`reading phase: ${pool.length} sequences (${o.families.join(", ")}; up to ${o.turns} questions each), ${o.steps} steps × ${o.rows} rows of ${o.seqLen}`);
  log(describe(points[0]!));
  let lossSum = 0;
  let lossSteps = 0;
  await trainLoop({
    label: "reading phase",
    steps: o.steps,
    schedule: { learningRate: o.learningRate, warmupFraction: 0.05 },
    weightDecay: 0.1,
    clipNorm: 1,
    state: moduleState({ model: lm.model }),
    trainable: lm.model.trainableParameters(),
    progress: o.progress ?? false,
    loss: (step) => tf.tidy(() => rowsLoss(lm.model, packSequences(pool, Random.stream(o.seed, "reading-phase-rows", step), o.rows, o.seqLen, 0), o.seqLen)),
    onStep: (info) => {
      lossSum += info.loss;
      lossSteps++;
    },
    afterStep: (step) => {
      if ((step + 1) % o.evalEvery !== 0 && step + 1 !== o.steps) return;
      const point = { step: step + 1, loss: lossSum / lossSteps, families: measure() };
      lossSum = 0;
      lossSteps = 0;
      points.push(point);
      log(describe(point));
    },
  });
  return points;
}
