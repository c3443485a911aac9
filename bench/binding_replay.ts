/**
 * The binding probe's training stream, replayed in PyTorch (docs/binding.md, "The stream in PyTorch").
 *
 * Writes the exact samples `probe binding --encoding objects --scratch --mixture colour` trains on
 * (token ids, labels, each sample's object tokens) and its held-out colour questions as JSON, then
 * runs bench/binding_replay.py on it: a LLaMA-style decoder of the same config, the same projector,
 * AdamW and cosine, in PyTorch. `--format` rewrites the same questions and answers in other shapes
 * (without the chat template, without the short-answer prompt, with word tokens), so each difference
 * from an earlier prototype is measured on one stream.
 *
 *   npx tsx bench/binding_replay.ts [--seed 1] [--steps 400] [--batch 64] [--turns 4] [--dump FILE] -- [replay flags]
 *   replay flags: --format lib|lib-noprompt|plain|prompt|words|words-prompt  --max-turns N  --one-turn-until STEP
 *                 --prompt-share F  --rope-theta X  --no-scaling  --lr X  --steps N  --eval-every N  --threads N
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "../src/backend/index.js";
import { count } from "../src/cli/args.js";
import { PROBE_DEFAULTS } from "../src/cli/probe.js";
import { colourQuestion } from "../src/data/questions.js";
import { SHORT_ANSWER_PROMPT } from "../src/eval/prompts.js";
import { chatTemplate } from "../src/models/templates/registry.js";
import { bindingPrompt, bindingPromptIds, bindingSet } from "../src/probes/binding_eval.js";
import { objectsEncoding, parseCurriculum, parseTurns, probeWorldScenes, scratchLanguageModel, stepSamples } from "../src/probes/binding_probe.js";
import { zooLlm } from "../src/study/grid.js";
import { PROTOCOLS } from "../src/train/protocol.js";
import { projectPath } from "../src/util/paths.js";
import { WORLD_PRESETS } from "../src/world/presets.js";
import { CATEGORIES, COLOURS } from "../src/world/vocabulary.js";
import { torchPython } from "./peer.js";

const dashAt = process.argv.indexOf("--");
const own = dashAt < 0 ? process.argv.slice(2) : process.argv.slice(2, dashAt);
const passed = dashAt < 0 ? [] : process.argv.slice(dashAt + 1);
const { values } = parseArgs({ args: own, options: { seed: { type: "string" }, steps: { type: "string" }, batch: { type: "string" }, turns: { type: "string" }, dump: { type: "string" } } });
const seed = count("seed", values.seed, 1)!;
const steps = count("steps", values.steps, 400, 1)!;
const batch = count("batch", values.batch, 64, 1)!;
const turns = count("turns", values.turns, 4, 1)!;
const dump = values.dump ?? join(tmpdir(), `binding-replay-s${seed}-${steps}x${batch}-t${turns}.json`);

const python = torchPython();
if (!python) throw new Error("binding replay: no Python with torch found (on Debian: apt-get install python3-torch)");
await initBackend();
const preset = "small";
const trainScenes = probeWorldScenes(preset, seed, "t", PROTOCOLS[preset].trainScenes);
const heldScenes = probeWorldScenes(preset, seed, "h", PROBE_DEFAULTS[preset].heldScenes);
const features = objectsEncoding(WORLD_PRESETS[preset].maxObjects);
const entry = zooLlm("llama3.1-8b");
const { model: llm, tokenizer } = scratchLanguageModel(entry.family, entry.size, preset, trainScenes, seed);
llm.dispose();
const template = chatTemplate(llm.config.template);
const stream = { scenes: trainScenes, phases: parseCurriculum("colour"), turns: parseTurns(String(turns)), batch, seed, tokenizer, template, room: llm.config.maxPositions - features.tokens + 1 };
const sceneIndex = new Map(trainScenes.map((s, i) => [s.id, i]));
const encoded = (scenes: typeof trainScenes): number[][] => {
  const t = features.batch(scenes);
  const rows = (t.arraySync() as number[][][]).map((tokens) => tokens.flat());
  t.dispose();
  return rows;
};
const set = bindingSet(heldScenes, trainScenes, { seed, perFamily: 128, families: ["colour"] });
const heldIndex = new Map(heldScenes.map((s, i) => [s.id, i]));
const strings = [...CATEGORIES.flatMap((c) => [colourQuestion(c.name), bindingPrompt(colourQuestion(c.name))]), ...COLOURS.map((c) => c.name), "\n"];
writeFileSync(
  dump,
  JSON.stringify({
    config: llm.config,
    tokens: features.tokens,
    dim: features.dim,
    colourDims: COLOURS.length,
    trainFeatures: encoded(trainScenes),
    heldFeatures: encoded(heldScenes),
    steps: Array.from({ length: steps }, (_, step) => stepSamples(step, stream).map((s) => ({ ids: s.sample.ids, labels: s.sample.labels, scene: sceneIndex.get(s.scene.id)! }))),
    held: set.questions.map((q) => ({
      prompt: bindingPromptIds(tokenizer, template, { turns: [], system: "" }, q.question),
      answer: q.answer,
      scene: heldIndex.get(q.sceneId)!,
    })),
    colours: COLOURS.map((c) => c.name),
    shortAnswerPrompt: SHORT_ANSWER_PROMPT,
    encodings: Object.fromEntries(strings.map((x) => [x, tokenizer.encode(x)])),
    special: { bos: tokenizer.id("<|begin_of_text|>"), eot: tokenizer.id("<|eot_id|>") },
    vocab: Array.from({ length: llm.config.vocabSize }, (_, i) => tokenizer.decode([i], false)),
  }),
);
console.log(`binding replay: ${dump}: ${steps} steps × ${batch}, up to ${turns} turns, ${set.questions.length} held-out colour questions (seed ${seed})`);
const run = spawnSync(python, ["-u", projectPath("bench", "binding_replay.py"), dump, ...passed], { stdio: "inherit", env: { ...process.env, OMP_WAIT_POLICY: "PASSIVE" } });
process.exit(run.status ?? 1);
