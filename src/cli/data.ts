/** The data commands of the CLI: generate the lab tier's dataset, score its image-blind baselines, score a file of predictions. */
import { PRESETS, type Preset } from "../presets.js";
import { Dataset, defaultDatasetDir } from "../data/dataset.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { join } from "node:path";
import { BENCHMARK_TASKS, getProfiledTask, getTask, taskUnderProfile } from "../benchmarks/registry.js";
import { baselineTable } from "../benchmarks/baselines.js";
import { readPredictions, scorePredictionsFile } from "../eval/predictions.js";
import { writeResults } from "../eval/results.js";
import { headlineScores } from "../eval/task.js";
import { DEFAULT_PROFILE, PROFILE_SOURCES, PROFILES, profileLabel, type Profile, type ScoringProfile } from "../eval/profile.js";
import { driftMarkdown, profileDrift } from "../eval/drift.js";
import { writeFileAtomic } from "../util/fs.js";
import { baselineView, datasetSizeView } from "../analysis/lab_data.js";
import { tableToMarkdown } from "../analysis/render.js";
import { oneOf, seedOption, show, type Command, type Values } from "./args.js";

/** MMMU's open-question rule: what lmms-eval 75571cfe's code does, or the official MMMU rule (the vendored copy's). */
const MMMU_OPEN = { code: "current", official: "vendored" } as const satisfies Record<string, Profile>;

/** --lmms-eval and --mmmu-open: the scoring profile of `score` (an --mmmu-open only for mmmu_val). */
function scoringProfile(values: Values, task: string, lmmsEval: Profile): ScoringProfile {
  if (values["mmmu-open"] === undefined) return { lmmsEval };
  if (task !== "mmmu_val") throw new Error(`--mmmu-open: applies to mmmu_val only, not ${task}`);
  const open = oneOf("mmmu-open", values["mmmu-open"], Object.keys(MMMU_OPEN) as Array<keyof typeof MMMU_OPEN>);
  return { lmmsEval, overrides: { open: MMMU_OPEN[open] }, variant: `--mmmu-open ${open}` };
}

/** The dataset named by --data, else the generated one of --preset/--seed. */
function datasetOption(values: Values): Dataset {
  if (typeof values["data"] === "string") return new Dataset(values["data"]);
  return new Dataset(defaultDatasetDir(oneOf<Preset>("preset", values["preset"], PRESETS, "small"), seedOption("seed", values["seed"], 0, "a non-negative integer")!));
}

export const DATA_COMMANDS: Record<string, Command> = {
  "generate-data": {
    summary: "generate the lab tier's visual world, corpora and benchmarks to disk (reused when already there)",
    usage: "llava-more generate-data [--preset tiny|small|base] [--seed N] [--out DIR] [--force]",
    options: {
      preset: { type: "string", description: "dataset size: tiny (tests), small (default; notebooks), base" },
      seed: { type: "string", description: "world seed (default 0)" },
      out: { type: "string", description: "output folder (default data/generated/<preset>-seed<seed>)" },
      force: { type: "boolean", description: "replace a dataset generated there with other settings" },
    },
    async run(values) {
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const seed = seedOption("seed", values["seed"], 0, "a non-negative integer")!;
      const started = Date.now();
      const { dir, manifest, cached } = await generateDataset({
        preset,
        seed,
        outDir: typeof values["out"] === "string" ? values["out"] : undefined,
        force: values["force"] === true,
        log: console.log,
      });
      console.log(`\n${tableToMarkdown(datasetSizeView(manifest))}`);
      console.log(cached ? `${show(dir)}: already generated with these settings (cached; --force with other settings replaces it)` : `wrote ${show(dir)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    },
  },
  baselines: {
    summary: "score the image-blind baselines (always-yes, random option, question prior) on every benchmark",
    usage: "llava-more baselines [--data DIR | --preset P --seed N]",
    options: {
      data: { type: "string", description: "dataset folder (default: the generated one of --preset/--seed)" },
      preset: { type: "string", description: "preset of the generated dataset (default small)" },
      seed: { type: "string", description: "seed of the generated dataset (default 0)" },
    },
    async run(values) {
      const dataset = datasetOption(values);
      console.log(tableToMarkdown(baselineView(baselineTable(dataset, BENCHMARK_TASKS))));
      return 0;
    },
  },
  score: {
    summary: "score a file of real predictions (lmms-eval samples JSONL or plain JSONL) with a task's lmms-eval metric",
    usage: "llava-more score --task TASK --predictions FILE [--lmms-eval vendored|current] [--mmmu-open code|official] [--compare-profiles] [--out DIR]",
    options: {
      task: { type: "string", description: `lmms-eval task: ${BENCHMARK_TASKS.join(", ")}` },
      predictions: { type: "string", description: "predictions file (JSONL, one sample per line)" },
      "lmms-eval": { type: "string", description: `scoring profile: vendored (default; LLaVA-MORE's copy) or current (lmms-eval 75571cfe); docs/scoring_profiles.md` },
      "mmmu-open": { type: "string", description: "mmmu_val open questions: code (what lmms-eval 75571cfe does, issue #1436; default of current) or official (the MMMU rule)" },
      "compare-profiles": { type: "boolean", description: "score under both profiles and report the drift: per metric, per rule, example items" },
      out: { type: "string", description: "write results.json and samples_<task>.jsonl here (drift_<task>.md and .json with --compare-profiles)" },
    },
    async run(values) {
      if (typeof values["task"] !== "string") throw new Error("--task is required");
      if (typeof values["predictions"] !== "string") throw new Error("--predictions is required");
      const name = getTask(values["task"]).name;
      const path = values["predictions"];
      if (values["compare-profiles"] === true) {
        if (values["lmms-eval"] !== undefined) throw new Error("--compare-profiles scores under both profiles: leave out --lmms-eval");
        const records = readPredictions(getTask(name), path).records;
        const report = profileDrift(getProfiledTask(name), records, { lmmsEval: "vendored" }, scoringProfile(values, name, "current"));
        const text = driftMarkdown(report);
        console.log(text);
        if (typeof values["out"] === "string") {
          const file = join(values["out"], `drift_${name}`);
          writeFileAtomic(`${file}.json`, `${JSON.stringify({ predictions: path, ...report }, null, 2)}\n`);
          writeFileAtomic(`${file}.md`, text);
          console.log(`wrote ${show(`${file}.md`)} and ${show(`${file}.json`)}`);
        }
        return 0;
      }
      const profile = scoringProfile(values, name, oneOf<Profile>("lmms-eval", values["lmms-eval"], PROFILES, DEFAULT_PROFILE));
      const task = taskUnderProfile(name, profile);
      const scored = scorePredictionsFile(task, path);
      console.log(`scoring profile: ${profileLabel(profile)} (${PROFILE_SOURCES[profile.lmmsEval]})`);
      for (const m of scored.metrics) console.log(`${task.name} ${m.metric} = ${m.value} (n = ${m.n})`);
      for (const [column, value] of Object.entries(headlineScores(task, scored.metrics))) console.log(`README column ${column}: ${value.toFixed(1)}`);
      for (const [key, note] of Object.entries(scored.notes ?? {})) console.log(`${key}: ${note}`);
      if (scored.skipped > 0) console.log(`${scored.skipped} rows skipped as out of the task's scope`);
      if (typeof values["out"] === "string") {
        const paths = writeResults(values["out"], [scored], { predictions: path, lmms_eval: profileLabel(profile) });
        console.log(`wrote ${show(paths.results)}`);
      }
      return 0;
    },
  },
};
