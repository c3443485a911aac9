/**
 * The binding probe (issue 30, point 2): a stage-2 recipe — the library's LlavaModel and trainLoop,
 * projector and full LLM trained, AdamW on a cosine schedule — on one image encoding, with binding
 * per family measured every `evalEvery` steps on held-out scenes against each family's shortcut and
 * the text-only prior (binding.ts). It separates "the features do not carry the objects" from "the
 * recipe does not learn to use them": an oracle encoding carries them by construction.
 *
 * Encodings (scene → image tokens):
 *   oracle   per patch of the tower's grid (8×8 px at `small`): one-hot colour, category and size of
 *            the object under the patch centre (none: background), and the scene's theme;
 *   objects  one token per object (then zero tokens up to the world's maximum): one-hot colour,
 *            category, size, grid column and row, and the theme;
 *   a tower  its cached features (built by the caller: the CLI reads the zoo).
 *
 * The question stream is a list of phases (a curriculum); each phase draws every sample's questions
 * from a weighted family mixture, or takes the LLaVA-665K-like stage-2 mixture (`llava`). A sample
 * asks `turns` distinct questions about one image (each turn supervised), as LLaVA-665K's
 * conversations do.
 */
import * as tf from "@tensorflow/tfjs";
import { FAMILY_NAMES, ask, type FamilyName, type QA } from "../data/questions.js";
import { instructionSample, weightedQuestions } from "../data/instructions.js";
import type { LlavaSample as LlavaJsonSample } from "../data/llava_json.js";
import { CausalLM } from "../models/llm/decoder.js";
import { llmConfig, type LlmFamily } from "../models/llm/registry.js";
import type { LlmSize } from "../models/llm/config.js";
import { trainFamilyTokenizer } from "../models/tokenizer/family.js";
import type { Preset } from "../presets.js";
import { LlavaModel, type LlavaSample } from "../models/llava/llava.js";
import type { ProjectorInit } from "../models/llava/projector.js";
import { encodeConversation } from "../models/templates/encode.js";
import { chatTemplate } from "../models/templates/registry.js";
import type { ChatTemplate, Conversation } from "../models/templates/template.js";
import type { FamilyTokenizer } from "../models/tokenizer/tokenizer.js";
import { trainLoop } from "../train/loop.js";
import { fitToRoom } from "../train/llava_stages.js";
import { Random } from "../util/random.js";
import { namedByCategory, sampleScene, type Scene } from "../world/scene.js";
import { WORLD_PRESETS } from "../world/presets.js";
import { CATEGORIES, COLOURS, SIZES, THEMES } from "../world/vocabulary.js";
import { BINDING_FAMILIES, type BindingFamily, type FamilyBinding } from "./binding.js";
import { bindingPrompt, bindingSet, measureBinding, type BindingSet } from "./binding_eval.js";

/** Scenes drawn from the world preset for the probe (`label` "t" training, "h" held out): oracle and object encodings need no images. */
export const probeWorldScenes = (preset: Preset, seed: number, label: string, n: number): Scene[] =>
  Array.from({ length: n }, (_, i) => sampleScene(Random.stream(seed, "binding-probe-scenes", label, i), `${label}${i}`, WORLD_PRESETS[preset]));

/** Image tokens for scenes: an encoding computed from the scene graph, or a tower's cached features. */
export interface SceneFeatures {
  readonly name: string;
  readonly tokens: number;
  readonly dim: number;
  batch(scenes: readonly Scene[]): tf.Tensor3D;
}

const oneHot = (out: Float32Array, offset: number, size: number, index: number): void => {
  if (index >= 0) out[offset + index] = 1;
};
const indexIn = (names: readonly { name: string }[], name: string): number => names.findIndex((x) => x.name === name);

function fromVectors(name: string, tokens: number, dim: number, encode: (scene: Scene, out: Float32Array) => void): SceneFeatures {
  return {
    name,
    tokens,
    dim,
    batch(scenes) {
      const data = new Float32Array(scenes.length * tokens * dim);
      scenes.forEach((scene, i) => encode(scene, data.subarray(i * tokens * dim, (i + 1) * tokens * dim)));
      return tf.tensor3d(data, [scenes.length, tokens, dim]);
    },
  };
}

/**
 * The oracle patch encoding on a `grid` × `grid` patch grid over the image padded to a square (centred,
 * as the towers' pad-to-square step): per patch, background flag, colour, category, size, theme.
 */
export function oracleEncoding(grid: number): SceneFeatures {
  const dim = 1 + COLOURS.length + CATEGORIES.length + SIZES.length + THEMES.length;
  return fromVectors("oracle", grid * grid, dim, (scene, out) => {
    const side = Math.max(scene.width, scene.height);
    const left = (side - scene.width) / 2;
    const top = (side - scene.height) / 2;
    const short = Math.min(scene.width, scene.height);
    const theme = indexIn(THEMES, scene.theme);
    for (let r = 0; r < grid; r++) {
      for (let c = 0; c < grid; c++) {
        const x = ((c + 0.5) / grid) * side - left;
        const y = ((r + 0.5) / grid) * side - top;
        const under = scene.objects.find((o) => Math.hypot(x - o.cx * scene.width, y - o.cy * scene.height) <= o.radius * short);
        const v = out.subarray((r * grid + c) * dim, (r * grid + c + 1) * dim);
        if (!under) v[0] = 1;
        else {
          oneHot(v, 1, COLOURS.length, indexIn(COLOURS, under.colour));
          oneHot(v, 1 + COLOURS.length, CATEGORIES.length, indexIn(CATEGORIES, under.category));
          oneHot(v, 1 + COLOURS.length + CATEGORIES.length, SIZES.length, SIZES.indexOf(under.size));
        }
        oneHot(v, 1 + COLOURS.length + CATEGORIES.length + SIZES.length, THEMES.length, theme);
      }
    }
  });
}

/** One token per object (`maxObjects` tokens; absent objects are zero tokens): colour, category, size, column, row, theme. */
export function objectsEncoding(maxObjects: number): SceneFeatures {
  const dim = COLOURS.length + CATEGORIES.length + SIZES.length + 3 + 3 + THEMES.length;
  return fromVectors("objects", maxObjects, dim, (scene, out) => {
    if (scene.objects.length > maxObjects) throw new Error(`objects encoding: scene ${scene.id} has ${scene.objects.length} objects, more than ${maxObjects} tokens`);
    scene.objects.forEach((o, i) => {
      const v = out.subarray(i * dim, (i + 1) * dim);
      let at = 0;
      oneHot(v, at, COLOURS.length, indexIn(COLOURS, o.colour));
      oneHot(v, (at += COLOURS.length), CATEGORIES.length, indexIn(CATEGORIES, o.category));
      oneHot(v, (at += CATEGORIES.length), SIZES.length, SIZES.indexOf(o.size));
      oneHot(v, (at += SIZES.length), 3, o.col);
      oneHot(v, (at += 3), 3, o.row);
      oneHot(v, (at += 3), THEMES.length, indexIn(THEMES, scene.theme));
    });
  });
}

/**
 * `llava`: the stage-2 mixture's own samples; `listing`: one turn naming the colour of every object
 * whose category is unique ("The star is red. The ring is blue."), as region descriptions
 * (RefCOCO, Visual Genome) in LLaVA-665K; otherwise question families with weights.
 */
export type ProbeMixture = { kind: "llava" } | { kind: "listing" } | { kind: "families"; weights: Partial<Record<FamilyName, number>> };

/** A curriculum phase: its mixture until step `until` (exclusive; the last phase runs to the end). */
export interface ProbePhase {
  mixture: ProbeMixture;
  until?: number;
}

/** Named mixtures: `binding` is the prototype's theme / colour / count / existence at 25% each. */
export const NAMED_MIXTURES: Record<string, ProbeMixture> = {
  llava: { kind: "llava" },
  listing: { kind: "listing" },
  binding: { kind: "families", weights: { theme: 1, colour: 1, count: 1, exists: 1 } },
  objects: { kind: "families", weights: { colour: 1, count: 1, exists: 1, position: 1 } },
};

/**
 * Phases from text: `BODY[@UNTIL]` joined by ";", UNTIL the step the phase ends at (every phase but
 * the last needs one, each after the previous); `body` reads each BODY.
 */
function parsePhases<T>(flag: string, text: string, body: (text: string) => T): { value: T; until?: number }[] {
  const phases = text.split(";").map((part, i, all) => {
    const [head, until] = part.trim().split("@");
    if (!head) throw new Error(`--${flag}: phase ${i + 1} of "${text}" is empty`);
    const untilStep = until === undefined ? undefined : Number(until);
    if (untilStep !== undefined && !(Number.isInteger(untilStep) && untilStep > 0)) throw new Error(`--${flag}: phase ${i + 1} ends at "${until}"; expected a positive whole step`);
    if (untilStep === undefined && i < all.length - 1) throw new Error(`--${flag}: phase ${i + 1} ("${part}") needs @STEP (where the next phase starts)`);
    return { value: body(head), ...(untilStep !== undefined ? { until: untilStep } : {}) };
  });
  phases.reduce((prev, p, i) => {
    if (p.until !== undefined && p.until <= prev) throw new Error(`--${flag}: phase ${i + 1} ends at step ${p.until}, not after the previous phase's ${prev}`);
    return p.until ?? prev;
  }, 0);
  return phases;
}

/**
 * A curriculum from text: phases joined by ";", each `MIXTURE[@UNTIL]` where MIXTURE is a named
 * mixture (llava, listing, binding, objects), one family, families joined by "," (equal weights) or
 * `family:weight` pairs; UNTIL is the step the phase ends at (every phase but the last needs one).
 * "colour@300;colour,count,exists@600;llava".
 */
export function parseCurriculum(text: string): ProbePhase[] {
  return parsePhases("mixture", text, (mix): ProbeMixture => {
    const named = NAMED_MIXTURES[mix];
    if (named) return named;
    const weights: Partial<Record<FamilyName, number>> = {};
    for (const item of mix.split(",")) {
      const [family, w] = item.split(":");
      if (!(FAMILY_NAMES as readonly string[]).includes(family!)) throw new Error(`--mixture: "${family}" is neither a mixture (${Object.keys(NAMED_MIXTURES).join(", ")}) nor a question family (${FAMILY_NAMES.join(", ")})`);
      const weight = w === undefined ? 1 : Number(w);
      if (!(weight > 0)) throw new Error(`--mixture: weight "${w}" of ${family} must be a positive number`);
      weights[family as FamilyName] = weight;
    }
    return { kind: "families", weights };
  }).map(({ value, until }) => ({ mixture: value, ...(until !== undefined ? { until } : {}) }));
}

/** Distinct questions per image from step 0 until `until` (the last phase to the end). */
export interface TurnsPhase {
  turns: number;
  until?: number;
}

/**
 * Questions per image over a run: `N` throughout, or phases `N@UNTIL;…` as a curriculum's —
 * "1@200;4" asks one question per image for 200 steps, then up to four (docs/binding.md: one question
 * first lets the look-up form; packing before it holds the model at the bag-of-colours shortcut).
 */
export function parseTurns(text: string): TurnsPhase[] {
  return parsePhases("turns", text, (n) => {
    const turns = Number(n);
    if (!(Number.isInteger(turns) && turns >= 1)) throw new Error(`--turns: "${n}" is not a whole number of questions ≥ 1`);
    return turns;
  }).map(({ value, until }) => ({ turns: value, ...(until !== undefined ? { until } : {}) }));
}

export const phaseAt = <P extends { until?: number }>(phases: readonly P[], step: number): P => phases.find((p) => p.until === undefined || step < p.until) ?? phases[phases.length - 1]!;

export const LISTING_PROMPT = "What color is each object?";

/**
 * The colour of each object a colour question could name (its category unique in the scene), in a
 * random order: each colour follows its category two tokens back, so it is learned by finding that
 * category among the image tokens — the look-up a colour question needs, without first carrying the
 * category from the question to the answer. Undefined when no category is unique.
 */
export function listingConversation(scene: Scene, rng: Random): { conversation: Conversation; facts: number } | undefined {
  const named = namedByCategory(scene);
  if (named.length === 0) return undefined;
  const order = rng.shuffle(named);
  const answer = order.map((o) => `The ${o.category} is ${o.colour}.`).join(" ");
  return { conversation: { turns: [{ user: `<image>\n${LISTING_PROMPT}`, assistant: answer }], system: "" }, facts: order.length };
}

/** A question conversation: `<image>` in the first turn, each question as the GQA analogue asks it. */
export const questionConversation = (qas: readonly QA[]): Conversation => ({
  turns: qas.map((qa, i) => ({ user: `${i === 0 ? "<image>\n" : ""}${bindingPrompt(qa.question)}`, assistant: qa.answer })),
  system: "",
});

const llavaConversation = (sample: LlavaJsonSample): Conversation => {
  const turns = [];
  for (let i = 0; i + 1 < sample.conversations.length; i += 2) turns.push({ user: sample.conversations[i]!.value, assistant: sample.conversations[i + 1]!.value });
  return { turns, system: "" };
};

export interface ProbeSample {
  sample: LlavaSample;
  scene: Scene;
  /** Supervised answer turns (in a listing, the colours it names). */
  turns: number;
}

export interface StreamOptions {
  scenes: readonly Scene[];
  phases: readonly ProbePhase[];
  /** Questions per image by step (`parseTurns`). */
  turns: readonly TurnsPhase[];
  batch: number;
  seed: number;
  tokenizer: FamilyTokenizer;
  template: ChatTemplate;
  /** Positions for text once the image tokens are counted (maxPositions − image tokens + 1). */
  room: number;
}

/** The samples of step `step`: a function of the step alone (a resumed or repeated run sees the same batch). */
export function stepSamples(step: number, o: StreamOptions): ProbeSample[] {
  const rng = Random.stream(o.seed, "binding-probe", step);
  const phase = phaseAt(o.phases, step);
  const questionsPerImage = phaseAt(o.turns, step).turns;
  const byId = new Map(o.scenes.map((s) => [s.id, s]));
  const out: ProbeSample[] = [];
  for (let b = 0, tries = 0; out.length < o.batch; b++, tries++) {
    if (tries > 50 * o.batch) throw new Error(`binding probe: the mixture found no question for ${o.batch} scenes (step ${step})`);
    let conversation: Conversation;
    let scene: Scene;
    let turns: number;
    if (phase.mixture.kind === "llava") {
      const s = instructionSample(o.scenes, o.seed, step * o.batch * 4 + b, (x) => x.id);
      if (s.image === undefined) continue; // text-only samples teach no binding; the probe asks about images
      scene = byId.get(s.image)!;
      conversation = llavaConversation(s);
      turns = conversation.turns.length;
    } else if (phase.mixture.kind === "listing") {
      scene = rng.pick(o.scenes);
      const listing = listingConversation(scene, rng);
      if (!listing) continue;
      conversation = listing.conversation;
      turns = listing.facts;
    } else {
      scene = rng.pick(o.scenes);
      const qas = weightedQuestions(scene, phase.mixture.weights, questionsPerImage, rng);
      if (qas.length === 0) continue;
      conversation = questionConversation(qas);
      turns = qas.length;
    }
    const sample = fitToRoom(encodeConversation(o.tokenizer, o.template, conversation), o.room);
    if (sample) out.push({ sample, scene, turns });
  }
  return out;
}

export interface BindingProbeOptions {
  features: SceneFeatures;
  llm: CausalLM;
  tokenizer: FamilyTokenizer;
  template: ChatTemplate;
  trainScenes: readonly Scene[];
  heldScenes: readonly Scene[];
  phases: readonly ProbePhase[];
  turns: readonly TurnsPhase[];
  steps: number;
  batch: number;
  learningRate: number;
  /** Floor of the cosine as a fraction of the peak rate (0: LLaVA's schedule, whose tail learns nothing). */
  minLearningRateFraction: number;
  warmupFraction: number;
  projectorInit: ProjectorInit;
  /** The projector's learning rate as a multiple of the LLM's (1: one rate for both, as LLaVA's stage 2). */
  projectorRateScale?: number;
  /** Steps at the start during which the LLM is frozen and only the projector learns (a warm-up). */
  frozenLlmSteps?: number;
  evalEvery: number;
  /** Held-out multi-object questions per family. */
  evalPerFamily: number;
  families: readonly BindingFamily[];
  seed: number;
  onPoint?(point: ProbePoint): void;
  progress?: boolean;
}

/** Binding after `step` optimiser steps. */
export interface ProbePoint {
  step: number;
  /** Mean training loss of the steps since the previous point (null at step 0). */
  loss: number | null;
  seconds: number;
  families: FamilyBinding[];
}

export interface ProbeResult {
  points: ProbePoint[];
  losses: number[];
  /** Supervised answers (turns) the stream trained on. */
  answers: number;
  /** Training wall time (evaluation excluded). */
  trainSeconds: number;
  seconds: number;
  set: { questions: number; priorQuestions: number };
}

/** Trains the recipe and measures binding every `evalEvery` steps (and at steps 0 and `steps`). */
export async function runBindingProbe(o: BindingProbeOptions): Promise<ProbeResult> {
  const started = Date.now();
  const set: BindingSet = bindingSet(o.heldScenes, o.trainScenes, { seed: o.seed, perFamily: o.evalPerFamily, families: o.families });
  const model = new LlavaModel(o.llm, "mlp2x_gelu", o.features.dim, o.seed, o.projectorInit);
  model.setTrainableComponents({ projector: true, llm: true });
  const heldIndex = new Map(o.heldScenes.map((s, i) => [s.id, i]));
  const heldFeatures = { tokens: o.features.tokens, batch: (indices: readonly number[]) => o.features.batch(indices.map((i) => o.heldScenes[i]!)) };
  const room = o.llm.config.maxPositions - o.features.tokens + 1;
  const stream: StreamOptions = { scenes: o.trainScenes, phases: o.phases, turns: o.turns, batch: o.batch, seed: o.seed, tokenizer: o.tokenizer, template: o.template, room };
  const points: ProbePoint[] = [];
  const losses: number[] = [];
  let evalSeconds = 0;
  let answers = 0;
  const measure = async (step: number): Promise<void> => {
    const t = Date.now();
    const families = await measureBinding(set, { model, tokenizer: o.tokenizer, template: o.template, system: "", features: heldFeatures, imageOf: (q) => heldIndex.get(q.sceneId)! });
    const since = losses.slice(points.length === 0 ? 0 : points[points.length - 1]!.step, step);
    const point: ProbePoint = { step, loss: since.length === 0 ? null : since.reduce((a, b) => a + b, 0) / since.length, seconds: (Date.now() - started) / 1000, families };
    evalSeconds += (Date.now() - t) / 1000;
    points.push(point);
    o.onPoint?.(point);
  };
  try {
    await measure(0);
    const state = new Map(model.namedParameters().filter(([, v]) => v.trainable));
    const projector = new Set(model.projector.parameters());
    const projectorScale = o.projectorRateScale ?? 1;
    const frozenLlm = o.frozenLlmSteps ?? 0;
    let current: { step: number; samples: ProbeSample[] } | undefined;
    const result = await trainLoop({
      label: `binding probe (${o.features.name})`,
      steps: o.steps,
      schedule: { learningRate: o.learningRate, warmupFraction: o.warmupFraction, minLearningRate: o.learningRate * o.minLearningRateFraction },
      weightDecay: 0,
      clipNorm: 1,
      state,
      trainable: model.trainableParameters(),
      ...(projectorScale !== 1 || frozenLlm > 0 ? { rateScale: (v: tf.Variable, step: number) => (projector.has(v) ? projectorScale : step < frozenLlm ? 0 : 1) } : {}),
      loss: (step) => {
        if (current?.step !== step) {
          current = { step, samples: stepSamples(step, stream) };
          answers += current.samples.reduce((n, s) => n + s.turns, 0);
        }
        // Inside the loop's tidy: the images stay alive for the backward pass and go with the step.
        return model.loss(current.samples.map((s) => s.sample), o.features.batch(current.samples.map((s) => s.scene)));
      },
      onStep: (info) => losses.push(info.loss),
      afterStep: async (step) => {
        if ((step + 1) % o.evalEvery === 0 || step + 1 === o.steps) await measure(step + 1);
      },
      progress: o.progress,
    });
    const seconds = (Date.now() - started) / 1000;
    return { points, losses: result.losses, answers, trainSeconds: seconds - evalSeconds, seconds, set: { questions: set.questions.length, priorQuestions: set.priorQuestions } };
  } finally {
    model.dispose();
  }
}

/** Families the probe scores on an encoding: reading needs a tower (the oracle and object tokens carry no text). */
export const probeFamilies = (encoding: string): BindingFamily[] =>
  BINDING_FAMILIES.filter((f) => f !== "sign" && (f !== "label" || (encoding !== "oracle" && encoding !== "objects")));

/**
 * An LLM of the zoo's size for `family` at `preset`, from scratch (no text pretraining), with its
 * family's byte-level BPE trained on the probe's own text: every family's questions about the first
 * 400 training scenes and 400 samples of the stage-2 mixture. For when no zoo is built.
 */
export function scratchLanguageModel(family: LlmFamily, size: LlmSize, preset: Preset, scenes: readonly Scene[], seed: number): { model: CausalLM; tokenizer: FamilyTokenizer } {
  const config = llmConfig(family, preset, size);
  const corpus: string[] = [];
  scenes.slice(0, 400).forEach((scene, i) => {
    const rng = Random.stream(seed, "probe-corpus", i);
    for (const f of FAMILY_NAMES) {
      const qa = ask(f, scene, rng);
      if (qa) corpus.push(`${bindingPrompt(qa.question)} ${qa.answer}`);
    }
    const sample = instructionSample(scenes, seed, i, (x) => x.id);
    corpus.push(sample.conversations.map((t) => t.value).join("\n"));
  });
  // The template's own text (headers, a default system prompt) once per document, as a chat corpus has it.
  const template = chatTemplate(config.template);
  for (let i = 0; i < 50; i++) corpus.push(template.prompt({ turns: [], system: "" }, corpus[i]!.replace(/<image>\n?/g, "")));
  return { model: new CausalLM(config, seed), tokenizer: trainFamilyTokenizer(config, corpus) };
}
