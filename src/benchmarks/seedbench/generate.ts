/**
 * SEED-Bench (image part) analogue: four-choice questions over SEED's nine image dimensions —
 * 1 scene understanding, 2 instance identity, 3 instance attributes, 4 instance location,
 * 5 instances counting, 6 spatial relation, 7 instance interaction (diagram arrows), 8 visual
 * reasoning (weights from counts), 9 text understanding. SEED-vid needs video and is left out.
 */
import type { SeedDoc } from "./task.js";
import type { Random } from "../../util/random.js";
import { uniquelyNamed, type Scene } from "../../world/scene.js";
import { placePhrase } from "../../data/language.js";
import { OPTION_LETTERS, ask, optionsFor, referTo, type FamilyName, type QA } from "../../data/questions.js";
import { collectItems, type BenchmarkGenerator } from "../generator.js";



const PLACES = ["in the top left", "at the top", "in the top right", "on the left", "in the centre", "on the right", "in the bottom left", "at the bottom", "in the bottom right"];

function location(scene: Scene, rng: Random): QA | undefined {
  const named = uniquelyNamed(scene);
  if (named.length === 0) return undefined;
  const o = rng.pick(named);
  return { family: "position", question: `Where is ${referTo(scene, o)} in the image?`, answer: placePhrase(o), domain: PLACES, about: [o.id] };
}

function spatial(scene: Scene, rng: Random): QA | undefined {
  const named = uniquelyNamed(scene);
  const pairs = named.flatMap((a) => named.filter((b) => b !== a && (a.row === b.row) !== (a.col === b.col)).map((b) => [a, b] as const));
  if (pairs.length === 0) return undefined;
  const [a, b] = rng.pick(pairs);
  const answer = a.row === b.row ? (a.col < b.col ? "to the left of" : "to the right of") : a.row < b.row ? "above" : "below";
  return { family: "position", question: `Where is ${referTo(scene, a)} relative to ${referTo(scene, b)}?`, answer, domain: ["to the left of", "to the right of", "above", "below"], about: [a.id, b.id] };
}

const DIMENSIONS: { id: number; ask: (scene: Scene, rng: Random) => QA | undefined }[] = [
  { id: 1, ask: (s, r) => ask("theme", s, r) },
  { id: 2, ask: (s, r) => ask("shape", s, r) },
  { id: 3, ask: (s, r) => ask("colour", s, r) },
  { id: 4, ask: location },
  { id: 5, ask: (s, r) => ask("count", s, r) },
  { id: 6, ask: spatial },
  { id: 7, ask: (s, r) => ask("arrow", s, r) },
  { id: 8, ask: (s, r) => ask("weight", s, r) },
  { id: 9, ask: (s, r) => ask(r.pick<FamilyName>(["label", "sign"]), s, r) },
];

export const seedbenchGenerator: BenchmarkGenerator<SeedDoc> = {
  task: "seedbench",
  itemsPerScale: 40,
  generate: (ctx, size) =>
    collectItems("seedbench", ctx, size, (scene, rng, next) => {
      const dimension = rng.pick(DIMENSIONS);
      const qa = dimension.ask(scene, rng);
      if (!qa || new Set(qa.domain).size < 4) return [];
      const { options, answerIndex } = optionsFor(qa, rng, 4);
      const answer = OPTION_LETTERS[answerIndex] as SeedDoc["answer"];
      const doc: SeedDoc = { questionId: `seed-${next()}`, question: qa.question, choices: options as SeedDoc["choices"], answer, questionTypeId: dimension.id, dataType: "image" };
      return [{ sceneId: scene.id, doc, target: answer, answerText: options[answerIndex]! }];
    }),
};
