/**
 * Scoring profiles: which lmms-eval a score follows.
 * - `vendored` (default): the copy LLaVA-MORE vendored and evaluated with (aimagelab/LLaVA-MORE,
 *   src/lmms_eval/, commit 2460d39);
 * - `current`: EvolvingLMMs-Lab/lmms-eval at commit 75571cfe (2026-08-06) with its CLI's defaults.
 *
 * A task's scoring is a list of rule slots, data: each slot names its kind and, per profile, the rule
 * (a small function or value), what it does and the file and function of that lmms-eval version it
 * follows. A task file (src/benchmarks/<b>/task.ts) declares its slots and builds its task from one
 * profile per slot (`Choice`), so a profile is a choice for every slot, and the drift report
 * (./drift.ts) can switch the slots one at a time to tell which rule moved an item.
 */
import { DEFAULT_REASONING_TAGS, type TagPairs } from "./metrics/reasoning.js";
import type { LmmsTask } from "./task.js";

export const PROFILES = ["vendored", "current"] as const;
export type Profile = (typeof PROFILES)[number];
export const DEFAULT_PROFILE: Profile = "vendored";

/** Where each profile's rules come from. */
export const PROFILE_SOURCES: Readonly<Record<Profile, string>> = {
  vendored: "aimagelab/LLaVA-MORE src/lmms_eval (commit 2460d39)",
  current: "EvolvingLMMs-Lab/lmms-eval commit 75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3 (2026-08-06)",
};

/**
 * What kind of step a rule is: the answer strip, reasoning-tag removal, a task's filter, case folding,
 * answer parsing, the rounding of the reported number, or an API judge the profile would ask.
 */
export const RULE_KINDS = ["strip", "tag", "filter", "case", "parse", "rounding", "judge"] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

/** One profile's side of a slot: the rule, what it does, and the lmms-eval file and function it follows. */
export interface RuleSide<R> {
  rule: R;
  does: string;
  follows: string;
}

export interface RuleSlot<R> {
  kind: RuleKind;
  vendored: RuleSide<R>;
  current: RuleSide<R>;
}

/** The reasoning-tag step every task shares (generatedAnswer in ./task.ts applies it). */
export const TAG_SLOT: RuleSlot<TagPairs> = {
  kind: "tag",
  vendored: { rule: [], does: "no reasoning-tag step", follows: "lmms_eval/evaluator.py evaluate" },
  current: {
    rule: DEFAULT_REASONING_TAGS,
    does: "removes <think>…</think> and <analysis>…</analysis> blocks (and everything before a lone end tag) after the filter",
    follows: "lmms_eval/api/reasoning.py strip_reasoning_tags, called by lmms_eval/evaluator.py evaluate with the CLI default --reasoning_tags",
  },
};

/** A task's slots by name, in the order the drift report switches them. */
export type RuleSlots = Readonly<Record<string, RuleSlot<unknown>>>;

/** One profile per slot. */
export type Choice<S extends RuleSlots> = Readonly<Record<keyof S & string, Profile>>;

/** The rule a slot has under a profile. */
export const ruleOf = <R>(slot: RuleSlot<R>, profile: Profile): R => slot[profile].rule;

/** A task whose scoring depends on the profile: its slots and how to build it from a choice of them. */
export interface ProfiledTask<D, L extends object, S extends RuleSlots = RuleSlots> {
  name: string;
  slots: S;
  build(choice: Choice<S>): LmmsTask<D, L>;
}

/** A profiled task with its doc, log and slot types erased. */
export interface AnyProfiledTask {
  name: string;
  slots: RuleSlots;
  build(choice: Readonly<Record<string, Profile>>): LmmsTask<unknown, object>;
}

/** `profile` in every slot, but for `overrides` (a named variant such as MMMU's official open-question rule). */
export function choiceOf<S extends RuleSlots>(slots: S, profile: Profile, overrides: Readonly<Record<string, Profile>> = {}): Choice<S> {
  for (const name of Object.keys(overrides)) if (!Object.hasOwn(slots, name)) throw new Error(`no scoring rule "${name}"; expected one of ${Object.keys(slots).join(", ")}`);
  return Object.fromEntries(Object.keys(slots).map((name) => [name, overrides[name] ?? profile])) as Choice<S>;
}

/** A scoring profile as chosen on the command line: the lmms-eval version and any slot it takes from the other. */
export interface ScoringProfile {
  lmmsEval: Profile;
  /** Slot name → the profile whose rule it takes instead (e.g. MMMU's `open` → vendored, the official MMMU rule). */
  overrides?: Readonly<Record<string, Profile>>;
  /** How the overrides were asked for (e.g. "--mmmu-open official"), for the label. */
  variant?: string;
}

/** The task of a profiled task under a scoring profile. */
export const taskUnder = (task: AnyProfiledTask, profile: ScoringProfile): LmmsTask<unknown, object> =>
  task.build(choiceOf(task.slots, profile.lmmsEval, profile.overrides));

/** "current", or with its variant "current --mmmu-open official" (else the overridden slots, "current (open: vendored)"). */
export function profileLabel(profile: ScoringProfile): string {
  if (profile.variant !== undefined) return `${profile.lmmsEval} ${profile.variant}`;
  const overrides = Object.entries(profile.overrides ?? {}).filter(([, p]) => p !== profile.lmmsEval);
  return overrides.length === 0 ? profile.lmmsEval : `${profile.lmmsEval} (${overrides.map(([s, p]) => `${s}: ${p}`).join(", ")})`;
}
