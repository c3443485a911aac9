/**
 * The workbench's command line (`npx llava-more <command>`). Each command is one entry of COMMANDS;
 * later stages add theirs here.
 */
import { parseArgs } from "node:util";
import { relative } from "node:path";
import { installKernelSpec, KERNEL_NAME } from "./jupyter/kernel.js";
import { JUPYTER_HINT, runNotebooks } from "./jupyter/notebooks.js";
import { projectRoot } from "./util/paths.js";
import { PRESETS, type Preset } from "./presets.js";
import { Dataset, defaultDatasetDir } from "./data/dataset.js";
import { generateDataset } from "./benchmarks/dataset.js";
import { BENCHMARK_TASKS } from "./benchmarks/registry.js";
import { baselineTable } from "./benchmarks/baselines.js";
import { scorePredictionsFile } from "./eval/predictions.js";
import { writeResults } from "./eval/results.js";
import { headlineScores } from "./eval/task.js";
import { getTask } from "./benchmarks/registry.js";
import { baselineView, datasetSizeView, legibilityView, towerResolutions } from "./analysis/lab_data.js";
import { tableToMarkdown } from "./analysis/render.js";
import { legibilityProbe } from "./world/legibility.js";
import { WORLD_PRESETS } from "./world/presets.js";
import { buildZoo, defaultZooDir, zooEntryNames } from "./zoo/zoo.js";
import { zooBytes, zooView } from "./analysis/zoo_tables.js";
import { adviseBackend, describeBackend, initBackend } from "./backend/index.js";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { STUDY_COMMANDS } from "./study/commands.js";

interface CommandOption {
  type: "string" | "boolean";
  description: string;
}

interface Command {
  summary: string;
  usage: string;
  options: Record<string, CommandOption>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

const show = (path: string): string => relative(process.cwd(), path) || path;

function presetOption(value: string | boolean | undefined, fallback: Preset): Preset {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(PRESETS as readonly string[]).includes(value)) throw new Error(`--preset: expected one of ${PRESETS.join(", ")}, got "${String(value)}"`);
  return value as Preset;
}

function seedOption(value: string | boolean | undefined): number {
  if (value === undefined) return 0;
  const seed = Number(value);
  if (typeof value !== "string" || !Number.isInteger(seed) || seed < 0) throw new Error(`--seed: expected a non-negative integer, got "${String(value)}"`);
  return seed;
}

/** The dataset named by --data, else the generated one of --preset/--seed. */
function datasetOption(values: Record<string, string | boolean | undefined>): Dataset {
  if (typeof values["data"] === "string") return new Dataset(values["data"]);
  return new Dataset(defaultDatasetDir(presetOption(values["preset"], "small"), seedOption(values["seed"])));
}

/** Re-runs this CLI detached, output appended to <dir>/build.log; returns the log's path. */
function startInBackground(dir: string, args: string[]): string {
  mkdirSync(dir, { recursive: true });
  const log = join(dir, "build.log");
  const fd = openSync(log, "a");
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { detached: true, stdio: ["ignore", fd, fd], cwd: process.cwd(), env: process.env });
  child.unref();
  closeSync(fd);
  return log;
}

const COMMANDS: Record<string, Command> = {
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
      const preset = presetOption(values["preset"], "small");
      const seed = seedOption(values["seed"]);
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
  zoo: {
    summary: "pretrain every vision tower and LLM of a preset into the model zoo (skips what is built; resumes after a crash)",
    usage: "llava-more zoo [--preset tiny|small|base] [--seed N] [--out DIR] [--only NAME,...] [--background]",
    options: {
      preset: { type: "string", description: "model and data preset (default small)" },
      seed: { type: "string", description: "seed of the data and every model (default 0)" },
      out: { type: "string", description: "zoo folder (default data/zoo/<preset>)" },
      only: { type: "string", description: `comma-separated entries to build: ${zooEntryNames().join(", ")}` },
      background: { type: "boolean", description: "build in a detached process, logging to <zoo>/build.log" },
    },
    async run(values) {
      const preset = presetOption(values["preset"], "small");
      const seed = seedOption(values["seed"]);
      const dir = typeof values["out"] === "string" ? values["out"] : defaultZooDir(preset, seed);
      const only = typeof values["only"] === "string" ? values["only"].split(",").map((s) => s.trim()).filter(Boolean) : undefined;
      if (values["background"] === true) {
        const log = startInBackground(dir, process.argv.slice(2).filter((a) => a !== "--background"));
        console.log(`building the ${preset} zoo in the background; follow it with: tail -f ${show(log)}`);
        console.log("stopping it is safe: run the same command again and it resumes where it stopped");
        return 0;
      }
      await initBackend();
      console.log(describeBackend());
      adviseBackend();
      const started = Date.now();
      const { manifest, built, skipped } = await buildZoo({ preset, seed, dir, only, log: console.log });
      if (skipped.length > 0) console.log(`already built: ${skipped.join(", ")}`);
      console.log(`\n${tableToMarkdown(zooView(manifest))}`);
      console.log(`${built.length} built in ${((Date.now() - started) / 60000).toFixed(1)} min; zoo ${show(dir)} holds ${(zooBytes(manifest) / 1e6).toFixed(1)} MB`);
      return 0;
    },
  },
  legibility: {
    summary: "measure how legible printed text is at each tower resolution (the resolution variable)",
    usage: "llava-more legibility [--preset tiny|small|base]",
    options: { preset: { type: "string", description: "world preset (default small)" } },
    async run(values) {
      const preset = presetOption(values["preset"], "small");
      const resolutions = [...new Set(towerResolutions(preset).map((t) => t.resolution))];
      const results = await legibilityProbe(WORLD_PRESETS[preset], { resolutions, trainPerCharacter: 16, testPerCharacter: 16 });
      console.log(tableToMarkdown(legibilityView(preset, results)));
      return 0;
    },
  },
  figures: {
    summary: "regenerate every published-tier table and figure into figures/published/ (the main job: npm start)",
    usage: "llava-more figures [--out DIR] [--no-static]",
    options: {
      out: { type: "string", description: "output folder (default figures/published)" },
      "no-static": { type: "boolean", description: "write HTML, CSV and Markdown only; skip PNG/SVG through Chromium" },
    },
    async run(values) {
      const started = Date.now();
      const { writePublishedReport } = await import("./analysis/report.js");
      const result = await writePublishedReport({
        outDir: typeof values["out"] === "string" ? values["out"] : undefined,
        staticImages: values["no-static"] !== true,
        log: (line) => console.log(line.replace(/^wrote (.*)$/, (_, p: string) => `wrote ${show(p)}`)),
      });
      const counts = new Map<string, number>();
      for (const p of result.written) {
        const ext = p.slice(p.lastIndexOf(".") + 1);
        counts.set(ext, (counts.get(ext) ?? 0) + 1);
      }
      const summary = [...counts].map(([ext, n]) => `${n} ${ext}`).join(", ");
      console.log(`\n${result.written.length} files (${summary}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (result.staticSkipped) console.log(`PNG/SVG not written: ${result.staticSkipped}`);
      return 0;
    },
  },
  notebooks: {
    summary: "execute every notebook headless through Jupyter nbconvert with the workbench kernel",
    usage: "llava-more notebooks [--out DIR] [--timeout SECONDS] [NOTEBOOK.ipynb ...]",
    options: {
      out: { type: "string", description: "folder for the executed copies (default notebooks/executed)" },
      timeout: { type: "string", description: "per-cell timeout in seconds (default 600)" },
    },
    async run(values, positionals) {
      const timeout = typeof values["timeout"] === "string" ? Number(values["timeout"]) : undefined;
      if (timeout !== undefined && !(timeout > 0)) throw new Error(`--timeout: expected a positive number of seconds, got "${values["timeout"]}"`);
      const runs = runNotebooks({
        notebooks: positionals.length > 0 ? positionals : undefined,
        outDir: typeof values["out"] === "string" ? values["out"] : undefined,
        timeoutSeconds: timeout,
        log: console.log,
      });
      if (runs === undefined) {
        console.log(`notebooks skipped: ${JUPYTER_HINT}`);
        return 0;
      }
      const failed = runs.filter((r) => !r.ok);
      console.log(`\n${runs.length - failed.length} of ${runs.length} notebooks ran clean`);
      return failed.length === 0 ? 0 : 1;
    },
  },
  kernel: {
    summary: `write the Jupyter kernelspec "${KERNEL_NAME}" (tslab, started in the project root)`,
    usage: "llava-more kernel [--project-only] [--quiet]",
    options: {
      "project-only": { type: "boolean", description: "write only the project's .jupyter/ copy, not the user's Jupyter folder" },
      quiet: { type: "boolean", description: "print nothing on success" },
    },
    async run(values) {
      const paths = installKernelSpec({ user: values["project-only"] !== true });
      if (values["quiet"] !== true) {
        for (const p of paths) console.log(`wrote ${p}`);
        console.log(`Jupyter now lists the kernel "${KERNEL_NAME}"; its cells run in ${projectRoot()}.`);
      }
      return 0;
    },
  },
  ...STUDY_COMMANDS,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "llava-more — the LLaVA-MORE workbench",
    "",
    "Usage: llava-more <command> [options]   (llava-more <command> --help for its options)",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join("\n");
}

function commandHelp(name: string, command: Command): string {
  const lines = Object.entries(command.options).map(([flag, o]) => {
    const arg = o.type === "string" ? " VALUE" : "";
    return `  --${flag}${arg}`.padEnd(24) + ` ${o.description}`;
  });
  return [`${command.summary}`, "", `Usage: ${command.usage}`, "", "Options:", ...lines, `  --help`.padEnd(24) + " show this help"].join("\n").replace(/^/, `llava-more ${name}: `);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    console.log(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`llava-more: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  let parsed;
  try {
    const options = Object.fromEntries(Object.entries(command.options).map(([flag, o]) => [flag, { type: o.type }]));
    parsed = parseArgs({ args: rest, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`llava-more ${name}: ${(err as Error).message}\n\nUsage: ${command.usage}`);
    return 2;
  }
  if (parsed.values["help"] === true) {
    console.log(commandHelp(name, command));
    return 0;
  }
  return command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

/** `main` with errors reported as one line (the full stack with LLAVA_MORE_DEBUG=1). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    const debug = process.env["LLAVA_MORE_DEBUG"] === "1";
    console.error(`llava-more: ${err instanceof Error ? (debug ? err.stack : err.message) : String(err)}`);
    return 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /cli\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) process.exitCode = await runCli(process.argv.slice(2));
