/**
 * Is an effect more than an answer habit? A run that answers "A" to most lettered questions scores the
 * share of items whose answer is A, whatever it sees, and two pairings with different habits differ by
 * that much with a small seed SD. Here each run's accuracy is measured against its own answers dealt
 * out at random over the same items (`answerHabit`): accuracy − shuffled is 0 for any answer policy
 * that ignores the item, and the study's variables are contrasted on that difference instead.
 */
import type { ColumnTable } from "arquero";
import { labTable, type LabScoreRow } from "./lab_stats.js";
import { labEffects, variablesMarkdown, type EffectRow, type TopAnswerShares } from "./lab_effects.js";
import { markdownSection } from "./render.js";

/** The lab table's runs with score = 100 × (accuracy − shuffled accuracy), on the benchmarks whose answers have one scored form. */
export function beyondHabitTable(lab: ColumnTable, answers: TopAnswerShares): ColumnTable {
  const rows: LabScoreRow[] = [];
  for (const r of lab.objects() as unknown as LabScoreRow[]) {
    const habit = answers[r.run]?.[r.benchmark]?.habit;
    if (habit) rows.push({ ...r, score: 100 * (habit.accuracy - habit.shuffled) });
  }
  return labTable(rows);
}

/** Every contrast of every variable on the runs' accuracy above their answer habits (`beyondHabitTable`). */
export const beyondHabitEffects = (lab: ColumnTable, answers: TopAnswerShares): EffectRow[] => labEffects(beyondHabitTable(lab, answers));

/** The findings.md section; none without any run's habits. */
export function beyondHabitSection(effects: readonly EffectRow[]): string[] {
  if (effects.length === 0) return [];
  return markdownSection(
    "More than an answer habit?",
    "Each run's accuracy (on the items scored by one answer: every benchmark but TextVQA and MMMU's open questions; MMBench per row, not circular; POPE and MME as accuracy, not F1 or score) minus the accuracy of its own answers shuffled over the same items, Σ_k n_answered(k) n_truth(k) / n², in points. It is 0 for any policy that ignores the item (always \"A\", or A and B at a fixed ratio), so a contrast here is what a variable changes beyond the letter or word the model likes. The shuffle keeps nothing of the question either: a model that answers colour questions with colours gains here without looking. The same contrasts as above, on this difference (all of them in `habit_effects.csv`):",
    variablesMarkdown(effects),
  );
}
