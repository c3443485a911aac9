/**
 * Binding, not only the image gap (issue 30, point 1). A model can open a large image gap without
 * finding any object: answering "some colour present in the scene" to every colour question needs no
 * binding of the question's object to its colour. So each object-level question family is scored on
 * multi-object scenes against the shortcut a scene-level, binding-free strategy reaches on the same
 * questions, and against the text-only prior (the most frequent training answer for the question's
 * template with its object words masked). Binding shows as accuracy above both.
 *
 * Families: `colour` (of a named object), `count`, `exists`, `position`, and reading — `label` (the
 * text printed on a named object: object-level) and `sign` (the one sign's number: a legibility
 * check, not binding, as a scene has at most one sign; its shortcut is the majority answer).
 *
 * Shortcut baselines are exact expected accuracies computed from the scene, never sampled:
 * - colour: answer uniformly among the distinct colours present (1/k when the answer is among them);
 * - count: the better of "the number of objects in the scene" and the majority answer. "The count of
 *   the most numerous category" (which the generator asks about half the time) is reported among the
 *   strategies but is not the shortcut: it needs the objects grouped by category, a binding itself;
 * - exists: the better of the majority answer and "bag of attributes" (yes when the colour and the
 *   category asked are each present on some object, not necessarily the same one); always-yes and
 *   always-no are reported. The set's "no" questions are near misses where a scene has one
 *   (`askExistsNearMiss`: both attributes present, on different objects), so this shortcut stays
 *   near one half; the stage-2 generator's own "no" questions mostly name an absent attribute;
 * - position: the majority answer (no scene-level strategy answers left/right without finding the two
 *   objects); always-yes / always-no reported;
 * - label: answer uniformly among the distinct labels printed in the scene; majority reported;
 * - sign: the majority answer.
 * Majorities are taken over the judged (multi-object) questions of the family in the set; ties go to
 * the alphabetically first normalised answer.
 *
 * Pure: no model, no files. A model answers the set through `binding_eval.ts`; runs record it
 * (src/study/run.ts) and `npx llava-more probe binding` trains against it (binding_probe.ts).
 */
import { ask, type FamilyName, type QA } from "../data/questions.js";
import { withArticle } from "../data/language.js";
import { exactMatchNormalize } from "../eval/metrics/exact_match.js";
import { Random } from "../util/random.js";
import type { Scene } from "../world/scene.js";
import { CATEGORIES, COLOURS } from "../world/vocabulary.js";

export const BINDING_FAMILIES = ["colour", "count", "exists", "position", "label", "sign"] as const satisfies readonly FamilyName[];
export type BindingFamily = (typeof BINDING_FAMILIES)[number];

export interface BindingQuestion extends QA {
  family: BindingFamily;
  sceneId: string;
  /** Position of the scene in the list the set was drawn from. */
  sceneIndex: number;
  objectCount: number;
  /** More than one object in the scene: binding is judged on these questions only. */
  multiObject: boolean;
  /** The question with its object words masked: what the text-only prior conditions on. */
  template: string;
  /** Expected accuracy of each scene-level, binding-free strategy on this question (0–1). */
  sceneStrategies: Record<string, number>;
  /** The text-only prior's answer, when a prior was given. */
  priorAnswer?: string;
}

/** Answers as the GQA analogue compares them: stripped, lower-cased, ASCII punctuation deleted. */
export const normaliseAnswer = (s: string): string => exactMatchNormalize(s.trim());

const COLOUR_WORDS = new Set(COLOURS.map((c) => c.name));
const CATEGORY_WORDS = new Map<string, string>(CATEGORIES.flatMap((c) => [[c.name, c.name] as const, [c.plural, c.name] as const]));

/**
 * The question with colour words as "<colour>", category words (singular or plural) as "<object>",
 * and "a"/"an" before a masked word as "a" (the article would leak the colour's first letter).
 */
export function maskTemplate(question: string): string {
  const masked = question.replace(/[A-Za-z]+/g, (w) => (COLOUR_WORDS.has(w.toLowerCase()) ? "<colour>" : CATEGORY_WORDS.has(w.toLowerCase()) ? "<object>" : w));
  return masked.replace(/\b(a|an|A|An) (?=<)/g, (_m, a: string) => (a[0] === "A" ? "A " : "a "));
}

const distinct = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

/** Expected accuracies of the scene-level strategies for one question about `scene`. */
function sceneStrategies(scene: Scene, qa: QA): Record<string, number> {
  const answer = normaliseAnswer(qa.answer);
  const hit = (x: string): number => (normaliseAnswer(x) === answer ? 1 : 0);
  switch (qa.family) {
    case "colour": {
      const colours = distinct(scene.objects.map((o) => o.colour));
      return { "a colour present": colours.some((c) => hit(c)) ? 1 / colours.length : 0 };
    }
    case "count": {
      const counts = new Map<string, number>();
      for (const o of scene.objects) counts.set(o.category, (counts.get(o.category) ?? 0) + 1);
      return { "number of objects": hit(String(scene.objects.length)), "largest category count": hit(String(Math.max(0, ...counts.values()))) };
    }
    case "exists": {
      const words = qa.question.toLowerCase().match(/[a-z]+/g) ?? [];
      const colour = words.find((w) => COLOUR_WORDS.has(w));
      const category = words.map((w) => CATEGORY_WORDS.get(w)).find((c) => c !== undefined);
      if (colour === undefined || category === undefined) return {};
      const present = scene.objects.some((o) => o.colour === colour) && scene.objects.some((o) => o.category === category);
      return { "bag of attributes": hit(present ? "yes" : "no") };
    }
    case "label": {
      const labels = distinct(scene.objects.flatMap((o) => (o.label === undefined ? [] : [o.label])));
      return { "a label present": labels.some((l) => hit(l)) ? 1 / labels.length : 0 };
    }
    default:
      return {};
  }
}

/** Tags one question of a binding family about `scene` (exported so hand-built questions can be scored). */
export function bindingQuestion(scene: Scene, qa: QA, sceneIndex: number, prior?: TextPrior): BindingQuestion {
  if (!(BINDING_FAMILIES as readonly string[]).includes(qa.family)) throw new Error(`binding: "${qa.family}" is not a binding family (${BINDING_FAMILIES.join(", ")})`);
  const template = maskTemplate(qa.question);
  const q: BindingQuestion = {
    ...qa,
    family: qa.family as BindingFamily,
    sceneId: scene.id,
    sceneIndex,
    objectCount: scene.objects.length,
    multiObject: scene.objects.length > 1,
    template,
    sceneStrategies: sceneStrategies(scene, qa),
  };
  const p = prior ? priorAnswer(prior, q.family, template) : undefined;
  if (p !== undefined) q.priorAnswer = p;
  return q;
}

/**
 * An existence question that only binding answers: half the time an object that is there ("yes"),
 * half a near miss ("no") whose colour is one object's and whose category another's, with no object
 * having both — so "bag of attributes" says yes to every question and scores one half. Undefined
 * when the scene has no near miss (one object, or every colour or every category shared); the
 * generator's own question is asked then.
 */
export function askExistsNearMiss(scene: Scene, rng: Random): QA | undefined {
  const objects = scene.objects;
  const has = (colour: string, category: string): boolean => objects.some((o) => o.colour === colour && o.category === category);
  const misses = distinct(objects.flatMap((a) => objects.filter((b) => b.colour !== a.colour && b.category !== a.category && !has(a.colour, b.category)).map((b) => `${a.colour} ${b.category}`)));
  if (misses.length === 0) return undefined;
  const ask = (thing: string, answer: string, about: number[]): QA => ({ family: "exists", question: `Is there ${withArticle(thing)} in the image?`, answer, domain: ["yes", "no"], about });
  if (rng.chance(0.5)) {
    const o = rng.pick(objects);
    return ask(`${o.colour} ${o.category}`, "yes", [o.id]);
  }
  return ask(rng.pick(misses), "no", []);
}

export interface BindingSetOptions {
  seed: number;
  families?: readonly BindingFamily[];
  /** The text-only prior each question's `priorAnswer` comes from (none: prior accuracy is not scored). */
  prior?: TextPrior;
  /** Stream label (default "binding"); the prior's training questions use another one. */
  label?: string;
}

/**
 * One question per (scene, family), for every scene that has something to ask the family, each drawn
 * by `ask` from its own stream `Random.stream(seed, "binding", family, i)`: the same scenes and seed
 * always give the same set, and adding a family or a scene leaves the other questions as they were.
 */
export function bindingQuestions(scenes: readonly Scene[], options: BindingSetOptions): BindingQuestion[] {
  const families = options.families ?? BINDING_FAMILIES;
  const label = options.label ?? "binding";
  const out: BindingQuestion[] = [];
  scenes.forEach((scene, i) => {
    for (const family of families) {
      const rng = Random.stream(options.seed, label, family, i);
      const qa = family === "exists" ? (askExistsNearMiss(scene, rng) ?? ask(family, scene, rng)) : ask(family, scene, rng);
      if (qa) out.push(bindingQuestion(scene, qa, i, options.prior));
    }
  });
  return out;
}

/** The text-only prior: the most frequent normalised answer per (family, masked template), and per family as a fallback. */
export interface TextPrior {
  byTemplate: Record<string, string>;
  byFamily: Record<string, string>;
  /** Training questions it was learned from. */
  questions: number;
}

const templateKey = (family: string, template: string): string => `${family}\u0000${template}`;

/** Most frequent value; ties to the alphabetically first. */
function majority(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)! || (n === counts.get(best)! && v < best)) best = v;
  return best;
}

/** Learns the prior from training questions (any families; only their text and answers are read). */
export function textPrior(training: readonly Pick<QA, "family" | "question" | "answer">[]): TextPrior {
  const byTemplate = new Map<string, string[]>();
  const byFamily = new Map<string, string[]>();
  for (const q of training) {
    const key = templateKey(q.family, maskTemplate(q.question));
    const a = normaliseAnswer(q.answer);
    byTemplate.set(key, [...(byTemplate.get(key) ?? []), a]);
    byFamily.set(q.family, [...(byFamily.get(q.family) ?? []), a]);
  }
  const pick = (m: Map<string, string[]>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, majority(v)!]));
  return { byTemplate: pick(byTemplate), byFamily: pick(byFamily), questions: training.length };
}

/** The prior learned from binding questions about training scenes (stream label "binding-prior"). */
export const textPriorFromScenes = (trainScenes: readonly Scene[], seed: number, families?: readonly BindingFamily[]): TextPrior =>
  textPrior(bindingQuestions(trainScenes, { seed, label: "binding-prior", ...(families ? { families } : {}) }));

/** The prior's answer for a question: its template's, else its family's, else none. */
export const priorAnswer = (prior: TextPrior, family: string, template: string): string | undefined => prior.byTemplate[templateKey(family, template)] ?? prior.byFamily[family];

export interface FamilyBinding {
  family: BindingFamily;
  /** Questions on multi-object scenes: the ones everything below is measured on. */
  n: number;
  accuracy: number;
  /** The binding-free baseline: the best of `strategies` admitted as this family's shortcut. */
  shortcut: number;
  shortcutStrategy: string;
  /** Every strategy's accuracy on the same questions (scene-level ones as expectations). */
  strategies: Record<string, number>;
  /** The text-only prior's accuracy (null when the set was drawn without a prior). */
  prior: number | null;
  /** accuracy − shortcut: binding shows as > 0 (by more than the seed spread). */
  overShortcut: number;
  overPrior: number | null;
  /** For reference: every question of the family, single-object scenes included. */
  all: { n: number; accuracy: number };
}

/** Which strategies may set each family's shortcut, in order of preference on ties (the others are reported only). */
const SHORTCUT_STRATEGIES: Record<BindingFamily, readonly string[]> = {
  colour: ["a colour present"],
  count: ["number of objects", "majority"],
  exists: ["bag of attributes", "majority"],
  position: ["majority"],
  label: ["a label present", "majority"],
  sign: ["majority"],
};

const meanOf = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

/**
 * Per family, on its multi-object questions: accuracy of `predictions` (one per question, same
 * order), the shortcut and the text-only prior on the same questions, and their differences.
 * Families with no multi-object question are left out.
 */
export function scoreBinding(questions: readonly BindingQuestion[], predictions: readonly string[]): FamilyBinding[] {
  if (predictions.length !== questions.length) throw new Error(`binding: ${predictions.length} predictions for ${questions.length} questions`);
  const correct = questions.map((q, i) => (normaliseAnswer(predictions[i]!) === normaliseAnswer(q.answer) ? 1 : 0));
  const out: FamilyBinding[] = [];
  for (const family of BINDING_FAMILIES) {
    const all = questions.map((q, i) => [q, i] as const).filter(([q]) => q.family === family);
    const judged = all.filter(([q]) => q.multiObject);
    if (judged.length === 0) continue;
    const answers = judged.map(([q]) => normaliseAnswer(q.answer));
    const constant = (a: string): number => meanOf(answers.map((x) => (x === a ? 1 : 0)));
    const strategies: Record<string, number> = { majority: constant(majority(answers)!) };
    if (family === "exists" || family === "position") {
      strategies["always yes"] = constant("yes");
      strategies["always no"] = constant("no");
    }
    const sceneNames = distinct(judged.flatMap(([q]) => Object.keys(q.sceneStrategies)));
    for (const name of sceneNames) strategies[name] = meanOf(judged.map(([q]) => q.sceneStrategies[name] ?? 0));
    // The first admitted strategy, unless a later one beats it (ties keep the earlier).
    const admitted = SHORTCUT_STRATEGIES[family].filter((name) => strategies[name] !== undefined);
    const shortcutStrategy = admitted.reduce((best, name) => (strategies[name]! > strategies[best]! ? name : best));
    const shortcut = strategies[shortcutStrategy]!;
    const accuracy = meanOf(judged.map(([, i]) => correct[i]!));
    // A set drawn with a prior carries its answers; a question the prior has none for counts as wrong.
    const withPrior = questions.some((q) => q.priorAnswer !== undefined);
    const prior = withPrior ? meanOf(judged.map(([q]) => (q.priorAnswer === normaliseAnswer(q.answer) ? 1 : 0))) : null;
    out.push({
      family,
      n: judged.length,
      accuracy,
      shortcut,
      shortcutStrategy,
      strategies,
      prior,
      overShortcut: accuracy - shortcut,
      overPrior: prior === null ? null : accuracy - prior,
      all: { n: all.length, accuracy: meanOf(all.map(([, i]) => correct[i]!)) },
    });
  }
  return out;
}
