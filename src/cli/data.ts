/** The data commands of the CLI: generate the lab tier's dataset, score its image-blind baselines, score a file of predictions. */
import { PRESETS, type Preset } from "../presets.js";
import { Dataset, defaultDatasetDir } from "../data/dataset.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { BENCHMARK_TASKS, getTask } from "../benchmarks/registry.js";
import { baselineTable } from "../benchmarks/baselines.js";
import { scorePredictionsFile } from "../eval/predictions.js";
import { writeResults } from "../eval/results.js";
import { headlineScores } from "../eval/task.js";
import { baselineView, datasetSizeView } from "../analysis/lab_data.js";
import { tableToMarkdown } from "../analysis/render.js";
import { oneOf, seedOption, show, type Command, type Values } from "./args.js";

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
    usage: "llava-more score --task TASK --predictions FILE [--out DIR]",
    options: {
      task: { type: "string", description: `lmms-eval task: ${BENCHMARK_TASKS.join(", ")}` },
      predictions: { type: "string", description: "predictions file (JSONL, one sample per line)" },
      out: { type: "string", description: "write results.json and samples_<task>.jsonl here" },
    },
    async run(values) {
      if (typeof values["task"] !== "string") throw new Error("--task is required");
      if (typeof values["predictions"] !== "string") throw new Error("--predictions is required");
      const task = getTask(values["task"]);
      const scored = scorePredictionsFile(task, values["predictions"]);
      for (const m of scored.metrics) console.log(`${task.name} ${m.metric} = ${m.value} (n = ${m.n})`);
      for (const [column, value] of Object.entries(headlineScores(task, scored.metrics))) console.log(`README column ${column}: ${value.toFixed(1)}`);
      if (scored.skipped > 0) console.log(`${scored.skipped} rows skipped as out of the task's scope`);
      if (typeof values["out"] === "string") {
        const paths = writeResults(values["out"], [scored], { predictions: values["predictions"] });
        console.log(`wrote ${show(paths.results)}`);
      }
      return 0;
    },
  },
};
