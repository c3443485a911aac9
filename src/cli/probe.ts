/**
 * `npx llava-more probe binding`: trains a stage-2 recipe on one image encoding (src/probes/binding_probe.ts)
 * and writes the per-family binding curves against their shortcuts and text-only priors: binding_probe.json
 * and binding_probe.png (through src/analysis/export.ts) in a folder under runs/probes/ or --out.
 */
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { initBackend, describeBackend } from "../backend/index.js";
import { bindingProbeFigure, type BindingCurves } from "../analysis/binding_figure.js";
import { FigureRenderer, writeFiguresStatic } from "../analysis/export.js";
import { Dataset, defaultDatasetDir } from "../data/dataset.js";
import { FeatureStore } from "../data/feature_cache.js";
import { isVisionFamily, VISION_FAMILIES, type VisionFamily } from "../models/vision/config.js";
import { visionConfig } from "../models/vision/registry.js";
import { parseResolution } from "../models/vision/resolution.js";
import { chatTemplate } from "../models/templates/registry.js";
import { PROJECTOR_INITS, type ProjectorInit } from "../models/llava/projector.js";
import { PRESETS, type Preset } from "../presets.js";
import { bindingQuestions, scoreBinding, textPriorFromScenes } from "../probes/binding.js";
import { trainReadingPhase } from "../probes/reading_phase.js";
import { saveCheckpoint } from "../models/checkpoint.js";
import { objectsEncoding, oracleEncoding, parseCurriculum, parseTurns, probeWorldScenes as worldScenes, probeFamilies, runBindingProbe, scratchLanguageModel, type ProbeResult, type SceneFeatures } from "../probes/binding_probe.js";
import { zooFeatureTower, runsRoot } from "../study/run.js";
import { zooLlm } from "../study/grid.js";
import { ZOO_LLMS, type ZooLlmName } from "../train/llm_recipes.js";
import { PROTOCOLS } from "../train/protocol.js";
import { writeFileAtomic } from "../util/fs.js";
import type { Scene } from "../world/scene.js";
import { WORLD_PRESETS } from "../world/presets.js";
import { defaultZooDir, towerDir } from "../zoo/zoo.js";
import { completionScorer, describedReading, fitsContext, readingItems, HELD_OUT_READING_PER_FAMILY, READING_FAMILIES } from "../probes/llm_probes.js";
import { llmDir, loadZooLlm } from "../zoo/llms.js";
import { count, oneOf, seedOption, show, str, type Command, type Values } from "./args.js";
import { readJsonFile } from "../util/jsonl.js";

/** The probe's defaults per preset: `small` fits ≤ 5 minutes of training on one core (docs/binding.md). */
/**
 * The probe's defaults per preset; the batch, rate and warmup are the protocol's stage 2 and the
 * training scenes its own. `small`'s 150 steps train for ≤ 5 minutes (docs/binding.md); `tiny` defaults
 * to Gemma-2's template, as LLaMA-3.1's fixed date header alone nearly fills tiny's 64 positions.
 */
export const PROBE_DEFAULTS: Record<Preset, { steps: number; evalEvery: number; evalPerFamily: number; heldScenes: number; llm: ZooLlmName }> = {
  tiny: { steps: 24, evalEvery: 8, evalPerFamily: 12, heldScenes: 48, llm: "gemma2-2b" },
  small: { steps: 150, evalEvery: 50, evalPerFamily: 64, heldScenes: 300, llm: "llama3.1-8b" },
  base: { steps: 1500, evalEvery: 100, evalPerFamily: 128, heldScenes: 600, llm: "llama3.1-8b" },
};

const ENCODINGS = ["oracle", "objects", ...VISION_FAMILIES] as const;

/** A zoo tower's cached features over the dataset's training scenes, or a clear error naming the build command. */
async function towerFeatures(preset: Preset, tower: VisionFamily, zoo: string, scenes: number): Promise<{ features: SceneFeatures; scenes: Scene[] }> {
  if (!existsSync(join(towerDir(zoo, tower), "entry.json"))) {
    throw new Error(`the ${tower} encoding needs the ${preset} zoo's ${tower} tower, not built in ${zoo}; build it with: npx llava-more zoo --preset ${preset} --only ${tower} (the whole small zoo takes ~50 min), or use --encoding oracle|objects`);
  }
  const dataset = new Dataset(defaultDatasetDir(preset, 0));
  const store = await FeatureStore.load(dataset, zooFeatureTower(zoo, tower, dataset), parseResolution("1x"), "train", { limit: scenes });
  const all = dataset.scenes("train").slice(0, scenes);
  return { scenes: all, features: { name: tower, tokens: store.tokens, dim: store.dim, batch: (s) => store.batch(s.map((x) => store.indexOf(x.id))) } };
}

export const PROBE_COMMANDS: Record<string, Command> = {
  probe: {
    summary: "probe binding: train a stage-2 recipe on an image encoding and plot binding per family against its shortcut (probe shortcuts: the references alone)",
    usage:
      "llava-more probe shortcuts [--preset P] [--scenes N] | llava-more probe reading [--preset P] [--zoo DIR] [--llm NAME] [--eval-per-family N] [--train N [--families F,…] [--turns N] [--lr X] [--eval-every N] [--scratch] [--out DIR]] | llava-more probe binding [--encoding oracle|objects|<tower>] [--mixture MIX[@STEP];…] [--steps N] [--preset tiny|small] [--turns N[@STEP;…]] [--lr X] [--lr-floor F] [--projector-init normal|pytorch] [--projector-lr-scale K] [--freeze-llm N] [--eval-per-family N] [--llm NAME] [--scratch] [--zoo DIR] [--out DIR]",
    options: {
      encoding: { type: "string", description: `image tokens: oracle (one-hot colour/category/size per patch + theme), objects (one token per object), or a zoo tower (${VISION_FAMILIES.join(", ")}); default oracle` },
      mixture: { type: "string", description: "question stream: a mixture (llava, listing, binding, objects), families (colour,count or colour:2,count:1), or a curriculum of them: colour@300;colour,count,exists@600;llava (default binding)" },
      steps: { type: "string", description: "optimiser steps (default: tiny 24, small 150)" },
      train: { type: "string", description: "probe reading: train the LLM for N steps of a reading phase (descriptions, then questions; answers supervised) and measure it as it goes" },
      families: { type: "string", description: `probe reading --train: the families asked (default ${READING_FAMILIES.join(",")})` },
      batch: { type: "string", description: "conversations per step (default: the protocol's stage-2 global batch, tiny 8, small 16)" },
      "eval-every": { type: "string", description: "steps between binding measurements (default: tiny 8, small 50)" },
      turns: { type: "string", description: "distinct questions per image, each answer supervised: N, or N@STEP;… by step as --mixture's phases (default 1)" },
      lr: { type: "string", description: "peak learning rate (default: the protocol's stage-2 rate, tiny 3e-3, small 2e-3)" },
      "lr-floor": { type: "string", description: "the cosine's floor as a fraction of the peak (default 0: decays to zero)" },
      "projector-init": { type: "string", description: `projector initialisation: ${PROJECTOR_INITS.join(" or ")} (default normal)` },
      "projector-lr-scale": { type: "string", description: "the projector's learning rate as a multiple of the LLM's (default 1)" },
      "freeze-llm": { type: "string", description: "steps at the start with the LLM frozen, only the projector learning (default 0)" },
      "eval-per-family": { type: "string", description: "held-out multi-object questions per family (default: tiny 12, small 64)" },
      llm: { type: "string", description: `the LLM whose family and size the decoder has (default: tiny gemma2-2b, small llama3.1-8b): ${ZOO_LLMS.map((z) => z.name).join(", ")}` },
      scratch: { type: "boolean", description: "a decoder from scratch even when the zoo has the LLM" },
      zoo: { type: "string", description: "model zoo folder the LLM and tower come from (default data/zoo/<preset>)" },
      preset: { type: "string", description: "tiny or small (default small)" },
      seed: { type: "string", description: "seed of the scenes, the stream and the weights (default 0)" },
      out: { type: "string", description: "output folder (default runs/probes/binding-<encoding>-<time>)" },
      scenes: { type: "string", description: "probe shortcuts: world scenes to measure the binding set's shortcuts and priors on (default 1000; the prior learns from 3× as many)" },
    },
    async run(values: Values, positionals: string[]) {
      if (!["binding", "shortcuts", "reading"].includes(positionals[0] ?? "") || positionals.length !== 1) throw new Error(`probe: expected the probe's name, binding, reading or shortcuts (llava-more probe binding …), got ${positionals.length === 0 ? "nothing" : `"${positionals.join(" ")}"`}`);
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const zoo = str(values["zoo"]) ?? defaultZooDir(preset, 0);
      if (positionals[0] === "reading" && values["train"] !== undefined) return await readingPhaseCommand(values, preset, zoo);
      if (positionals[0] === "reading") {
        await initBackend();
        console.log(readingMarkdown(preset, zoo, values["llm"] === undefined ? undefined : oneOf<ZooLlmName>("llm", values["llm"], ZOO_LLMS.map((z) => z.name), "llama3.1-8b"), count("eval-per-family", values["eval-per-family"], HELD_OUT_READING_PER_FAMILY, 1)!));
        return 0;
      }
      if (positionals[0] === "shortcuts") {
        const scenes = count("scenes", values["scenes"], 1000, 1)!;
        console.log(shortcutsMarkdown(worldScenes(preset, 1, "s", scenes), worldScenes(preset, 2, "p", 3 * scenes)));
        return 0;
      }
      const defaults = PROBE_DEFAULTS[preset];
      const stage2 = PROTOCOLS[preset].stage2;
      const encoding = oneOf("encoding", values["encoding"], ENCODINGS, "oracle");
      const mixtureText = str(values["mixture"]) ?? "binding";
      const phases = parseCurriculum(mixtureText);
      const steps = count("steps", values["steps"], defaults.steps, 1)!;
      const batch = count("batch", values["batch"], stage2.globalBatch, 1)!;
      const evalEvery = count("eval-every", values["eval-every"], defaults.evalEvery, 1)!;
      const turnsText = str(values["turns"]) ?? "1";
      const turns = parseTurns(turnsText);
      const learningRate = positiveNumber("lr", values["lr"], stage2.learningRate);
      const floor = positiveNumber("lr-floor", values["lr-floor"], 0, true);
      if (floor > 1) throw new Error(`--lr-floor: expected a fraction of the peak rate from 0 to 1, got ${floor}`);
      const projectorInit = oneOf<ProjectorInit>("projector-init", values["projector-init"], PROJECTOR_INITS, "normal");
      const projectorRateScale = positiveNumber("projector-lr-scale", values["projector-lr-scale"], 1);
      const frozenLlmSteps = count("freeze-llm", values["freeze-llm"], 0, 0)!;
      if (frozenLlmSteps >= steps) throw new Error(`--freeze-llm: ${frozenLlmSteps} steps leave none of the ${steps} for the LLM; expected fewer than --steps`);
      const evalPerFamily = count("eval-per-family", values["eval-per-family"], defaults.evalPerFamily, 1)!;
      const llmName = oneOf<ZooLlmName>("llm", values["llm"], ZOO_LLMS.map((z) => z.name), defaults.llm);
      const seed = seedOption("seed", values["seed"], 0)!;
      await initBackend();

      const trainCount = PROTOCOLS[preset].trainScenes;
      let trainScenes: Scene[];
      let heldScenes: Scene[];
      let features: SceneFeatures;
      if (encoding === "oracle" || encoding === "objects") {
        trainScenes = worldScenes(preset, seed, "t", trainCount);
        heldScenes = worldScenes(preset, seed, "h", defaults.heldScenes);
        const v = visionConfig("clip", preset);
        features = encoding === "oracle" ? oracleEncoding(v.imageSize / v.patchSize) : objectsEncoding(WORLD_PRESETS[preset].maxObjects);
      } else {
        if (!isVisionFamily(encoding)) throw new Error(`--encoding: "${encoding}" is not a tower`);
        const t = await towerFeatures(preset, encoding, zoo, trainCount + defaults.heldScenes);
        trainScenes = t.scenes.slice(0, trainCount);
        heldScenes = t.scenes.slice(trainCount);
        features = t.features;
      }
      const entry = zooLlm(llmName);
      const fromZoo = values["scratch"] !== true && existsSync(join(llmDir(zoo, llmName), "entry.json"));
      const { model: llm, tokenizer } = fromZoo ? loadZooLlm(zoo, llmName) : scratchLanguageModel(entry.family, entry.size, preset, trainScenes, seed);
      const template = chatTemplate(llm.config.template);
      const llmLabel = `${llmName}-sized decoder ${fromZoo ? "from the zoo" : "from scratch"} (d ${llm.config.hiddenSize} × ${llm.config.numLayers})`;
      const out = str(values["out"]) ?? join(runsRoot("probes"), `binding-${encoding}-${preset}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      mkdirSync(out, { recursive: true });
      console.log(`binding probe: ${features.name} encoding (${features.tokens} tokens × ${features.dim}), ${llmLabel}, mixture ${mixtureText}, ${steps} steps × ${batch}, ${turnsText} turn(s), lr ${learningRate} (floor ${floor}), projector ${projectorInit}${projectorRateScale !== 1 ? ` at ${projectorRateScale}× the rate` : ""}${frozenLlmSteps > 0 ? `, LLM frozen for ${frozenLlmSteps} steps` : ""}; ${describeBackend()}`);
      const result = await runBindingProbe({
        features,
        llm,
        tokenizer,
        template,
        trainScenes,
        heldScenes,
        phases,
        turns,
        steps,
        batch,
        learningRate,
        minLearningRateFraction: floor,
        warmupFraction: stage2.warmupFraction,
        projectorInit,
        projectorRateScale,
        frozenLlmSteps,
        evalEvery,
        evalPerFamily,
        families: probeFamilies(encoding),
        seed,
        progress: false,
        onPoint: (p) =>
          console.log(`step ${String(p.step).padStart(5)}  loss ${p.loss === null ? "  –  " : p.loss.toFixed(3)}  ${p.families.map((f) => `${f.family} ${f.accuracy.toFixed(2)}/${f.shortcut.toFixed(2)}`).join("  ")}  (${p.seconds.toFixed(0)} s)`),
      });
      const command = `npx llava-more probe binding ${process.argv.slice(4).join(" ")}`.trim();
      const curves = probeCurves(result, `Binding probe: ${features.name} encoding, ${mixtureText}, ${turnsText} turn(s), lr ${learningRate}`, batch);
      const json = join(out, "binding_probe.json");
      writeFileAtomic(json, `${JSON.stringify({ command, preset, encoding, mixture: mixtureText, steps, batch, turns: turnsText, learningRate, lrFloor: floor, projectorInit, projectorRateScale, frozenLlmSteps, evalPerFamily, llm: llmLabel, seed, backend: describeBackend(), answers: result.answers, trainSeconds: result.trainSeconds, seconds: result.seconds, set: result.set, curves, losses: result.losses }, null, 1)}\n`);
      const written = [json];
      try {
        const renderer = await FigureRenderer.open();
        try {
          written.push(...(await writeFiguresStatic(renderer, [bindingProbeFigure(curves)], out, ["png"])));
        } finally {
          await renderer.close();
        }
      } catch (err) {
        console.error(`binding probe: no PNG (${(err as Error).message}); the curves are in ${show(json)}`);
      }
      const end = result.points[result.points.length - 1]!;
      console.log(`${result.answers} supervised answers, ${result.trainSeconds.toFixed(0)} s training + ${(result.seconds - result.trainSeconds).toFixed(0)} s measuring`);
      console.log(`at step ${end.step}: ${end.families.map((f) => `${f.family} ${(100 * f.accuracy).toFixed(1)}% (shortcut ${(100 * f.shortcut).toFixed(1)}%, prior ${f.prior === null ? "–" : (100 * f.prior).toFixed(1)}%)`).join("; ")}`);
      console.log(`wrote ${written.map(show).join(", ")}`);
      return 0;
    },
  },
};

function positiveNumber(flag: string, value: string | boolean | undefined, fallback: number, zeroAllowed = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isFinite(n) || n < 0 || (!zeroAllowed && n === 0)) throw new Error(`--${flag}: expected a ${zeroAllowed ? "non-negative" : "positive"} number, got "${String(value)}"`);
  return n;
}

/**
 * The zoo LLMs' reading (text only): binding questions about the held-out scenes' descriptions, per
 * family against its shortcut, for every built LLM of the zoo `zoo` (or `only`).
 */
function readingMarkdown(preset: Preset, zoo: string, only: ZooLlmName | undefined, perFamily: number): string {
  const names = ZOO_LLMS.map((z) => z.name).filter((n) => (only === undefined || n === only) && existsSync(join(llmDir(zoo, n), "entry.json")));
  if (names.length === 0) throw new Error(`probe reading: no ${only ?? "LLM"} built in ${zoo}; build it with: npx llava-more zoo --preset ${preset}${only ? ` --only ${only}` : ""}`);
  const items = readingItems(new Dataset(defaultDatasetDir(preset, 0)).scenes("test"), perFamily);
  const rows = names.map((name) => {
    const lm = loadZooLlm(zoo, name);
    try {
      return { name, families: describedReading(completionScorer(lm), items.filter((i) => fitsContext(lm, i))) };
    } finally {
      lm.model.dispose();
    }
  });
  const pct = (x: number): string => (100 * x).toFixed(1);
  // An LLM whose context holds none of a family's questions (tiny's 64 positions) shows "–" there.
  const cell = (r: (typeof rows)[number], family: string): string => {
    const f = r.families.find((x) => x.family === family);
    return f ? `${pct(f.accuracy)} / ${pct(f.shortcut)} (${f.n})` : "–";
  };
  return [
    `Reading (text only): binding questions after each held-out scene's description, forced choice; accuracy / shortcut (%) (questions that fit the LLM's context), ${zoo}:`,
    "",
    `| LLM | ${READING_FAMILIES.join(" | ")} |`,
    `|---|${READING_FAMILIES.map(() => "---:").join("|")}|`,
    ...rows.map((r) => `| ${r.name} | ${READING_FAMILIES.map((f) => cell(r, f)).join(" | ")} |`),
  ].join("\n");
}

/**
 * `probe reading --train N`: a reading phase on the zoo LLM (or one from scratch), measured every
 * --eval-every steps; writes reading_phase.json and the retrained LLM as a zoo of one
 * (<out>/zoo/llms/<name>), which `probe binding --zoo <out>/zoo` and `probe reading --zoo` read.
 */
async function readingPhaseCommand(values: Values, preset: Preset, zoo: string): Promise<number> {
  const defaults = PROBE_DEFAULTS[preset];
  const steps = count("train", values["train"], undefined, 1)!;
  const llmName = oneOf<ZooLlmName>("llm", values["llm"], ZOO_LLMS.map((z) => z.name), defaults.llm);
  const families = (str(values["families"]) ?? READING_FAMILIES.join(",")).split(",").map((f) => oneOf<(typeof READING_FAMILIES)[number]>("families", f.trim(), READING_FAMILIES, "colour"));
  const options = {
    families,
    turns: count("turns", values["turns"], 4, 1)!,
    steps,
    learningRate: positiveNumber("lr", values["lr"], 1e-3),
    rows: 8,
    seqLen: READING_ROW[preset],
    evalEvery: count("eval-every", values["eval-every"], Math.max(1, Math.round(steps / 10)), 1)!,
    seed: seedOption("seed", values["seed"], 0)!,
    progress: true,
    log: console.log,
  };
  const perFamily = count("eval-per-family", values["eval-per-family"], HELD_OUT_READING_PER_FAMILY, 1)!;
  await initBackend();
  const dataset = new Dataset(defaultDatasetDir(preset, 0));
  const trainScenes = dataset.scenes("train");
  const fromZoo = values["scratch"] !== true;
  if (fromZoo && !existsSync(join(llmDir(zoo, llmName), "entry.json"))) throw new Error(`probe reading --train: no ${llmName} built in ${zoo}; build it with: npx llava-more zoo --preset ${preset} --only ${llmName}, or pass --scratch`);
  const { family, size } = zooLlm(llmName);
  const lm = fromZoo ? loadZooLlm(zoo, llmName) : scratchLanguageModel(family, size, preset, trainScenes, options.seed);
  const out = str(values["out"]) ?? join(runsRoot("probes"), `reading-${llmName}-${preset}-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const heldOut = readingItems(dataset.scenes("test"), perFamily).filter((item) => (families as readonly string[]).includes(item.question.family));
  const points = await trainReadingPhase(lm, trainScenes, heldOut, options);
  const saved = join(out, "zoo", "llms", llmName);
  if (fromZoo) cpSync(llmDir(zoo, llmName), saved, { recursive: true });
  else mkdirSync(saved, { recursive: true });
  saveCheckpoint(saved, lm.model, lm.model.config);
  lm.tokenizer.save(saved);
  const { log: _log, progress: _progress, ...recorded } = options;
  const entry0 = fromZoo ? (readJsonFile(join(saved, "entry.json")) as Record<string, unknown>) : { kind: "llm", name: llmName };
  writeFileAtomic(join(saved, "entry.json"), `${JSON.stringify({ ...entry0, readingPhase: { from: fromZoo ? llmDir(zoo, llmName) : "scratch", ...recorded } }, null, 1)}\n`);
  const json = join(out, "reading_phase.json");
  writeFileAtomic(json, `${JSON.stringify({ command: `npx llava-more probe ${process.argv.slice(3).join(" ")}`, preset, llm: llmName, from: fromZoo ? zoo : "scratch", ...recorded, seconds: (Date.now() - started) / 1000, backend: describeBackend(), points }, null, 1)}\n`);
  console.log(`wrote ${show(json)}; the retrained LLM: npx llava-more probe binding --zoo ${show(join(out, "zoo"))} --llm ${llmName} …`);
  return 0;
}

/** Row length of the reading phase: a description and four questions fit (tiny: the LLM's 64 positions). */
const READING_ROW: Record<Preset, number> = { tiny: 64, small: 256, base: 512 };

/** Every binding-free strategy's and the text-only prior's accuracy per family on the multi-object questions about `scenes`. */
function shortcutsMarkdown(scenes: readonly Scene[], priorScenes: readonly Scene[]): string {
  const questions = bindingQuestions(scenes, { seed: 0, prior: textPriorFromScenes(priorScenes, 0) });
  const rows = scoreBinding(questions, questions.map(() => ""));
  const pct = (x: number): string => (100 * x).toFixed(1);
  return [
    `Binding set on ${scenes.length} world scenes (multi-object questions; prior from ${priorScenes.length} other scenes):`,
    "",
    "| family | questions | shortcut (%) | its strategy | text-only prior (%) | every strategy (%) |",
    "|---|---:|---:|---|---:|---|",
    ...rows.map((r) => `| ${r.family} | ${r.n} | ${pct(r.shortcut)} | ${r.shortcutStrategy} | ${r.prior === null ? "–" : pct(r.prior)} | ${Object.entries(r.strategies).map(([k, v]) => `${k} ${pct(v)}`).join(", ")} |`),
  ].join("\n");
}

/** The points as curves per family (shortcut and prior are fixed by the held-out set). */
export function probeCurves(result: ProbeResult, title: string, batch: number): BindingCurves {
  const first = result.points[0]!;
  return {
    title,
    batch,
    steps: result.points.map((p) => p.step),
    loss: result.points.map((p) => p.loss),
    families: first.families.map((f) => ({
      family: f.family,
      n: f.n,
      shortcut: f.shortcut,
      shortcutStrategy: f.shortcutStrategy,
      prior: f.prior,
      accuracy: result.points.map((p) => p.families.find((g) => g.family === f.family)!.accuracy),
    })),
  };
}
