/**
 * The study runner: expands a grid into runs, skips the finished ones, runs the rest — in this
 * process, or in N worker processes that each run one pairing through the CLI — and merges every
 * finished result into one table. For a cluster, `writeSlurmScript` writes a Slurm job array whose
 * tasks each run one grid entry through the CLI into a shared runs folder (no home-made scheduler).
 */
import type { ColumnTable } from "arquero";
import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type { Preset } from "../presets.js";
import { kernelBuild, kernelMode, kernelModeEnv, PORTABLE_BITS_ENV, PORTABLE_CLASS, type KernelMode } from "../backend/kernel_build.js";
import { defaultZooDir, towerDir } from "../zoo/zoo.js";
import { mean } from "../util/stats.js";
import { llmDir } from "../zoo/llms.js";
import { writeFileAtomic } from "../util/fs.js";
import { projectRoot } from "../util/paths.js";
import { durationText, progressBar, taskLine, withinTaskLine, type ProgressEstimate } from "../util/progress.js";
import { expandGrid } from "./grid.js";
import { type PairingSpec, type RunResult, pairingId, runId, runWallSeconds } from "../analysis/run_record.js";
import type { StudyDefinition } from "./grids.js";
import { defaultDatasetDir } from "../data/dataset.js";
import { archivedResult, archiveRun, archiveSourceIn, type ArchiveSource } from "./archive.js";
import { mergeResults, ofBuild, readResults, writeMergedTable } from "./results.js";
import { evalSuffix, expectedResultKey, finishedResult, pairingArgs, runDir, runPairing, runsRoot, WORKER_LOG, type RunOptions } from "./run.js";

export interface StudyOptions {
  study: StudyDefinition;
  preset: Preset;
  runsDir?: string;
  datasetDir?: string;
  zooDir?: string;
  /**
   * The results archive (src/study/archive.ts): pairings it holds a current result of are not run
   * again, and each run of the grid finished in the runs folder is archived there (as it finishes, or
   * now if it finished before). Absent: no archive.
   */
  archiveDir?: string;
  /** Worker processes; 1 (default) runs every pairing in this process, unless `isolate`. */
  workers?: number;
  /** Run every pairing in a child process, even with one worker. */
  isolate?: boolean;
  progress?: boolean;
  log?: (line: string) => void;
}

export interface StudyOutcome {
  pairings: PairingSpec[];
  /** Runs finished before this call (skipped), in the runs folder or the archive. */
  skipped: string[];
  /** Runs finished by this call. */
  ran: string[];
  failed: { id: string; error: string }[];
  results: RunResult[];
  /** One row per run × benchmark (see LabScoreRow). */
  table: ColumnTable;
  /** The merged table's files: <runs>/studies/<name>.csv and .json. */
  files: string[];
  seconds: number;
}

/** The kernel mode a study's runs are computed in: the grid's, else this process's. */
const studyMode = (study: StudyDefinition): KernelMode => study.kernels ?? kernelMode();

/**
 * The class of the kernel build a study's runs must carry (src/backend/kernel_build.ts): "portable" for
 * a portable grid, else this process's native build, which a process in portable mode cannot know.
 */
export function studyKernels(study: StudyDefinition): string {
  if (study.kernels === "portable") return PORTABLE_CLASS;
  if (study.kernels === "native" && kernelMode() === "portable") {
    throw new Error(`the "${study.name}" grid runs the native kernels, and this process was started with ${PORTABLE_BITS_ENV}=1, which hides which those are here; unset it`);
  }
  return kernelBuild().class;
}

const runOptions = (options: StudyOptions, spec: PairingSpec): RunOptions => ({
  preset: options.preset,
  spec,
  kernels: studyKernels(options.study),
  ...(options.runsDir !== undefined ? { runsDir: options.runsDir } : {}),
  ...(options.datasetDir !== undefined ? { datasetDir: options.datasetDir } : {}),
  ...(options.zooDir !== undefined ? { zooDir: options.zooDir } : {}),
  ...(options.study.evalLimit !== undefined ? { evalLimit: options.study.evalLimit } : {}),
});

/** CLI arguments of `llava-more train --eval` for one pairing of the study. */
export function workerArgs(options: StudyOptions, spec: PairingSpec): string[] {
  return [
    "train",
    ...pairingArgs({ preset: options.preset, spec }),
    "--eval",
    ...(options.runsDir !== undefined ? ["--runs", options.runsDir] : []),
    ...(options.datasetDir !== undefined ? ["--data", options.datasetDir] : []),
    ...(options.zooDir !== undefined ? ["--zoo", options.zooDir] : []),
    ...(options.study.evalLimit !== undefined ? ["--eval-limit", String(options.study.evalLimit)] : []),
  ];
}

/** Runs every unfinished pairing of the study and merges all finished results. */
export async function runStudy(options: StudyOptions): Promise<StudyOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const pairings = expandGrid(options.study);
  const suffix = evalSuffix({ evalLimit: options.study.evalLimit });
  const skipped: string[] = [];
  const finished: RunResult[] = [];
  const todo: PairingSpec[] = [];
  const archive = archiveSource(options);
  const kernels = studyKernels(options.study);
  for (const spec of pairings) {
    // A result with another key (older protocol, data, zoo entry or kernel build) is stale: runPairing trains it again.
    const run = runOptions(options, spec);
    const local = finishedResult(runDir(run), suffix, expectedResultKey(run));
    const stored = archive ? archivedResult(archive, runId(spec), suffix) : undefined;
    const archived = ofBuild(stored, kernels) ? stored : undefined;
    // A run finished before (by `train --eval`, or before the archive) is archived now.
    if (local && archive && archived?.key !== local.key) archiveFinished(options, spec, suffix, log);
    const result = local ?? archived;
    if (result) {
      skipped.push(runId(spec));
      finished.push(result);
    } else todo.push(spec);
  }
  const zoo = options.zooDir ?? defaultZooDir(options.preset, 0);
  const { missing, runnable: runnableAtStart } = zooCoverage(todo, zoo);
  const blocked = todo.length - runnableAtStart.length;
  if (missing.length > 0) {
    log(`the zoo lacks ${missing.join(", ")}: ${blocked} of the ${todo.length} runs to do will fail until it has them (build them first: npm run zoo -- --preset ${options.preset} --only ${missing.join(",")})`);
  }
  const workers = Math.max(1, Math.min(options.workers ?? 1, todo.length || 1));
  // A blocked run fails within seconds, unless the zoo is built before its turn (a build beside the grid):
  // the time left is the runnable runs', the zoo re-read at each estimate. `left`: the runs not finished
  // yet, kept by the worker loop (the in-process loop draws no bar).
  const left = [...todo];
  if (skipped.length > 0) log(`${options.study.name}: ${skipped.length} of ${pairings.length} runs already finished${resumeText(finished, runnableAtStart, blocked, workers)}`);
  const failed: { id: string; error: string }[] = [];
  const ran: string[] = [];
  // This process computes the runs itself only in the grid's kernel mode: OpenBLAS picks its kernels once, when it loads.
  const inProcess = workers === 1 && options.isolate !== true && studyMode(options.study) === kernelMode();
  // The bar's own rate would count a resumed run's few minutes as a whole run's: it reads the runs' recorded wall time instead.
  const bar = progressBar(`study ${options.study.name}`, todo.length, {
    silent: options.progress === false || inProcess || todo.length === 0,
    estimate: () => gridTimeLeft(finished, zooCoverage(left, zoo).runnable, workers),
  });
  // In a notebook, one line per run (`taskLine`): its stages' bars and messages update it in place.
  const lineOf = (spec: PairingSpec): ReturnType<typeof taskLine> =>
    options.progress === false ? undefined : taskLine(runId(spec), `[${todo.indexOf(spec) + 1}/${todo.length}] ${runId(spec)}`);
  if (inProcess) {
    for (const spec of todo) {
      const line = lineOf(spec);
      try {
        await withinTaskLine(line, () => runPairing({ ...runOptions(options, spec), progress: options.progress, log: line ? (l) => line.note(l) : log }));
        ran.push(runId(spec));
        archiveFinished(options, spec, suffix, log);
      } catch (err) {
        failed.push({ id: runId(spec), error: err instanceof Error ? err.message : String(err) });
        if (!line) log(`${runId(spec)} failed: ${failed[failed.length - 1]!.error}`); // else its line says so
      }
    }
  } else {
    const threads = Math.max(1, Math.floor(cpus().length / workers));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const spec = todo[next++]!;
        const id = runId(spec);
        const dir = runDir(runOptions(options, spec));
        const workerLog = join(dir, WORKER_LOG);
        const line = lineOf(spec);
        if (line) line.show(`running in a worker process; follow it with: tail -f ${workerLog}`);
        else log(`${id}: running in a worker process; follow it with: tail -f ${workerLog}`);
        const code = await runWorker(workerArgs(options, spec), dir, threads, studyMode(options.study));
        if (code === 0) line?.end("finished", `its log: ${workerLog}`);
        else line?.end("failed", `the worker exited with code ${code}; see ${workerLog}`);
        if (code === 0) {
          ran.push(id);
          const result = finishedResult(dir, suffix, expectedResultKey(runOptions(options, spec)));
          if (result) finished.push(result);
          archiveFinished(options, spec, suffix, log);
        } else failed.push({ id, error: `worker exited with code ${code}; see ${join(dir, WORKER_LOG)}` });
        left.splice(left.indexOf(spec), 1);
        bar.tick();
      }
    };
    await Promise.all([...Array(workers)].map(worker));
    bar.done();
  }
  const { results, table, files } = mergeStudy(options);
  return { pairings, skipped, ran, failed, results, table, files, seconds: (Date.now() - started) / 1000 };
}

/**
 * What is left of a grid from what its finished runs took (their recorded wall time, which a resumed
 * run's progress bar cannot know): "20 min a run so far, about 1.7 h for 10 runs on 2 workers".
 */
export function timeLeftText(finished: readonly RunResult[], todo: readonly PairingSpec[], workers: number): string {
  const estimate = gridTimeLeft(finished, todo, workers);
  const runs = `${todo.length} run${todo.length === 1 ? "" : "s"}`;
  if (estimate === undefined) return `no run finished yet to estimate ${runs} from`;
  const { secondsEach, secondsLeft } = estimate;
  return `${durationText(secondsEach)} a run so far, about ${(secondsLeft / 3600).toFixed(1)} h for ${runs} on ${workers} worker${workers === 1 ? "" : "s"}`;
}

/** What a resumed grid has left, after "N of M runs already finished": nothing when only runs the zoo blocks are left. */
export function resumeText(finished: readonly RunResult[], runnable: readonly PairingSpec[], blocked: number, workers: number): string {
  if (runnable.length === 0) return "";
  return `; ${timeLeftText(finished, runnable, workers)}${blocked > 0 ? ` (not counting the ${blocked} that wait on the zoo)` : ""}`;
}

/**
 * What a run is expected to take: the mean recorded wall time of the finished runs of its pairing
 * (any seed), else of its LLM's runs (an LLM's size sets most of a run's time), else of all of them;
 * undefined before any run finished.
 */
export function expectedRunSeconds(finished: readonly RunResult[], spec: PairingSpec): number | undefined {
  const pairing = pairingId(spec);
  const samePairing = finished.filter((r) => pairingId(r.spec) === pairing);
  const sameLlm = finished.filter((r) => r.spec.llm === spec.llm);
  const basis = samePairing.length > 0 ? samePairing : sameLlm.length > 0 ? sameLlm : finished;
  return basis.length > 0 ? mean(basis.map(runWallSeconds)) : undefined;
}

/**
 * The mean recorded wall time of the finished runs, and how long the runs left take on `workers`:
 * each run, timed by `expectedRunSeconds`, goes in order to the worker free first. Undefined before
 * any run finished.
 */
export function gridTimeLeft(finished: readonly RunResult[], todo: readonly PairingSpec[], workers: number): ProgressEstimate | undefined {
  if (finished.length === 0) return undefined;
  const free = new Array<number>(Math.max(1, workers)).fill(0);
  for (const spec of todo) {
    const first = free.indexOf(Math.min(...free));
    free[first]! += expectedRunSeconds(finished, spec)!;
  }
  return { secondsEach: mean(finished.map(runWallSeconds)), secondsLeft: Math.max(...free) };
}

const runsRootOf = (options: StudyOptions): string => options.runsDir ?? runsRoot(options.preset);

/** The study's archive with the manifest of its dataset, which archived results are checked against. */
function archiveSource(options: StudyOptions): ArchiveSource | undefined {
  return archiveSourceIn(options.archiveDir, options.datasetDir ?? defaultDatasetDir(options.preset, 0), options.zooDir !== undefined ? { dir: options.zooDir } : {});
}

/** Copies a run just finished into the study's archive; a failure to archive is reported, not fatal (the run folder keeps it). */
function archiveFinished(options: StudyOptions, spec: PairingSpec, suffix: string, log: (line: string) => void): void {
  if (options.archiveDir === undefined) return;
  try {
    archiveRun(runDir(runOptions(options, spec)), options.archiveDir, suffix);
  } catch (err) {
    log(`${runId(spec)}: not archived: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The CLI in a child process (output to <run>/worker.log), with its share of the cores, in the grid's kernel mode. */
function runWorker(args: string[], dir: string, threads: number, mode: KernelMode): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, WORKER_LOG), "a");
  const env = { ...kernelModeEnv(mode), LLAVA_MORE_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot(), "src", "cli", "index.ts"), ...args], { cwd: projectRoot(), env, stdio: ["ignore", fd, fd] });
  return new Promise((resolve) => {
    child.on("close", (code) => {
      closeSync(fd);
      resolve(code ?? 1);
    });
    child.on("error", () => {
      closeSync(fd);
      resolve(1);
    });
  });
}

export interface SlurmOptions {
  /** Where the script is written (default <runs>/slurm/<study>.sbatch). */
  file?: string;
  cpusPerTask?: number;
  /** Wall-time limit per task, Slurm format (default 02:00:00). */
  time?: string;
  /** Extra #SBATCH lines (partition, account, …), without the prefix. */
  extra?: readonly string[];
}

/**
 * A Slurm job-array script: task i runs pairing i of the grid (`llava-more study --index i`) into
 * the shared runs folder; `llava-more study --merge` afterwards merges what finished.
 */
export function writeSlurmScript(options: StudyOptions, slurm: SlurmOptions = {}): { file: string; gridFile: string; tasks: number } {
  const pairings = expandGrid(options.study);
  const runs = runsRootOf(options);
  const file = slurm.file ?? join(runs, "slurm", `${options.study.name}.sbatch`);
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  // The grid is frozen beside the script, so the array runs exactly these pairings.
  const gridFile = file.replace(/\.sbatch$/, "") + ".grid.json";
  writeFileAtomic(gridFile, `${JSON.stringify(options.study, null, 1)}\n`);
  const shared = [
    "--grid-file", gridFile,
    "--preset", options.preset,
    "--runs", runs,
    ...(options.datasetDir !== undefined ? ["--data", options.datasetDir] : []),
    ...(options.zooDir !== undefined ? ["--zoo", options.zooDir] : []),
  ].map(quote).join(" ");
  const cli = `${quote(process.execPath)} ${quote(join(projectRoot(), "bin", "llava-more.js"))}`;
  const script = [
    "#!/bin/bash",
    `#SBATCH --job-name=llava-more-${options.study.name}`,
    `#SBATCH --array=0-${pairings.length - 1}`,
    `#SBATCH --cpus-per-task=${slurm.cpusPerTask ?? 2}`,
    `#SBATCH --time=${slurm.time ?? "02:00:00"}`,
    `#SBATCH --output=${join(runs, "slurm", `${options.study.name}-%A_%a.out`)}`,
    ...(slurm.extra ?? []).map((line) => `#SBATCH ${line}`),
    "#",
    `# ${pairings.length} runs of the "${options.study.name}" grid (${options.preset} preset), one per array task:`,
    ...pairings.map((p, i) => `#   ${i}: ${runId(p)}`),
    "# Submit: sbatch this file. When the array has finished, merge the results:",
    `#   ${cli} study ${shared} --merge`,
    "set -euo pipefail",
    `: "\${SLURM_ARRAY_TASK_ID:?run this script with sbatch (or set SLURM_ARRAY_TASK_ID to a task index)}"`,
    `export LLAVA_MORE_THREADS="\${SLURM_CPUS_PER_TASK:-${slurm.cpusPerTask ?? 2}}"`,
    `export OPENBLAS_NUM_THREADS="$LLAVA_MORE_THREADS"`,
    ...modeLines(options.study.kernels),
    `cd ${quote(projectRoot())}`,
    `exec ${cli} study ${shared} --index "$SLURM_ARRAY_TASK_ID"`,
    "",
  ].join("\n");
  writeFileAtomic(file, script);
  chmodSync(file, 0o755);
  return { file, gridFile, tasks: pairings.length };
}

/** The shell lines that start a Slurm task in the grid's kernel mode (as kernelModeEnv does for a worker). */
function modeLines(mode: KernelMode | undefined): string[] {
  if (mode === "portable") return [`export ${PORTABLE_BITS_ENV}=1`, "unset OPENBLAS_CORETYPE"];
  return mode === "native" ? [`unset ${PORTABLE_BITS_ENV}`] : [];
}

/** Runs pairing `index` of the study in this process (a Slurm array task). */
export async function runStudyIndex(options: StudyOptions, index: number): Promise<RunResult> {
  const pairings = expandGrid(options.study);
  if (!Number.isInteger(index) || index < 0 || index >= pairings.length) throw new Error(`--index: expected an integer from 0 to ${pairings.length - 1} (the "${options.study.name}" grid has ${pairings.length} runs), got ${index}`);
  return runPairing({ ...runOptions(options, pairings[index]!), progress: options.progress, log: options.log });
}

/** Merges the finished results of a study without running anything; `lacking` names the runs not finished. */
export function mergeStudy(options: StudyOptions): { results: RunResult[]; table: ColumnTable; files: string[]; finished: number; total: number; lacking: string[] } {
  const ids = expandGrid(options.study).map(runId);
  const suffix = evalSuffix({ evalLimit: options.study.evalLimit });
  const archive = archiveSource(options);
  const results = readResults(runsRootOf(options), { ids, suffix, kernels: studyKernels(options.study), ...(archive ? { archive } : {}) });
  const table = mergeResults(results);
  const done = new Set(results.map((r) => r.id));
  const lacking = ids.filter((id) => !done.has(id));
  return { results, table, files: writeMergedTable(table, join(runsRootOf(options), "studies", `${options.study.name}${suffix}`)), finished: results.length, total: ids.length, lacking };
}

/** Zoo entries the study needs that the zoo folder lacks. */
export const missingZooEntries = (study: StudyDefinition, zoo: string): string[] => zooCoverage(expandGrid(study), zoo).missing;

/**
 * What the zoo folder holds now for these pairings: the entries it lacks (towers first) and the
 * pairings whose LLM and tower it has.
 */
export function zooCoverage(pairings: readonly PairingSpec[], zoo: string): { missing: string[]; runnable: PairingSpec[] } {
  const llms = [...new Set(pairings.map((p) => p.llm))].filter((name) => !existsSync(join(llmDir(zoo, name), "entry.json")));
  const towers = [...new Set(pairings.map((p) => p.tower))].filter((family) => !existsSync(join(towerDir(zoo, family), "entry.json")));
  const missing = [...towers, ...llms];
  return { missing, runnable: pairings.filter((p) => !missing.includes(p.llm) && !missing.includes(p.tower)) };
}
