/**
 * The drift between two scoring profiles on one predictions file: the file scored under each, and
 * which rule moved each item. The task's rule slots (./profile.ts) are switched from the first
 * profile to the second one at a time, in the order the task lists them; an item whose score differs
 * between the two ends is attributed to every step that changed it, and each step's change of every
 * metric is kept, so a rule that moves no item (MMMU's rounding) still shows where it moves the number.
 */
import { choiceOf, profileLabel, type AnyProfiledTask, type Profile, type RuleKind, type ScoringProfile } from "./profile.js";
import type { MetricValue } from "./task.js";
import type { PredictionRecord } from "./predictions.js";

/** Examples kept per rule. */
export const DRIFT_EXAMPLES = 5;

export interface DriftExample {
  where: string;
  prediction: string;
  /** The item's score before and after this rule's step; null: an API judge would decide. */
  before: number | null;
  after: number | null;
}

export interface RuleDrift {
  slot: string;
  kind: RuleKind;
  /** What each side does, and the lmms-eval file and function it follows. */
  from: { does: string; follows: string };
  to: { does: string; follows: string };
  /** Items whose score differs between the two profiles and that this step changed. */
  items: number;
  examples: DriftExample[];
  /** Metric → its change at this step (absent where the metric is missing on either side of the step). */
  moves: Record<string, number>;
}

export interface MetricDrift {
  metric: string;
  from?: number;
  to?: number;
  difference?: number;
  /** Items counted in this metric whose score differs between the two profiles. */
  itemsChanged: number;
}

export interface DriftReport {
  task: string;
  from: string;
  to: string;
  n: number;
  metrics: MetricDrift[];
  rules: RuleDrift[];
  /** The task's notes under the second profile (e.g. that MMBench-Cn would need a judge). */
  notes: Record<string, string>;
}

const same = (a: number | null, b: number | null): boolean => a === b;

/** Scores `records` under `from` and `to` and attributes the change, one rule slot at a time. */
export function profileDrift(task: AnyProfiledTask, records: readonly PredictionRecord<unknown>[], from: ScoringProfile, to: ScoringProfile): DriftReport {
  const slots = Object.keys(task.slots);
  const start = choiceOf(task.slots, from.lmmsEval, from.overrides);
  const end = choiceOf(task.slots, to.lmmsEval, to.overrides);
  const choices = [start];
  for (const slot of slots) choices.push({ ...choices[choices.length - 1]!, [slot]: end[slot]! });
  const steps = choices.map((choice) => {
    const built = task.build(choice);
    const logs = records.map((r) => built.processResult(r.doc, r.prediction));
    return { task: built, logs, scores: logs.map((l) => built.itemScore(l)), metrics: built.aggregate(logs) };
  });
  const first = steps[0]!;
  const last = steps[steps.length - 1]!;
  const changed = records.map((_, i) => !same(first.scores[i]!, last.scores[i]!));
  const value = (ms: readonly MetricValue[], metric: string) => ms.find((m) => m.metric === metric)?.value;
  const metricNames = [...new Set([...first.metrics, ...last.metrics].map((m) => m.metric))];
  const metrics = metricNames.map((metric): MetricDrift => {
    const [a, b] = [value(first.metrics, metric), value(last.metrics, metric)];
    const inScope = (i: number) => {
      const scope = last.task.metricScope?.(last.logs[i]!);
      return scope === undefined || scope.includes(metric);
    };
    return {
      metric,
      ...(a !== undefined ? { from: a } : {}),
      ...(b !== undefined ? { to: b } : {}),
      ...(a !== undefined && b !== undefined ? { difference: b - a } : {}),
      itemsChanged: records.filter((_, i) => changed[i] && inScope(i)).length,
    };
  });
  const rules = slots.map((slot, k): RuleDrift => {
    const [before, after] = [steps[k]!, steps[k + 1]!];
    const moved = records.flatMap((r, i) => (changed[i] && !same(before.scores[i]!, after.scores[i]!) ? [{ where: r.where, prediction: r.prediction, before: before.scores[i]!, after: after.scores[i]! }] : []));
    const moves: Record<string, number> = {};
    for (const metric of metricNames) {
      const [a, b] = [value(before.metrics, metric), value(after.metrics, metric)];
      if (a !== undefined && b !== undefined && a !== b) moves[metric] = b - a;
    }
    const spec = task.slots[slot]!;
    const side = (p: Profile) => ({ does: spec[p].does, follows: spec[p].follows });
    return { slot, kind: spec.kind, from: side(start[slot]!), to: side(end[slot]!), items: moved.length, examples: moved.slice(0, DRIFT_EXAMPLES), moves };
  });
  return { task: task.name, from: profileLabel(from), to: profileLabel(to), n: records.length, metrics, rules, notes: { ...(last.task.notes ?? {}) } };
}

const num = (v: number | undefined, digits = 6): string => (v === undefined ? "—" : Number(v.toFixed(digits)).toString());
const signed = (v: number | undefined): string => (v === undefined ? "—" : `${v > 0 ? "+" : ""}${num(v)}`);
const score = (v: number | null): string => (v === null ? "judge" : num(v, 4));
const cell = (s: string): string => s.replaceAll("|", "\\|").replaceAll("\n", "\\n");

/** The report as Markdown: the metric table, the rule table, and up to five example items per rule that moved any. */
export function driftMarkdown(report: DriftReport): string {
  const lines = [
    `## ${report.task}: ${report.from} → ${report.to} (${report.n} items)`,
    "",
    `| metric | ${report.from} | ${report.to} | difference | items changed | moved by |`,
    "|---|---|---|---|---|---|",
    ...report.metrics.map((m) => {
      const by = report.rules.filter((r) => r.moves[m.metric] !== undefined).map((r) => `${r.slot} (${r.kind}) ${signed(r.moves[m.metric])}`);
      return `| ${m.metric} | ${num(m.from)} | ${num(m.to)} | ${signed(m.difference)} | ${m.itemsChanged} | ${by.join("; ") || "—"} |`;
    }),
    "",
    `| rule | kind | items moved | ${report.from} | ${report.to} |`,
    "|---|---|---|---|---|",
    ...report.rules.map((r) => `| ${r.slot} | ${r.kind} | ${r.items} | ${cell(r.from.does)} (${cell(r.from.follows)}) | ${cell(r.to.does)} (${cell(r.to.follows)}) |`),
  ];
  for (const r of report.rules.filter((x) => x.items > 0)) {
    lines.push("", `${r.slot} (${r.kind}) moved ${r.items} item${r.items === 1 ? "" : "s"}${r.items > r.examples.length ? `; the first ${r.examples.length}` : ""}:`);
    for (const e of r.examples) lines.push(`- ${e.where}: ${JSON.stringify(e.prediction)} scored ${score(e.before)} → ${score(e.after)}`);
  }
  const notes = Object.entries(report.notes);
  if (notes.length > 0) lines.push("", ...notes.map(([k, v]) => `${k} (${report.to}): ${v}`));
  return `${lines.join("\n")}\n`;
}
