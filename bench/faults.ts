/**
 * `npm run faults`: the fault-injection suite of issue 29. It trains one tiny pairing end to end as a
 * reference, then trains it again in a fresh runs folder (and a fresh copy of the dataset, so the
 * feature cache is written again) while killing the process with SIGKILL at N moments, restarting it
 * after each kill until it finishes, and checks that the result, the sample logs, the weights, the
 * losses and the feature cache are byte-identical to the reference's. Then it damages finished and
 * half-trained runs (a truncated checkpoint, NaN weights, cut JSON Lines, stale locks) and checks that
 * each ends in a clear error naming the file or in a correct recovery, never in a silent wrong result.
 *
 * Each kill targets a phase — feature cache (train), stage 1, checkpoint write, stage 2, feature cache
 * (test), evaluation — and lands at a random moment inside it: the child's progress lines say when a
 * phase begins, and the kill follows after a random fraction of that phase's length in the reference
 * run; a checkpoint write is caught by watching for the `resume.next` folder (or a temporary weights
 * file) and killing as soon as it appears. The phase actually hit is read afterwards from the frozen
 * run folder (a SIGKILLed process leaves it as it was at the kill) and the child's last line.
 *
 *   npm run faults [-- --faults 20 --seed 1 --work DIR --keep]
 *
 * Prints a table of the kills, one of the checks and one of the corruption cases, then a last line
 * `N passed, M failed`; exits 0 only when nothing failed.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { initBackend } from "../src/backend/index.js";
import { buildZoo } from "../src/zoo/zoo.js";
import { processStartTime } from "../src/util/fs.js";
import { projectPath } from "../src/util/paths.js";
import { Random } from "../src/util/random.js";

const BIN = projectPath("bin", "llava-more.js");
const RUN_ID = "llama3.1-8b__clip-1x__short__s0";
const EVAL_LIMIT = 8;
const SUFFIX = `-limit${EVAL_LIMIT}`;

/** The phases a kill can target, in the order a run passes through them. */
export const TARGETS = ["feature cache (train)", "stage 1", "checkpoint write", "stage 2", "feature cache (test)", "evaluation"] as const;
export type Target = (typeof TARGETS)[number];

export interface FaultOptions {
  faults?: number;
  seed?: number;
  /** Holds the zoo and the pristine dataset (reused between runs) and a temporary folder per run. */
  workDir?: string;
  /** Keep the run folders afterwards (they are removed by default). */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface FaultRow {
  n: number;
  target: Target;
  /** Seconds after the process started that the kill landed. */
  at: number;
  hit: string;
  outcome: string;
  ok: boolean;
}

export interface CheckRow {
  name: string;
  detail: string;
  ok: boolean;
}

export interface FaultReport {
  faults: FaultRow[];
  checks: CheckRow[];
  corruption: CheckRow[];
  passed: number;
  failed: number;
  seconds: number;
  referenceSeconds: number;
}

// ---- one process of the run ----------------------------------------------------------------------

interface Line {
  t: number;
  text: string;
}

interface Child {
  lines: Line[];
  started: number;
  kill(): number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  onLine(listener: (line: Line) => void): void;
}

function startCli(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: projectPath(), stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LLAVA_MORE_DEBUG: "0" } });
  const started = Date.now();
  const lines: Line[] = [];
  const listeners: ((line: Line) => void)[] = [];
  let killedAt = -1;
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split(/\r?\n|\r/);
      rest = parts.pop()!;
      for (const text of parts) {
        if (text.trim() === "") continue;
        const line = { t: (Date.now() - started) / 1000, text: text.trim() };
        lines.push(line);
        for (const l of listeners) l(line);
      }
    });
  }
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    lines,
    started,
    kill: () => {
      if (killedAt < 0) {
        killedAt = (Date.now() - started) / 1000;
        child.kill("SIGKILL");
      }
      return killedAt;
    },
    done,
    onLine: (l) => listeners.push(l),
  };
}

/** Runs the CLI to its end; returns its exit code and output. */
async function runCli(args: string[]): Promise<{ code: number | null; output: string; seconds: number }> {
  const child = startCli(args);
  const { code } = await child.done;
  return { code, output: child.lines.map((l) => l.text).join("\n"), seconds: (Date.now() - child.started) / 1000 };
}

// ---- the folders of one faulted (or reference) run -----------------------------------------------

interface Setup {
  zoo: string;
  /** The pristine dataset (its feature cache removed before each copy). */
  data: string;
}

class RunFolders {
  readonly runs: string;
  readonly data: string;
  constructor(
    readonly root: string,
    setup: Setup,
  ) {
    this.runs = join(root, "runs");
    this.data = join(root, "data");
    cpSync(setup.data, this.data, { recursive: true, filter: (src) => !src.startsWith(join(setup.data, "cache")) });
  }

  get dir(): string {
    return join(this.runs, RUN_ID);
  }

  args(zoo: string): string[] {
    return ["train", "--preset", "tiny", "--eval", "--eval-limit", String(EVAL_LIMIT), "--zoo", zoo, "--runs", this.runs, "--data", this.data, "--no-archive"];
  }

  /** Whether the features (and pixels) of a split are cached in this dataset copy. */
  featuresCached(split: "train" | "test"): boolean {
    const root = join(this.data, "cache", "features");
    if (!existsSync(root)) return false;
    return readdirSync(root).some((f) => f.includes(`-${split}-`) && existsSync(join(root, f, "meta.json")));
  }

  pixelsCached(split: "train" | "test"): boolean {
    const root = join(this.data, "cache");
    return existsSync(root) && readdirSync(root).some((f) => f.startsWith(`pixels-${split}`) && f.endsWith(".u8"));
  }

  has(...path: string[]): boolean {
    return existsSync(join(this.dir, ...path));
  }

  logLines(stage: number): number {
    if (!this.has("log.jsonl")) return 0;
    return readFileSync(join(this.dir, "log.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith(`{"stage":${stage},`) && l.endsWith("}")).length;
  }

  /** A checkpoint or weights file being written now: its description, or undefined. */
  writing(): string | undefined {
    for (const stage of [1, 2]) {
      const next = join(this.dir, `stage${stage}`, "resume.next");
      if (existsSync(next)) {
        const progress = join(next, "progress.json");
        const step = existsSync(progress) ? ` of step ${(JSON.parse(readFileSync(progress, "utf8")) as { step: number }).step}` : "";
        return `checkpoint write (stage ${stage}${step}: resume.next${existsSync(progress) ? " complete, not yet renamed" : " being written"})`;
      }
      if (existsSync(join(this.dir, `stage${stage}`, "resume.old"))) return `checkpoint write (stage ${stage}: between the renames, resume.old kept)`;
    }
    const tmp = (sub: string): string | undefined => (existsSync(join(this.dir, sub)) ? readdirSync(join(this.dir, sub)).find((f) => f.endsWith(".tmp")) : undefined);
    const model = tmp("model");
    if (model) return `checkpoint write (final weights: ${model.replace(/\.\d+\.tmp$/, "")} half-written)`;
    if (this.has("model", "model.safetensors") && !this.has("model", "summary.json")) return "checkpoint write (final weights written, summary not yet)";
    const stage1 = tmp("stage1");
    if (stage1) return `checkpoint write (stage-1 projector: ${stage1.replace(/\.\d+\.tmp$/, "")} half-written)`;
    if (this.has("stage1", "summary.json") && !this.has("stage1", "projector.safetensors")) return "checkpoint write (stage-1 summary written, projector not yet)";
    return undefined;
  }

  /** The phase a run killed now was in, from its folder (frozen by the kill) and its last line. */
  phase(last: string): string {
    if (this.has(`result${SUFFIX}.json`)) return "after the result was written";
    const writing = this.writing();
    if (writing) return writing;
    if (!this.featuresCached("train")) {
      if (/^pixels .*train/.test(last)) return "feature cache (train: pixels)";
      if (/^features .*train/.test(last)) return "feature cache (train: tower features)";
      return this.pixelsCached("train") ? "feature cache (train: tower features)" : "startup (before the feature cache)";
    }
    if (!this.has("stage1", "projector.safetensors")) {
      const steps = this.logLines(1);
      return / stage 1 \[/.test(last) ? `stage 1 (after step ${steps} of 12)` : `before stage 1 (encoding; ${steps} steps logged)`;
    }
    if (!this.has("model", "summary.json")) {
      const steps = this.logLines(2);
      return / stage 2 \[/.test(last) ? `stage 2 (after step ${steps} of 10)` : `before stage 2 (${steps} steps logged)`;
    }
    if (!this.featuresCached("test")) {
      if (/^pixels .*test/.test(last)) return "feature cache (test: pixels)";
      if (/^features .*test/.test(last)) return "feature cache (test: tower features)";
      if (/: stage 2 \d+ steps/.test(last)) return "evaluation (image reliance on validation scenes)";
      return "startup (trained run: loading weights)";
    }
    const task = /^(\w+) \[/.exec(last)?.[1];
    const samples = existsSync(join(this.dir, `eval${SUFFIX}`)) ? readdirSync(join(this.dir, `eval${SUFFIX}`)).length : 0;
    if (samples > 0) return `evaluation (writing results: ${samples} files written)`;
    return task ? `evaluation (after task ${task})` : "evaluation (before the first task)";
  }

  /** The step a stage resumes from (its last checkpoint's), 0 without one. */
  resumeStep(stage: 1 | 2): number {
    const progress = join(this.dir, `stage${stage}`, "resume", "progress.json");
    return existsSync(progress) ? (JSON.parse(readFileSync(progress, "utf8")) as { step: number }).step : 0;
  }

  /** The checkpoints (stage, step) this run has still to write: every tenth of each stage left. */
  writesLeft(): { stage: 1 | 2; step: number }[] {
    const left: { stage: 1 | 2; step: number }[] = [];
    for (const [stage, steps, every, done] of [
      [1, 12, 2, this.has("stage1", "projector.safetensors")],
      [2, 10, 1, this.has("model", "summary.json")],
    ] as const) {
      if (done) continue;
      const from = this.resumeStep(stage);
      for (let step = every; step <= steps; step += every) if (step > from) left.push({ stage, step });
    }
    return left;
  }

  /** Whether a phase can still happen in this run (an earlier phase done is not run again). */
  reachable(target: Target): boolean {
    switch (target) {
      case "feature cache (train)":
        return !this.featuresCached("train");
      case "stage 1":
        return !this.has("stage1", "projector.safetensors");
      case "checkpoint write":
        return !this.has("model", "summary.json");
      case "stage 2":
        return !this.has("model", "summary.json");
      case "feature cache (test)":
        return !this.featuresCached("test");
      case "evaluation":
        return !this.has(`result${SUFFIX}.json`);
    }
  }
}

// ---- the reference run's timeline ----------------------------------------------------------------

const PATTERNS = {
  featuresTrain: /^(pixels|features) .*\btrain\b/,
  towerTrain: /^features .*\btrain\b/,
  stage1: / stage 1 \[/,
  stage1Done: /: stage 1 \d+ steps/,
  stage2: / stage 2 \[/,
  stage2Done: /: stage 2 \d+ steps/,
  featuresTest: /^(pixels|features) .*\btest\b/,
  towerTest: /^features .*\btest\b/,
};

interface Timeline {
  total: number;
  featuresTrain: [number, number];
  towerTrain: [number, number];
  stage1: [number, number];
  stage2: [number, number];
  featuresTest: [number, number];
  towerTest: [number, number];
  evaluation: [number, number];
}

function timeline(lines: Line[], total: number): Timeline {
  const first = (re: RegExp): number => lines.find((l) => re.test(l.text))?.t ?? Number.NaN;
  const last = (re: RegExp): number => [...lines].reverse().find((l) => re.test(l.text))?.t ?? Number.NaN;
  const span = (re: RegExp): [number, number] => [first(re), last(re)];
  const t: Timeline = {
    total,
    featuresTrain: span(PATTERNS.featuresTrain),
    towerTrain: span(PATTERNS.towerTrain),
    stage1: [first(PATTERNS.stage1), first(PATTERNS.stage1Done)],
    stage2: [first(PATTERNS.stage2), first(PATTERNS.stage2Done)],
    featuresTest: span(PATTERNS.featuresTest),
    towerTest: span(PATTERNS.towerTest),
    evaluation: [first(PATTERNS.stage2Done), total],
  };
  for (const [name, value] of Object.entries(t)) {
    if (Array.isArray(value) && value.some((x) => !Number.isFinite(x))) throw new Error(`the reference run printed no ${name} progress: cannot place kills in it`);
  }
  return t;
}

const length = ([a, b]: [number, number]): number => Math.max(0.02, b - a);

// ---- one fault -----------------------------------------------------------------------------------

/**
 * Starts the run, kills it inside `target` (or the first later phase it reaches) after `fraction` of
 * that phase's reference length, and returns where the kill landed.
 */
async function killInside(folders: RunFolders, zoo: string, target: Target, fraction: number, ref: Timeline): Promise<{ child: Child; at: number; hit: string; exit: { code: number | null; signal: NodeJS.Signals | null } }> {
  const child = startCli(folders.args(zoo));
  let timer: NodeJS.Timeout | undefined;
  let poll: NodeJS.Timeout | undefined;
  let at = -1;
  let hit = "";
  const kill = (): void => {
    if (at >= 0) return;
    at = child.kill();
  };
  const after = (seconds: number): void => {
    if (timer === undefined && at < 0) timer = setTimeout(kill, seconds * 1000);
  };
  // Which checkpoint write: one of those the run has left, drawn by `fraction`; it follows the log
  // line of the step before it. A write lasts milliseconds: the folder is polled and the kill sent the
  // moment one is under way.
  const writes = target === "checkpoint write" ? folders.writesLeft() : [];
  const write = writes[Math.min(writes.length - 1, Math.floor(fraction * writes.length))];
  let armed = false;
  const watchWrites = (): void => {
    poll ??= setInterval(() => {
      armed ||= write === undefined || folders.logLines(write.stage) >= write.step;
      if (armed && folders.writing() !== undefined) kill();
    }, 1);
  };
  // Which step of a stage: one of those left (a resumed stage has fewer), drawn by `fraction`, and a
  // random moment inside it (the rest of `fraction`, times the reference's time per step). The stage's
  // progress line comes after the log is cut back to its checkpoint, so the count of lines is the
  // step under way.
  const watchStep = (stage: 1 | 2): void => {
    const steps = stage === 1 ? 12 : 10;
    const from = folders.resumeStep(stage);
    const drawn = fraction * (steps - from);
    const step = from + Math.floor(drawn);
    const inside = (drawn - Math.floor(drawn)) * (length(stage === 1 ? ref.stage1 : ref.stage2) / steps);
    poll ??= setInterval(() => {
      if (folders.logLines(stage) >= step) {
        clearInterval(poll);
        after(inside);
      }
    }, 2);
  };
  child.onLine(({ text }) => {
    switch (target) {
      case "feature cache (train)":
        if (PATTERNS.featuresTrain.test(text)) after(fraction * length(folders.pixelsCached("train") ? ref.towerTrain : ref.featuresTrain));
        else if (PATTERNS.stage1.test(text)) kill(); // the cache was done before the kill: kill at once
        break;
      case "stage 1":
        if (PATTERNS.stage1.test(text)) watchStep(1);
        else if (PATTERNS.stage1Done.test(text)) kill();
        break;
      case "checkpoint write":
        if (PATTERNS.stage1.test(text) || PATTERNS.stage2.test(text)) watchWrites();
        break;
      case "stage 2":
        if (PATTERNS.stage2.test(text)) watchStep(2);
        else if (PATTERNS.stage2Done.test(text)) kill();
        break;
      case "feature cache (test)":
        if (PATTERNS.featuresTest.test(text)) after(fraction * length(folders.pixelsCached("test") ? ref.towerTest : ref.featuresTest));
        break;
      case "evaluation":
        if (PATTERNS.stage2Done.test(text)) after(fraction * length(ref.evaluation));
        break;
    }
  });
  const exit = await child.done;
  clearTimeout(timer);
  clearInterval(poll);
  if (at >= 0) hit = folders.phase(child.lines.at(-1)?.text ?? "");
  return { child, at, hit, exit };
}

/** What a restarted process said about the state it found (its first resume or reuse line). */
function resumeNote(lines: Line[]): string {
  const resumed = lines.filter((l) => /resuming at step/.test(l.text)).map((l) => l.text.replace(/^.*?(stage \d): resuming at step (\d+) of (\d+).*$/, "$1 resumed at step $2 of $3"));
  return resumed.length > 0 ? resumed.join("; ") : "";
}

// ---- comparisons ---------------------------------------------------------------------------------

const TIMING = new Set(["seconds", "tokensPerSecond", "finished", "tokens_per_second"]);

/** A JSON value without its timing fields (wall times, rates, the finish date), as text. */
export function withoutTiming(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => (TIMING.has(key) ? undefined : v));
}

function compareRuns(faulted: RunFolders, reference: RunFolders): CheckRow[] {
  const rows: CheckRow[] = [];
  const same = (name: string, a: string, b: string, what = "byte-identical"): void => {
    const ok = existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));
    rows.push({ name, detail: ok ? what : !existsSync(a) ? `missing in the faulted run: ${a}` : `differs from the reference (${a})`, ok });
  };
  const resultA = join(faulted.dir, `result${SUFFIX}.json`);
  const resultB = join(reference.dir, `result${SUFFIX}.json`);
  if (!existsSync(resultA)) rows.push({ name: `result${SUFFIX}.json`, detail: "missing in the faulted run", ok: false });
  else {
    const [a, b] = [resultA, resultB].map((f) => withoutTiming(JSON.parse(readFileSync(f, "utf8"))));
    rows.push({ name: `result${SUFFIX}.json`, detail: a === b ? "identical but for timing fields (seconds, tokensPerSecond, finished)" : "differs from the reference beyond timing fields", ok: a === b });
  }
  const evalB = join(reference.dir, `eval${SUFFIX}`);
  const samples = readdirSync(evalB).filter((f) => f.startsWith("samples_")).sort();
  const faultedSamples = existsSync(join(faulted.dir, `eval${SUFFIX}`)) ? readdirSync(join(faulted.dir, `eval${SUFFIX}`)).filter((f) => f.startsWith("samples_")).sort() : [];
  if (faultedSamples.join() !== samples.join()) rows.push({ name: `eval${SUFFIX}/samples_*.jsonl`, detail: `other files: ${faultedSamples.join(", ")}`, ok: false });
  for (const f of samples) same(`eval${SUFFIX}/${f}`, join(faulted.dir, `eval${SUFFIX}`, f), join(evalB, f));
  same("model/model.safetensors", join(faulted.dir, "model", "model.safetensors"), join(reference.dir, "model", "model.safetensors"));
  same("stage1/projector.safetensors", join(faulted.dir, "stage1", "projector.safetensors"), join(reference.dir, "stage1", "projector.safetensors"));
  const losses = (f: RunFolders): string =>
    readFileSync(join(f.dir, "log.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const { stage, step, loss, learning_rate, grad_norm } = JSON.parse(l) as Record<string, number>;
        return JSON.stringify({ stage, step, loss, learning_rate, grad_norm });
      })
      .join("\n");
  const [la, lb] = [losses(faulted), losses(reference)];
  rows.push({ name: "log.jsonl", detail: la === lb ? `every step once, same losses, rates and gradient norms (${lb.split("\n").length} lines)` : "steps or losses differ from the reference", ok: la === lb });
  for (const split of ["train", "test"] as const) {
    const dir = (f: RunFolders): string | undefined => {
      const root = join(f.data, "cache", "features");
      const name = existsSync(root) ? readdirSync(root).find((d) => d.includes(`-${split}-`)) : undefined;
      return name ? join(root, name, "features.f32") : undefined;
    };
    const [a, b] = [dir(faulted), dir(reference)];
    if (!a || !b) rows.push({ name: `feature cache (${split})`, detail: "missing", ok: false });
    else same(`feature cache (${split})`, a, b);
  }
  return rows;
}

// ---- corruption cases ----------------------------------------------------------------------------

/** A run folder killed in stage 2 after its first checkpoints: a copy of the faulted run's dataset is reused. */
async function killedInStage2(root: string, setup: Setup): Promise<RunFolders> {
  const folders = new RunFolders(root, setup);
  const child = startCli(folders.args(setup.zoo));
  const poll = setInterval(() => {
    const progress = join(folders.dir, "stage2", "resume", "progress.json");
    if (existsSync(progress) && (JSON.parse(readFileSync(progress, "utf8")) as { step: number }).step >= 4) child.kill();
  }, 5);
  const exit = await child.done;
  clearInterval(poll);
  if (exit.signal !== "SIGKILL") throw new Error(`the run to damage was not killed in stage 2 (exit ${exit.code}): ${child.lines.map((l) => l.text).join("\n")}`);
  return folders;
}

/** A copy of a run folder and its dataset (feature cache included) in `root`. */
function copyRun(root: string, setup: Setup, from: RunFolders): RunFolders {
  const folders = new RunFolders(root, setup);
  cpSync(from.runs, folders.runs, { recursive: true });
  cpSync(join(from.data, "cache"), join(folders.data, "cache"), { recursive: true });
  // run.json names the dataset folder: point it at this copy, as the run would have written it.
  const runJson = join(folders.dir, "run.json");
  writeFileSync(runJson, readFileSync(runJson, "utf8").replaceAll(JSON.stringify(from.data), JSON.stringify(folders.data)));
  return folders;
}

/** Writes NaN over every value of one tensor of a safetensors file, keeping its header valid. */
function poisonSafetensors(file: string): string {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const name = Object.keys(header).filter((k) => k !== "__metadata__").sort()[0]!;
  const [from, to] = header[name]!.data_offsets;
  for (let at = 8 + headerLength + from; at < 8 + headerLength + to; at += 4) bytes.writeFloatLE(Number.NaN, at);
  writeFileSync(file, bytes);
  return name;
}

const firstError = (output: string): string => output.split("\n").find((l) => l.startsWith("llava-more:")) ?? output.split("\n").at(-1) ?? "";

async function corruptionCases(work: string, setup: Setup, reference: RunFolders, log: (line: string) => void): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const sameResult = (f: RunFolders): boolean => {
    const file = (r: RunFolders): string => join(r.dir, `result${SUFFIX}.json`);
    return existsSync(file(f)) && withoutTiming(JSON.parse(readFileSync(file(f), "utf8"))) === withoutTiming(JSON.parse(readFileSync(file(reference), "utf8")));
  };
  const sameWeights = (f: RunFolders): boolean => readFileSync(join(f.dir, "model", "model.safetensors")).equals(readFileSync(join(reference.dir, "model", "model.safetensors")));
  const errorCase = (name: string, run: { code: number | null; output: string }, file: string, what: RegExp): void => {
    const message = firstError(run.output);
    const ok = run.code !== 0 && run.code !== null && message.includes(file) && what.test(message);
    rows.push({ name, detail: `exit ${run.code}: ${message.length > 240 ? `${message.slice(0, 240)}…` : message}`, ok });
  };

  // A damaged log cannot be made whole again (a step's time and gradient norm are gone), but the
  // weights and losses come from the checkpoint: the run must finish with the reference's result and
  // say which steps its log lacks.
  const logCase = (name: string, run: { code: number | null; output: string }, f: RunFolders, file: string): void => {
    const warning = run.output.split("\n").find((l) => l.startsWith(`${file}: stage`) && l.includes("missing"));
    const lines = readFileSync(file, "utf8").trim().split("\n").length;
    const right = sameResult(f) && sameWeights(f);
    rows.push({
      name,
      detail: `exit ${run.code}; ${right ? "result and weights equal the reference" : "result or weights differ from the reference"}; log ${lines} of 22 lines; ${warning ? `said: ${warning.slice(file.length + 2, file.length + 2 + 60)}…` : "no word of the missing lines"}`,
      ok: run.code === 0 && right && (lines === 22 || warning !== undefined),
    });
  };

  // 1. A stage-2 checkpoint cut in half: its header runs past the end of the file.
  log("corruption: truncated checkpoint …");
  const killed = await killedInStage2(join(work, "killed-in-stage-2"), setup);
  const cut = copyRun(join(work, "truncated-checkpoint"), setup, killed);
  const state = join(cut.dir, "stage2", "resume", "state.safetensors");
  truncateSync(state, Math.floor(readFileSync(state).length / 2));
  errorCase("truncated checkpoint (stage2/resume/state.safetensors cut in half), resume", await runCli(cut.args(setup.zoo)), state, /run past the end|truncated|too short/);

  // 2. NaN weights with a valid header, then eval (the result removed, so the weights are read).
  log("corruption: NaN weights …");
  const nan = copyRun(join(work, "nan-weights"), setup, reference);
  rmSync(join(nan.dir, `result${SUFFIX}.json`));
  const weights = join(nan.dir, "model", "model.safetensors");
  const tensor = poisonSafetensors(weights);
  const evalArgs = nan.args(setup.zoo).filter((a) => a !== "--eval");
  evalArgs[0] = "eval";
  const nanRun = await runCli(evalArgs);
  errorCase(`NaN weights (model/model.safetensors, tensor "${tensor}"), eval`, nanRun, weights, new RegExp(`"${tensor.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" holds NaN`));
  if (existsSync(join(nan.dir, `result${SUFFIX}.json`))) rows.push({ name: "NaN weights: no result written", detail: `${join(nan.dir, `result${SUFFIX}.json`)} was written`, ok: false });

  // 3. log.jsonl cut mid-line (a kill in the middle of appending a step), then resume.
  log("corruption: truncated log.jsonl …");
  const logCut = copyRun(join(work, "truncated-log"), setup, killed);
  const logFile = join(logCut.dir, "log.jsonl");
  const text = readFileSync(logFile, "utf8");
  const lastLine = text.trimEnd().lastIndexOf("\n") + 1;
  writeFileSync(logFile, text.slice(0, lastLine + Math.floor((text.trimEnd().length - lastLine) / 2)));
  const logRun = await runCli(logCut.args(setup.zoo));
  logCase("truncated log.jsonl (last line cut mid-way), resume", logRun, logCut, logFile);

  // 4. log.jsonl cut in the middle of the file (lines before the checkpoint lost), then resume.
  log("corruption: log.jsonl cut before the checkpoint …");
  const early = copyRun(join(work, "truncated-log-early"), setup, killed);
  const earlyLog = join(early.dir, "log.jsonl");
  const earlyText = readFileSync(earlyLog, "utf8");
  writeFileSync(earlyLog, earlyText.slice(0, Math.floor(earlyText.length / 2)));
  logCase("log.jsonl cut at half its length (steps before the checkpoint lost), resume", await runCli(early.args(setup.zoo)), early, earlyLog);

  // 5. A samples file cut mid-line in a finished run, then archive (which copies samples into the committed archive).
  log("corruption: truncated samples file …");
  const samplesCut = copyRun(join(work, "truncated-samples"), setup, reference);
  const samplesFile = join(samplesCut.dir, `eval${SUFFIX}`, "samples_pope.jsonl");
  const samplesText = readFileSync(samplesFile, "utf8");
  writeFileSync(samplesFile, samplesText.slice(0, Math.floor(samplesText.length / 2)));
  const archiveRun = await runCli(["archive", "--preset", "tiny", "--runs", samplesCut.runs, "--eval-limit", String(EVAL_LIMIT), "--archive", join(samplesCut.root, "archive")]);
  errorCase("truncated samples file (eval-limit8/samples_pope.jsonl cut mid-line), archive", archiveRun, samplesFile, /line|JSON|lines/);

  // 6–8. Locks: a dead process's, a live unrelated process's (its start time differs), a live holder's.
  const lockCase = async (name: string, content: (pid: number) => string, holder: "dead" | "live", expectRefusal: boolean): Promise<void> => {
    log(`corruption: ${name} …`);
    const f = copyRun(join(work, name.replace(/\W+/g, "-")), setup, reference);
    rmSync(join(f.dir, `result${SUFFIX}.json`));
    let pid: number;
    let stop = (): void => {};
    if (holder === "dead") {
      const gone = spawnSync(process.execPath, ["-e", "console.log(process.pid)"], { encoding: "utf8" });
      pid = Number(gone.stdout.trim());
    } else {
      const sleeper = spawn("sleep", ["120"], { stdio: "ignore" });
      pid = sleeper.pid!;
      stop = () => sleeper.kill("SIGKILL");
    }
    const lock = `${f.dir}.lock`;
    writeFileSync(lock, content(pid));
    try {
      const run = await runCli(f.args(setup.zoo));
      if (expectRefusal) errorCase(name, run, lock, new RegExp(`in progress in process ${pid}`));
      else {
        const ok = run.code === 0 && sameResult(f) && !existsSync(lock);
        rows.push({ name, detail: `exit ${run.code}; lock taken over${ok ? ", result equal to the reference, lock removed" : `; ${sameResult(f) ? "" : "result differs; "}${existsSync(lock) ? "lock left behind" : ""}`}`, ok });
      }
    } finally {
      stop();
      rmSync(lock, { force: true });
    }
  };
  await lockCase("stale lock of a dead process", (pid) => `${pid} ${processStartTime(process.pid) ?? ""}\n`, "dead", false);
  await lockCase("lock naming a live unrelated process (wrong start time)", (pid) => `${pid} 1\n`, "live", false);
  await lockCase("lock held by a live process (its own start time): refused", (pid) => `${pid} ${processStartTime(pid) ?? ""}\n`, "live", true);
  return rows;
}

// ---- the suite -----------------------------------------------------------------------------------

/** The targets of `faults` kills: every phase once where there are enough, the rest drawn, in run order. */
export function planFaults(faults: number, seed: number): { target: Target; fraction: number }[] {
  const random = Random.stream(seed, "faults");
  const order = [...TARGETS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const targets: Target[] = order.slice(0, Math.min(faults, TARGETS.length));
  // Training holds most of a run's checkpoints and steps: extra kills favour it.
  const weighted: Target[] = ["feature cache (train)", "stage 1", "stage 1", "checkpoint write", "checkpoint write", "stage 2", "stage 2", "feature cache (test)", "evaluation", "evaluation"];
  while (targets.length < faults) targets.push(random.pick(weighted));
  targets.sort((a, b) => TARGETS.indexOf(a) - TARGETS.indexOf(b));
  return targets.map((target) => ({ target, fraction: random.uniform(0.05, 0.8) }));
}

async function prepare(work: string, log: (line: string) => void): Promise<Setup> {
  const data = join(work, "data");
  const zoo = join(work, "zoo");
  log(`zoo and dataset in ${work} (built once, then reused)`);
  const before = process.env["LLAVA_MORE_DATA"];
  process.env["LLAVA_MORE_DATA"] = data;
  try {
    await initBackend();
    await buildZoo({ preset: "tiny", dir: zoo, only: ["clip", "llama3.1-8b"], steps: 3, progress: false, log });
  } finally {
    if (before === undefined) delete process.env["LLAVA_MORE_DATA"];
    else process.env["LLAVA_MORE_DATA"] = before;
  }
  return { zoo, data: join(data, "tiny-seed0") };
}

export async function runFaults(options: FaultOptions = {}): Promise<FaultReport> {
  const started = Date.now();
  const faults = options.faults ?? 20;
  const seed = options.seed ?? 1;
  const log = options.log ?? (() => {});
  const workDir = options.workDir ?? join(tmpdir(), "llava-more-faults");
  mkdirSync(workDir, { recursive: true });
  const setup = await prepare(workDir, log);
  const work = mkdtempSync(join(workDir, "run-"));
  try {
    log(`reference: ${["llava-more", ...new RunFolders(join(work, "probe"), setup).args(setup.zoo)].join(" ")}`);
    rmSync(join(work, "probe"), { recursive: true, force: true });
    const reference = new RunFolders(join(work, "reference"), setup);
    const refChild = startCli(reference.args(setup.zoo));
    const refExit = await refChild.done;
    const referenceSeconds = (Date.now() - refChild.started) / 1000;
    if (refExit.code !== 0) throw new Error(`the reference run failed (exit ${refExit.code}):\n${refChild.lines.map((l) => l.text).join("\n")}`);
    const ref = timeline(refChild.lines, referenceSeconds);
    log(`reference run: ${referenceSeconds.toFixed(1)} s (stage 1 ${length(ref.stage1).toFixed(1)} s, stage 2 ${length(ref.stage2).toFixed(1)} s, evaluation ${length(ref.evaluation).toFixed(1)} s)`);

    const faulted = new RunFolders(join(work, "faulted"), setup);
    const rows: FaultRow[] = [];
    const plan = planFaults(faults, seed);
    for (const [i, planned] of plan.entries()) {
      // A phase the run has passed is not run again: the kill goes to the next phase it will reach.
      const target = TARGETS.slice(TARGETS.indexOf(planned.target)).find((t) => faulted.reachable(t));
      if (target === undefined) {
        rows.push({ n: i + 1, target: planned.target, at: -1, hit: "—", outcome: "the run had finished: no phase left to kill", ok: false });
        break;
      }
      const { at, hit, exit, child } = await killInside(faulted, setup.zoo, target, planned.fraction, ref);
      if (rows.length > 0) rows.at(-1)!.outcome = [rows.at(-1)!.outcome, resumeNote(child.lines)].filter(Boolean).join("; ");
      const killed = exit.signal === "SIGKILL";
      const failedEarly = !killed && exit.code !== 0;
      rows.push({
        n: i + 1,
        target,
        at,
        hit: killed ? hit : "—",
        outcome: killed ? "killed; restarted" : failedEarly ? `the run failed before the kill (exit ${exit.code}): ${firstError(child.lines.map((l) => l.text).join("\n"))}` : "the run finished before the kill",
        ok: killed,
      });
      log(`fault ${i + 1}/${faults}: ${target} → ${killed ? `killed at ${at.toFixed(2)} s in ${hit}` : rows.at(-1)!.outcome}`);
      if (failedEarly) break;
    }
    const last = startCli(faulted.args(setup.zoo));
    const lastExit = await last.done;
    if (rows.length > 0) rows.at(-1)!.outcome = [rows.at(-1)!.outcome, resumeNote(last.lines)].filter(Boolean).join("; ");
    const checks: CheckRow[] = [{ name: "faulted run completes", detail: `exit ${lastExit.code} after ${rows.filter((r) => r.ok).length} kills`, ok: lastExit.code === 0 }];
    if (faults >= TARGETS.length) {
      const hits = rows.map((r) => r.hit);
      const covered = [
        ["stage 1", /^stage 1/],
        ["stage 2", /^stage 2/],
        ["checkpoint write", /^checkpoint write/],
        ["evaluation", /^evaluation/],
        ["feature cache", /^feature cache/],
      ].filter(([, re]) => hits.some((h) => (re as RegExp).test(h)));
      checks.push({ name: "kills landed in every phase", detail: `hit: ${covered.map(([n]) => n).join(", ")}`, ok: covered.length === 5 });
    }
    if (lastExit.code === 0) checks.push(...compareRuns(faulted, reference));
    log("corruption cases …");
    const corruption = await corruptionCases(work, setup, reference, log);
    const all = [...rows.map((r) => r.ok), ...checks.map((c) => c.ok), ...corruption.map((c) => c.ok)];
    const passed = all.filter(Boolean).length;
    return { faults: rows, checks, corruption, passed, failed: all.length - passed, seconds: (Date.now() - started) / 1000, referenceSeconds };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}

// ---- output --------------------------------------------------------------------------------------

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

export function reportText(report: FaultReport): string {
  return [
    `Faults (SIGKILL, then restart), reference run ${report.referenceSeconds.toFixed(1)} s:`,
    table(
      ["#", "target", "killed at", "phase hit", "outcome"],
      report.faults.map((r) => [String(r.n), r.target, r.at >= 0 ? `${r.at.toFixed(2)} s` : "—", r.hit, `${r.ok ? "ok" : "FAIL"}: ${r.outcome}`]),
    ),
    "",
    "Faulted run against the uninterrupted reference:",
    table(["check", "outcome"], report.checks.map((c) => [c.name, `${c.ok ? "ok" : "FAIL"}: ${c.detail}`])),
    "",
    "Corruption cases:",
    table(["case", "outcome"], report.corruption.map((c) => [c.name, `${c.ok ? "ok" : "FAIL"}: ${c.detail}`])),
    "",
    `wall time ${report.seconds.toFixed(0)} s`,
    `${report.passed} passed, ${report.failed} failed`,
  ].join("\n");
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) {
  const { values } = parseArgs({ options: { faults: { type: "string" }, seed: { type: "string" }, work: { type: "string" }, keep: { type: "boolean" } } });
  const count = (name: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new Error(`--${name} ${text}: expected a whole number`);
    return Number(text);
  };
  try {
    const report = await runFaults({
      faults: count("faults", values.faults, 20),
      seed: count("seed", values.seed, 1),
      ...(values.work !== undefined ? { workDir: values.work } : {}),
      keep: values.keep === true,
      log: (line) => console.error(line),
    });
    console.log(reportText(report));
    process.exitCode = report.failed === 0 ? 0 : 1;
  } catch (err) {
    console.error(`faults: ${(err as Error).message}`);
    console.log("0 passed, 1 failed");
    process.exitCode = 1;
  }
}
