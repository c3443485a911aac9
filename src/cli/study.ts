/** The study's commands of the CLI: `start` (the main job), `train`, `eval` (one pairing), `study` (a grid), `findings` and `archive`. */
import type { ColumnTable } from "arquero";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { adviseBackend, describeBackend, initBackend } from "../backend/index.js";
import { CAPTION_STYLES, type CaptionStyle } from "../data/captions.js";
import { PRESETS, type Preset } from "../presets.js";
import { VISION_FAMILIES, type VisionFamily } from "../models/vision/config.js";
import { TASK_NAMES } from "../benchmarks/registry.js";
import { DEFAULT_PROFILE, PROFILES, type Profile } from "../eval/profile.js";
import { ZOO_LLMS, type ZooLlmName } from "../train/llm_recipes.js";
import { parseResolution } from "../models/vision/resolution.js";
import { type PairingSpec, type RunResult, runId, runWallSeconds } from "../analysis/run_record.js";
import { expandGrid } from "../study/grid.js";
import { STUDY_NAMES, parseStudyGrid, sizeResolutionDesign, studyGrid } from "../study/grids.js";
import { seedSummary } from "../analysis/lab_stats.js";
import { readJsonFile } from "../util/jsonl.js";
import { EVAL_SPLITS, evalSuffix, evaluatePairing, runDir, runsRoot, trainPairing, type EvalSplit, type RunOptions } from "../study/run.js";
import { archivedIds, archiveRoot, archiveRun, archiveSourceIn, ZOO_DATASET } from "../study/archive.js";
import { findingsInputs, findResults, otherBuildResults, otherKernelsText, otherZooBuilds, readResults } from "../study/results.js";
import { KERNEL_MODES, type KernelMode } from "../backend/kernel_build.js";
import { gridTimeLeft, missingZooEntries, mergeStudy, runStudy, runStudyIndex, studyKernels, timeLeftText, writeSlurmScript, type StudyOptions } from "../study/runner.js";
import { zooBuildTime, zooCommand } from "../study/notebook_zoo.js";
import type { StudyDefinition } from "../study/grids.js";
import { durationText } from "../util/progress.js";
import { defaultDatasetDir } from "../data/dataset.js";
import { generateDataset } from "../benchmarks/dataset.js";
import { defaultZooDir, zooBuildLabel, zooSeedOf } from "../zoo/zoo.js";
import { count, oneOf, seedOption, show, str, type Command, type Values } from "./args.js";
import { PROTOCOLS } from "../train/protocol.js";
import { protocolKey, readProtocolFile } from "../train/protocol_file.js";

/** The zoo build a command works on, with the folders it gets from it when not given. */
interface ZooBuild {
  seed: number;
  /** The name of its runs and archive folders (zooBuildLabel). */
  label: string;
  /** --zoo, else seed N's zoo; absent for the default (seed 0). */
  zooDir?: string;
  /** --runs, else runs/<preset>-zooN; absent for the default (seed 0). */
  runsDir?: string;
}

/**
 * The zoo build of a command: --zoo-seed, else the seed --zoo was built with, else 0. Runs on another
 * build get folders of their own, so they never replace the seed-0 runs of a pairing.
 */
function zooBuildOf(values: Values, preset: Preset): ZooBuild {
  const zoo = str(values["zoo"]);
  const given = seedOption("zoo-seed", values["zoo-seed"], undefined);
  const built = zoo !== undefined ? zooSeedOf(zoo) : undefined;
  if (given !== undefined && built !== undefined && existsSync(join(zoo!, "zoo.json")) && built !== given) {
    throw new Error(`--zoo ${zoo} was built with seed ${built}, not --zoo-seed ${given}; give one of them`);
  }
  const seed = given ?? built ?? 0;
  const label = zooBuildLabel(preset, seed);
  const zooDir = zoo ?? (seed !== 0 ? defaultZooDir(preset, seed) : undefined);
  const runsDir = str(values["runs"]) ?? (seed !== 0 ? runsRoot(label) : undefined);
  return { seed, label, ...(zooDir !== undefined ? { zooDir } : {}), ...(runsDir !== undefined ? { runsDir } : {}) };
}

const PAIRING_OPTIONS = {
  preset: { type: "string", description: "model, data and protocol preset: tiny, small (default), base" },
  llm: { type: "string", description: `zoo LLM: ${ZOO_LLMS.map((z) => z.name).join(", ")} (default llama3.1-8b)` },
  tower: { type: "string", description: `vision tower: ${VISION_FAMILIES.join(", ")} (default clip)` },
  resolution: { type: "string", description: "tower input: 1x (default), 0.75x, 1.5x, … of its side, +S2 for multi-scale (e.g. 1x+S2)" },
  captions: { type: "string", description: `stage-1 caption set: ${CAPTION_STYLES.join(", ")} (default short)` },
  seed: { type: "string", description: "run seed: projector init and data order (default 0)" },
  runs: { type: "string", description: "runs folder (default runs/<preset>; LLAVA_MORE_RUNS moves it)" },
  data: { type: "string", description: "dataset folder (default data/generated/<preset>-seed0)" },
  zoo: { type: "string", description: "model zoo folder (default data/zoo/<preset>, or that of --zoo-seed)" },
  "zoo-seed": { type: "string", description: "the zoo build to start from: seed N's zoo (data/zoo/<preset>-seedN), with runs in runs/<preset>-zooN and archive results/<preset>-zooN (default 0, or the seed --zoo was built with)" },
  "eval-limit": { type: "string", description: "evaluate only the first N items of each benchmark" },
  archive: { type: "string", description: "results archive, committed with the project (default results/<preset>; LLAVA_MORE_RESULTS moves it)" },
  "no-archive": { type: "boolean", description: "neither read nor write the results archive" },
  tasks: { type: "string", description: `comma-separated benchmarks (default all: ${TASK_NAMES.join(", ")})` },
  split: { type: "string", description: "evaluate on the benchmark files (default) or on the validation split (items about training scenes never trained on: what tuning uses)" },
  "lmms-eval": { type: "string", description: "scoring profile: vendored (default) or current (lmms-eval 75571cfe; its own result-current.json, which only findings --lmms-eval current reads)" },
  protocol: { type: "string", description: "a JSON file of protocol fields to change from the preset's (docs/protocol_and_runs.md, \"Trying another recipe\"); the runs go to runs/<preset>-protocol-<key> unless --runs says otherwise" },
} as const;

/** The runs, dataset and zoo folders a pairing or a study was given or gets from its zoo build. */
function zooFolders(values: Values, { runsDir, zooDir }: ZooBuild): Pick<RunOptions, "runsDir" | "datasetDir" | "zooDir"> {
  return {
    ...(runsDir !== undefined ? { runsDir } : {}),
    ...(str(values["data"]) !== undefined ? { datasetDir: str(values["data"])! } : {}),
    ...(zooDir !== undefined ? { zooDir } : {}),
  };
}

function pairingOptions(values: Values): RunOptions {
  const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
  const spec: PairingSpec = {
    llm: oneOf<ZooLlmName>("llm", values["llm"], ZOO_LLMS.map((z) => z.name), "llama3.1-8b"),
    tower: oneOf<VisionFamily>("tower", values["tower"], VISION_FAMILIES, "clip"),
    resolution: parseResolution(str(values["resolution"]) ?? "1x"),
    captions: oneOf<CaptionStyle>("captions", values["captions"], CAPTION_STYLES, "short"),
    seed: seedOption("seed", values["seed"], 0)!,
  };
  const tasks = str(values["tasks"])?.split(",").map((t) => t.trim()).filter(Boolean);
  for (const t of tasks ?? []) oneOf("tasks", t, TASK_NAMES);
  const limit = count("eval-limit", values["eval-limit"], undefined, 1);
  const split = oneOf<EvalSplit>("split", values["split"], EVAL_SPLITS, "benchmark");
  const lmmsEval = oneOf<Profile>("lmms-eval", values["lmms-eval"], PROFILES, DEFAULT_PROFILE);
  const folders = zooFolders(values, zooBuildOf(values, preset));
  const protocolFile = str(values["protocol"]);
  const protocol = protocolFile === undefined ? undefined : readProtocolFile(protocolFile, PROTOCOLS[preset]);
  // A run under an edited protocol has its own folder: the preset's run of the same pairing is kept.
  if (protocol && str(values["runs"]) === undefined) folders.runsDir = `${folders.runsDir ?? runsRoot(preset)}-protocol-${protocolKey(protocol)}`;
  return {
    preset,
    spec,
    ...(protocol ? { protocol } : {}),
    ...(split !== "benchmark" ? { split } : {}),
    ...folders,
    ...(limit !== undefined ? { evalLimit: limit } : {}),
    ...(tasks ? { tasks } : {}),
    ...(lmmsEval !== DEFAULT_PROFILE ? { lmmsEval } : {}),
    log: console.log,
  };
}

function printResult(result: RunResult): void {
  const scores = Object.entries(result.eval.headline).map(([b, v]) => `${b} ${v.toFixed(1)}`);
  console.log(`${result.id}: ${scores.join(", ")}`);
  console.log(`stage 1 ${result.stage1.steps} steps (${result.stage1.seconds.toFixed(0)} s), stage 2 ${result.stage2.steps} steps (${result.stage2.seconds.toFixed(0)} s), evaluation ${result.eval.seconds.toFixed(0)} s; ${result.backend}`);
}

function studyOptions(values: Values): StudyOptions {
  const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
  const build = zooBuildOf(values, preset);
  const archive = archiveDir(values, build);
  const name = str(values["grid"]);
  const file = str(values["grid-file"]);
  if ((name === undefined) === (file === undefined)) throw new Error(`give --grid (one of ${STUDY_NAMES.join(", ")}) or --grid-file (a grid as JSON), not both or neither`);
  return {
    study: file !== undefined ? parseStudyGrid(readJsonFile(file), file) : studyGrid(name!, preset),
    preset,
    ...zooFolders(values, build),
    ...(archive !== undefined ? { archiveDir: archive } : {}),
    workers: count("workers", values["workers"], 1, 1)!,
    log: console.log,
  };
}

/**
 * One line per grid: its runs, how many are finished (runs folder and archive, at the grid's
 * evaluation setting), and how long the rest take at the pace of the finished runs (timeLeftText).
 */
function gridList(values: Values): string[] {
  const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
  const build = zooBuildOf(values, preset);
  const runs = build.runsDir ?? runsRoot(preset);
  const archive = archiveDir(values, build);
  const datasetDir = str(values["data"]) ?? defaultDatasetDir(preset, 0);
  const source = archiveSourceIn(archive, datasetDir, { seed: build.seed, ...(build.zooDir !== undefined ? { dir: build.zooDir } : {}) });
  const workers = count("workers", values["workers"], 1, 1)!;
  const finishedAt = new Map<string, RunResult[]>();
  const lines = STUDY_NAMES.map((name) => {
    const grid = studyGrid(name, preset);
    const suffix = evalSuffix(grid.evalLimit !== undefined ? { evalLimit: grid.evalLimit } : {});
    const kernels = studyKernels(grid);
    const read = `${suffix} ${kernels}`;
    if (!finishedAt.has(read)) finishedAt.set(read, readResults(runs, { suffix, kernels, ...(source ? { archive: source } : {}) }));
    const finished = finishedAt.get(read)!;
    const done = new Set(finished.map((r) => r.id));
    const pairings = expandGrid(grid);
    const unfinished = pairings.filter((p) => !done.has(runId(p)));
    const rest = unfinished.length > 0 ? `; the rest: ${timeLeftText(finished, unfinished, workers)}` : "";
    return `${name}: ${pairings.length} runs, ${pairings.length - unfinished.length} finished${rest}\n  ${grid.title}`;
  });
  const unread = archive !== undefined && source === undefined ? [`(the archive ${show(archive)} was not read: no dataset at ${show(datasetDir)} to check it against; npx llava-more generate-data --preset ${preset})`] : [];
  return [...lines, ...unread];
}

/** --archive DIR, else the default archive of the preset's zoo build; undefined with --no-archive. */
function archiveDir(values: Values, build: ZooBuild): string | undefined {
  if (values["no-archive"] === true) {
    if (values["archive"] !== undefined) throw new Error("give --archive DIR or --no-archive, not both");
    return undefined;
  }
  return str(values["archive"]) ?? archiveRoot(build.label);
}

/**
 * What `start --train` would do, in one line: the study's runs it trains (all of them, anew in
 * runs/<preset>, but those finished there), how long they take from the recorded wall time of the
 * study's finished runs, and the zoo entries to build first.
 */
function trainingPlan(study: StudyDefinition, preset: Preset, finished: readonly RunResult[], missing: readonly string[], workers: number, lead = "npm start -- --train would train"): string {
  const pairings = expandGrid(study);
  const local = new Set(readResults(runsRoot(preset), { ids: pairings.map(runId), suffix: evalSuffix({ evalLimit: study.evalLimit }), kernels: studyKernels(study) }).map((r) => r.id));
  const toTrain = pairings.filter((p) => !local.has(runId(p)));
  if (toTrain.length === 0) return `every run of the study is finished in ${show(runsRoot(preset))}: npm start -- --train has nothing to train`;
  const estimate = gridTimeLeft(finished, toTrain, workers);
  const time = estimate
    ? `about ${durationText(estimate.secondsLeft)} on ${workers} worker${workers === 1 ? "" : "s"} (the study's finished runs took ${durationText(estimate.secondsEach)} each)`
    : "time unknown (no run of the study has finished to estimate it from)";
  const zoo = missing.length > 0 ? `, after building the zoo entries it lacks, ${missing.join(", ")}: \`${zooCommand(preset)}\` (${zooBuildTime(preset)})` : "";
  return `${lead} ${toTrain.length} runs anew in ${show(runsRoot(preset))}: ${toTrain.map(runId).join(", ")}; ${time}${zoo}. npx llava-more study --grid ${study.name} --no-archive trains the same runs.`;
}

export const STUDY_COMMANDS: Record<string, Command> = {
  start: {
    summary: "the main job (npm start): the published tier, then the quick lab study (from the results archive; trained with --train, or when the archive lacks runs and the zoo is built), and figures/report.{md,html}",
    usage: "llava-more start [--no-lab] [--no-static] [--train] [--workers N]",
    options: {
      "no-lab": { type: "boolean", description: "only the published tier" },
      train: { type: "boolean", description: "train the quick study's runs anew in runs/small (needs the small zoo; without it, start reads the runs from the results archive and says what training would take)" },
      "no-static": { type: "boolean", description: "write HTML, CSV and Markdown only; skip PNG/SVG through Chromium" },
      workers: { type: "string", description: "worker processes for the lab study (default 1)" },
    },
    async run(values) {
      const started = Date.now();
      const staticImages = values["no-static"] !== true;
      // Loaded here: their module graphs (danfo, playwright) would slow training in this process.
      const { writePublishedReport } = await import("../analysis/report.js");
      const { defaultLabDir, writeLabReport, writeReportPage } = await import("../analysis/lab_report.js");
      const { sizeResolutionFigure } = await import("../analysis/size_resolution.js");
      const logWrote = (line: string): void => console.log(line.replace(/^wrote (.*)$/, (_, p: string) => `wrote ${show(p)}`));
      const published = await writePublishedReport({ staticImages, log: logWrote });
      console.log(`published tier: ${published.written.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s${published.staticSkipped ? ` (PNG/SVG not written: ${published.staticSkipped})` : ""}`);
      const preset: Preset = "small";
      const study = studyGrid("quick", preset);
      const zoo = defaultZooDir(preset, 0);
      // The lab's committed output is never replaced with less: without the lab, the report page is
      // written only where no lab report exists yet.
      const keepLab = (why: string): number => {
        if (existsSync(join(defaultLabDir(), "findings.md"))) console.log(`lab study not rebuilt (${why}); ${show(defaultLabDir())} and the report page's lab section are kept as they are`);
        else for (const p of writeReportPage({ labMissing: why })) console.log(`wrote ${show(p)}`);
        return 0;
      };
      if (values["no-lab"] === true) return keepLab("--no-lab was given");
      const archiveDir = archiveRoot(preset);
      // The lab report of these runs; effects.csv and findings.md speak for every run finished at this
      // evaluation setting (the calibration grid's too).
      const writeLab = (results: RunResult[], table: ColumnTable): ReturnType<typeof writeLabReport> => {
        const kernels = studyKernels(study);
        const inputs = findingsInputs(runsRoot(preset), defaultDatasetDir(preset, 0), { ...(study.evalLimit !== undefined ? { evalLimit: study.evalLimit } : {}), archiveDir, kernels });
        const leftOut = otherKernelsText(inputs.otherKernels, "the study compares one kernel build's runs");
        if (leftOut) console.log(`lab findings read the ${kernels} kernel build's runs${leftOut}`);
        const findings = { ...inputs, builds: otherBuildResults(preset, defaultDatasetDir(preset, 0), study.evalLimit, kernels) };
        const seconds = results.reduce((sum, r) => sum + runWallSeconds(r), 0);
        // The size × resolution explorer shows every cell of its grid that any finished run fills.
        const explorer = sizeResolutionFigure(seedSummary(findings.table), sizeResolutionDesign(preset));
        return writeLabReport({ table, results, title: study.title, preset, staticImages, seconds, findings, extraFigures: [explorer], log: logWrote });
      };
      await generateDataset({ preset, seed: 0, log: console.log }); // runs and the archive's keys are checked against it
      const workers = count("workers", values["workers"], 1, 1)!;
      const missing = missingZooEntries(study, zoo);
      // Archive first: every run of the study finished before is in results/<preset>, committed.
      const merged = mergeStudy({ study, preset, archiveDir });
      const plan = trainingPlan(study, preset, merged.results, missing, workers);
      if (values["train"] !== true && (merged.finished === merged.total || missing.length > 0)) {
        if (merged.finished < merged.total) {
          return keepLab(`the archive ${show(archiveDir)} holds ${merged.finished} of the study's ${merged.total} runs, lacking ${merged.lacking.join(", ")}. ${plan}`);
        }
        const report = await writeLab(merged.results, merged.table);
        console.log(`\nlab study: its ${merged.finished} runs read from the archive ${show(archiveDir)}, none trained; report ${report.report.map(show).join(", ")}`);
        console.log(plan);
        console.log(`main job done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
        return 0;
      }
      if (missing.length > 0) throw new Error(`--train: the ${preset} zoo lacks ${missing.join(", ")}: build it first with \`${zooCommand(preset)}\` (${zooBuildTime(preset)})`);
      await initBackend();
      console.log(`${study.title} — ${describeBackend()}`);
      adviseBackend();
      console.log(trainingPlan(study, preset, merged.results, missing, workers, "training"));
      // Each run in a child process of its own: this one has loaded the published tier's modules.
      const outcome = await runStudy({ study, preset, workers, isolate: true, log: console.log });
      for (const f of outcome.failed) console.log(`failed: ${f.id}: ${f.error}`);
      if (outcome.results.length === 0) throw new Error("no lab run finished; see the errors above");
      const report = await writeLab(outcome.results, outcome.table);
      console.log(`\nlab study: ${outcome.ran.length} runs now, ${outcome.skipped.length} before, in ${(outcome.seconds / 60).toFixed(1)} min; report ${report.report.map(show).join(", ")}`);
      console.log(`main job done in ${((Date.now() - started) / 60000).toFixed(1)} min`);
      return outcome.failed.length > 0 ? 1 : 0;
    },
  },
  train: {
    summary: "train one pairing with the unified protocol (stage 1, stage 2; resumes after a kill); --eval also evaluates it",
    usage: "llava-more train [--preset P] [--llm NAME] [--tower NAME] [--resolution 1x|1x+S2|…] [--captions short|dense|noisy] [--seed N] [--protocol FILE] [--eval] [--runs DIR]",
    options: { ...PAIRING_OPTIONS, eval: { type: "boolean", description: "evaluate on the benchmarks after training" } },
    async run(values) {
      const options = pairingOptions(values);
      await initBackend();
      console.log(`${runId(options.spec)} (${options.preset}) on ${describeBackend()}; run folder ${show(runDir(options))}`);
      adviseBackend();
      const trained = await trainPairing(options);
      try {
        if (values["eval"] === true) printResult(await evaluatePairing(options, trained));
        else console.log(`trained; evaluate with: npx llava-more eval ${process.argv.slice(3).join(" ")}`.trimEnd());
      } finally {
        trained.model.dispose();
      }
      return 0;
    },
  },
  eval: {
    summary: "evaluate a trained pairing on the benchmarks (writes result.json and lmms-eval-like results into its run folder)",
    usage: "llava-more eval [the pairing's options, as given to train, --protocol included] [--eval-limit N] [--tasks a,b] [--split benchmark|validation] [--lmms-eval vendored|current]",
    options: PAIRING_OPTIONS,
    async run(values) {
      const options = pairingOptions(values);
      await initBackend();
      printResult(await evaluatePairing(options));
      return 0;
    },
  },
  study: {
    summary: "run a study grid (skips finished runs) and merge its results; --slurm writes a job array instead",
    usage: `llava-more study (--grid ${STUDY_NAMES.join("|")} | --grid-file F | --list) [--preset P] [--workers N] [--slurm] [--index I] [--merge] [--archive DIR | --no-archive]`,
    options: {
      grid: { type: "string", description: `the grid: ${STUDY_NAMES.join(", ")}` },
      list: { type: "boolean", description: "list the grids: runs, how many are finished, and the time the rest take at the finished runs' pace (with --workers)" },
      "grid-file": { type: "string", description: "a grid as JSON ({name, title, blocks: [{llms, towers, resolutions?, captions?}], seeds, evalLimit?}) instead of --grid" },
      preset: PAIRING_OPTIONS.preset,
      workers: { type: "string", description: "worker processes, each running one pairing (default 1: in this process)" },
      slurm: { type: "boolean", description: "write a Slurm job-array script (one task per run) instead of running" },
      "cpus-per-task": { type: "string", description: "with --slurm: CPUs per array task (default 2)" },
      index: { type: "string", description: "run only pairing I of the grid (what each Slurm array task does)" },
      merge: { type: "boolean", description: "only merge the finished results into <runs>/studies/<grid>.csv" },
      runs: PAIRING_OPTIONS.runs,
      data: PAIRING_OPTIONS.data,
      zoo: PAIRING_OPTIONS.zoo,
      "zoo-seed": PAIRING_OPTIONS["zoo-seed"],
      archive: PAIRING_OPTIONS.archive,
      "no-archive": PAIRING_OPTIONS["no-archive"],
    },
    async run(values) {
      if (values["list"] === true) {
        for (const line of gridList(values)) console.log(line);
        return 0;
      }
      const options = studyOptions(values);
      if (values["slurm"] === true) {
        const { file, tasks } = writeSlurmScript(options, { cpusPerTask: count("cpus-per-task", values["cpus-per-task"], 2, 1)! });
        console.log(`wrote ${show(file)}: a job array of ${tasks} tasks; submit it with: sbatch ${show(file)}`);
        return 0;
      }
      if (values["merge"] === true) {
        const { files, finished, total } = mergeStudy(options);
        console.log(`${finished} of ${total} runs finished; wrote ${files.map(show).join(", ")}`);
        return 0;
      }
      await initBackend();
      if (values["index"] !== undefined) {
        printResult(await runStudyIndex(options, count("index", values["index"], 0)!));
        return 0;
      }
      console.log(`${options.study.title} — ${options.preset} preset, ${describeBackend()}`);
      adviseBackend();
      const outcome = await runStudy(options);
      console.log(`${outcome.ran.length} runs finished now, ${outcome.skipped.length} before, ${outcome.failed.length} failed, in ${(outcome.seconds / 60).toFixed(1)} min`);
      for (const f of outcome.failed) console.log(`failed: ${f.id}: ${f.error}`);
      console.log(`wrote ${outcome.files.map(show).join(", ")}`);
      return outcome.failed.length > 0 ? 1 : 0;
    },
  },
  findings: {
    summary: "write effects.csv (each study variable's effect on each benchmark, in seed SDs) and findings.md (the paper's findings, where each variable matters) from every finished run",
    usage: "llava-more findings [--preset P] [--zoo-seed N] [--runs DIR] [--data DIR] [--eval-limit N] [--lmms-eval vendored|current] [--kernels portable|native|any] [--out DIR] [--archive DIR | --no-archive]",
    options: {
      preset: PAIRING_OPTIONS.preset,
      "zoo-seed": { type: "string", description: "the runs on zoo build N (runs/<preset>-zooN, results/<preset>-zooN); default 0, whose findings also compare the runs of every other build there is" },
      runs: PAIRING_OPTIONS.runs,
      archive: PAIRING_OPTIONS.archive,
      "no-archive": PAIRING_OPTIONS["no-archive"],
      data: { type: "string", description: "dataset the runs were scored on, for the text-only baseline (default data/generated/<preset>-seed0)" },
      "eval-limit": { type: "string", description: "use the runs' evaluations on the first N items of each benchmark (default: the full evaluations)" },
      "lmms-eval": { type: "string", description: "the runs' evaluations under this scoring profile: vendored (default) or current (those made with eval --lmms-eval current)" },
      kernels: { type: "string", description: "the runs of one kernel build: portable (the bits every built-in grid runs in; the default at small), native (this CPU's fast build) or any (mix them)" },
      out: { type: "string", description: "output folder (default figures/lab; with --lmms-eval current, figures/lab/lmms-eval-current)" },
    },
    async run(values) {
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const lmmsEval = oneOf<Profile>("lmms-eval", values["lmms-eval"], PROFILES, DEFAULT_PROFILE);
      const build = zooBuildOf(values, preset);
      const runs = build.runsDir ?? runsRoot(preset);
      const limit = count("eval-limit", values["eval-limit"], undefined, 1);
      const dataDir = str(values["data"]) ?? defaultDatasetDir(preset, 0);
      const archive = archiveDir(values, build);
      const others = build.seed === 0 && archive !== undefined ? otherZooBuilds(preset) : [];
      // Archived results are checked against the dataset and their zoo build's; the default ones are generated (a minute or two) when missing.
      if (str(values["data"]) === undefined) {
        if (archive !== undefined && archivedIds(archive).length > 0) await generateDataset({ preset, seed: 0, log: console.log });
        for (const seed of others) {
          const dir = archiveRoot(zooBuildLabel(preset, seed));
          // Needed only for an archive that did not record its zoo's dataset (see archiveSourceOf).
          const unchecked = archivedIds(dir).length > 0 && !existsSync(join(dir, ZOO_DATASET)) && !existsSync(join(defaultZooDir(preset, seed), "zoo.json"));
          if (unchecked) await generateDataset({ preset, seed, log: console.log });
        }
      }
      const kernelsWanted = oneOf<KernelMode | "any">("kernels", values["kernels"], [...KERNEL_MODES, "any"], studyGrid("quick", preset).kernels ?? "native");
      const kernels = kernelsWanted === "any" ? undefined : studyKernels({ ...studyGrid("quick", preset), kernels: kernelsWanted });
      const zoo = { seed: build.seed, ...(build.zooDir !== undefined ? { dir: build.zooDir } : {}) };
      const { results, table, prior, answers, otherKernels } = findingsInputs(runs, dataDir, { ...(limit !== undefined ? { evalLimit: limit } : {}), ...(archive !== undefined ? { archiveDir: archive } : {}), zoo, lmmsEval, ...(kernels !== undefined ? { kernels } : {}) });
      const leftOut = otherKernelsText(otherKernels, "--kernels native or any reads them");
      if (results.length === 0) {
        throw new Error(`no finished run${limit !== undefined ? ` evaluated with --eval-limit ${limit}` : " with a full evaluation"}${lmmsEval !== DEFAULT_PROFILE ? ` under --lmms-eval ${lmmsEval}` : ""} in ${show(runs)}${archive !== undefined ? ` or ${show(archive)}` : ""}; run a study first (npx llava-more study --grid quick) or pass the --eval-limit its grid used`);
      }
      const { defaultLabDir, writeFindings } = await import("../analysis/lab_report.js");
      // Findings under another profile never overwrite the committed (vendored) ones.
      const outDir = str(values["out"]) ?? (lmmsEval === DEFAULT_PROFILE ? undefined : join(defaultLabDir(), `lmms-eval-${lmmsEval}`));
      if (!prior) console.log(`no dataset at ${show(dataDir)}: findings.md leaves out the text-only baseline (generate it, or pass --data)`);
      const builds = others.length > 0 ? otherBuildResults(preset, dataDir, limit, kernels, others) : [];
      const { files } = writeFindings(table, outDir, { results, answers, ...(prior ? { prior } : {}), ...(builds.length > 0 ? { builds } : {}) });
      const buildsText = builds.map((b) => `, ${b.results.length} on zoo build ${b.zooSeed}`).join("");
      console.log(`${results.length} runs${kernels !== undefined ? ` of the ${kernels} kernel build` : ""}${buildsText}${leftOut}; wrote ${files.map(show).join(", ")}`);
      return 0;
    },
  },
  archive: {
    summary: "copy every finished, current run's result and sample logs (no checkpoints) into the results archive, which is committed (a study does this for each run it finishes)",
    usage: "llava-more archive [--preset P] [--zoo-seed N] [--runs DIR] [--eval-limit N] [--archive DIR]",
    options: {
      preset: PAIRING_OPTIONS.preset,
      "zoo-seed": { type: "string", description: "archive the runs on zoo build N (runs/<preset>-zooN into results/<preset>-zooN; default 0)" },
      runs: PAIRING_OPTIONS.runs,
      "eval-limit": { type: "string", description: "archive the runs' evaluations on the first N items of each benchmark (default: the full evaluations)" },
      archive: PAIRING_OPTIONS.archive,
    },
    async run(values) {
      const preset = oneOf<Preset>("preset", values["preset"], PRESETS, "small");
      const build = zooBuildOf(values, preset);
      const runs = build.runsDir ?? runsRoot(preset);
      const limit = count("eval-limit", values["eval-limit"], undefined, 1);
      const suffix = evalSuffix(limit !== undefined ? { evalLimit: limit } : {});
      const archive = archiveDir(values, build)!;
      const found = findResults(runs, { suffix });
      for (const { folder } of found) archiveRun(folder, archive, suffix);
      console.log(`${found.length} runs archived into ${show(archive)}`);
      return 0;
    },
  },
};
