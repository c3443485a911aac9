/**
 * The training loop every objective shares: AdamW on a cosine schedule with warmup, optional
 * global-norm gradient clipping, a progress bar, the loss of every step, and resumable
 * checkpoints. The batch of step s must be a function of s alone (draw it from
 * `Random.stream(seed, s)`), so a run resumed from a checkpoint continues exactly as it would have.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { encodeSafetensors, firstNonFinite, readSafetensors } from "../models/checkpoint.js";
import type { Module } from "../models/module.js";
import { writeFileAtomic } from "../util/fs.js";
import { readJsonFile, writeJson } from "../util/jsonl.js";
import { progressBar } from "../util/progress.js";
import { mean } from "../util/stats.js";
import { AdamW } from "./optimizer.js";
import { cosineLearningRate, type CosineSchedule } from "./schedule.js";

export interface TrainLoopOptions {
  /** Progress-bar label. */
  label: string;
  steps: number;
  schedule: CosineSchedule;
  weightDecay?: number;
  beta2?: number;
  /** Clip the global gradient norm to this value. */
  clipNorm?: number;
  /** Every variable a checkpoint must hold (trainable ones, EMA teachers, running centres), by name. */
  state: Map<string, tf.Variable>;
  /** The variables the optimiser updates (a subset of `state`). */
  trainable: tf.Variable[];
  /**
   * The loss of step `step`'s batch, or of its micro-batch `micro` when the step accumulates
   * gradients over `microBatches` (the update uses their mean).
   */
  loss(step: number, micro: number): tf.Scalar;
  /** Micro-batches per step (gradient accumulation); default 1. */
  microBatches?: number;
  /**
   * A variable's learning rate at `step` as a multiple of the schedule's (parameter groups): 0 freezes
   * it for that step (no gradient is computed for it). Default 1 for every variable.
   */
  rateScale?(variable: tf.Variable, step: number): number;
  /** Called after each update with what a run log records. */
  onStep?(info: StepInfo): void;
  /** Called (and awaited) after each update: EMA teachers, centres, reading logged terms. */
  afterStep?(step: number): void | Promise<void>;
  /** Folder for resumable checkpoints; with none, nothing is saved. */
  checkpointDir?: string;
  /** Steps between checkpoints (default: a tenth of the run). */
  checkpointEvery?: number;
  progress?: boolean;
}

export interface StepInfo {
  step: number;
  loss: number;
  learningRate: number;
  /** Global gradient norm before clipping (computed only when clipNorm is set). */
  gradNorm?: number;
  /** Wall time of this step. */
  seconds: number;
}

export interface TrainResult {
  /** Loss of every step, resumed steps included. */
  losses: number[];
  /** Wall time of this process's part of the run. */
  seconds: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
}

/** The loop options a recipe fixes: learning rate and warmup of the schedule, weight decay, clipping. */
export function recipeOptimisation(recipe: { learningRate: number; warmupFraction: number; weightDecay: number; clipNorm: number }): Pick<TrainLoopOptions, "schedule" | "weightDecay" | "clipNorm"> {
  return { schedule: { learningRate: recipe.learningRate, warmupFraction: recipe.warmupFraction }, weightDecay: recipe.weightDecay, clipNorm: recipe.clipNorm };
}

/** Every variable of some modules, named "<key>.<parameter name>". */
export function moduleState(modules: Record<string, Module>): Map<string, tf.Variable> {
  const state = new Map<string, tf.Variable>();
  for (const [key, module] of Object.entries(modules)) for (const [name, v] of module.namedParameters()) state.set(`${key}.${name}`, v);
  return state;
}

interface Progress {
  step: number;
  losses: number[];
}

const RESUME = "resume";

async function saveResume(dir: string, state: Map<string, tf.Variable>, optimizer: AdamW, progress: Progress): Promise<void> {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  // Update counts of variables frozen for part of the run (the others' count is the optimizer's step).
  const updates: Record<string, number> = {};
  for (const [name, v] of state) {
    tensors.set(name, { shape: v.shape, data: (await v.data()) as Float32Array });
    const moments = optimizer.momentsOf(v);
    if (moments) {
      tensors.set(`adamw.m.${name}`, { shape: v.shape, data: (await moments.m.data()) as Float32Array });
      tensors.set(`adamw.v.${name}`, { shape: v.shape, data: (await moments.v.data()) as Float32Array });
      if (moments.t !== optimizer.step) updates[name] = moments.t;
    }
  }
  for (const [name, t] of tensors) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new Error(`"${name}" holds ${t.data[bad]} after step ${progress.step}: a checkpoint is never written with non-finite weights or optimizer state`);
  }
  const next = join(dir, `${RESUME}.next`);
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  writeFileAtomic(join(next, "state.safetensors"), encodeSafetensors(tensors, "F32"));
  writeJson(join(next, "progress.json"), { ...progress, optimizerStep: optimizer.step, ...(Object.keys(updates).length > 0 ? { updates } : {}) });
  const current = join(dir, RESUME);
  const old = join(dir, `${RESUME}.old`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(current)) renameSync(current, old);
  renameSync(next, current);
  rmSync(old, { recursive: true, force: true });
}

/**
 * The checkpoint folder in `dir` a run resumes from, if any. A crash between saveResume's two renames
 * leaves only resume.old: it is still a complete checkpoint.
 */
const resumeFolder = (dir: string): string | undefined => [join(dir, RESUME), join(dir, `${RESUME}.old`)].find((f) => existsSync(join(f, "progress.json")));

/** The step a run with checkpoints in `dir` would resume from (0 when there is none). */
export function checkpointStep(dir: string): number {
  const folder = resumeFolder(dir);
  return folder ? (readJsonFile(join(folder, "progress.json")) as Progress).step : 0;
}

function loadResume(dir: string, state: Map<string, tf.Variable>, optimizer: AdamW): (Progress & { folder: string }) | undefined {
  const folder = resumeFolder(dir);
  if (!folder) return undefined;
  const progress = readJsonFile(join(folder, "progress.json")) as Progress & { optimizerStep: number; updates?: Record<string, number> };
  const { tensors } = readSafetensors(join(folder, "state.safetensors"));
  for (const [name, v] of state) {
    const t = tensors.get(name);
    if (!t) throw new Error(`${folder}: the checkpoint has no "${name}"; delete the folder to start the run again`);
    if (t.shape.join(",") !== v.shape.join(",")) throw new Error(`${folder}: "${name}" has shape [${t.shape}], the run expects [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    const m = tensors.get(`adamw.m.${name}`);
    const s = tensors.get(`adamw.v.${name}`);
    if (m && s) tf.tidy(() => optimizer.setMoments(v, tf.tensor(m.data, m.shape), tf.tensor(s.data, s.shape), progress.updates?.[name] ?? progress.optimizerStep));
  }
  optimizer.step = progress.optimizerStep;
  return { step: progress.step, losses: progress.losses, folder };
}

/**
 * The loss and gradients of one step: one pass, or the mean over its micro-batches. Values are read
 * with `await data()`, never `dataSync()`: the WebGPU backend cannot read synchronously in Node.
 */
async function accumulatedGradients(options: TrainLoopOptions, step: number, trainable: tf.Variable[]): Promise<{ loss: number; grads: tf.NamedTensorMap }> {
  const micro = Math.max(1, options.microBatches ?? 1);
  let total = 0;
  let sum: tf.NamedTensorMap = {};
  for (let m = 0; m < micro; m++) {
    const { value, grads } = tf.variableGrads(() => options.loss(step, m), trainable);
    total += (await value.data())[0]!;
    value.dispose();
    // A variable the loss did not touch (the projector, on a micro-batch of text-only samples) has no gradient.
    for (const v of trainable) if (!grads[v.name]) grads[v.name] = tf.zerosLike(v);
    if (m === 0) {
      sum = grads;
      continue;
    }
    const next: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) next[name] = tf.add(sum[name]!, g);
    tf.dispose([...Object.values(sum), ...Object.values(grads)]);
    sum = next;
  }
  if (micro === 1) return { loss: total, grads: sum };
  const mean: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(sum)) mean[name] = tf.div(g, micro);
  tf.dispose(Object.values(sum));
  return { loss: total / micro, grads: mean };
}

/**
 * What a failed run leaves to resume from: the checkpoint folder when one exists (its step, and when it
 * holds the very weights that gave the non-finite value, that it is no good start), else that none does.
 */
function lastGood(options: TrainLoopOptions, step: number): string {
  if (!options.checkpointDir) return "";
  const folder = resumeFolder(options.checkpointDir);
  if (!folder) return `; no checkpoint of this stage was saved before step ${step}, so it starts again from its beginning`;
  const saved = (readJsonFile(join(folder, "progress.json")) as Progress).step;
  if (saved < step) return `; the last checkpoint, saved after step ${saved} with finite weights, is kept in ${folder}`;
  return `; the checkpoint in ${folder} holds the weights of step ${saved} that gave this value (finite, but a bad start): delete ${options.checkpointDir} to start the stage again`;
}

/** Finishes the run (resuming from `checkpointDir` when it holds a checkpoint) and returns its losses. */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainResult> {
  const started = Date.now();
  const optimizer = new AdamW({ learningRate: options.schedule.learningRate, weightDecay: options.weightDecay ?? 0, beta2: options.beta2 });
  const resumed = options.checkpointDir ? loadResume(options.checkpointDir, options.state, optimizer) : undefined;
  const losses = resumed?.losses ?? [];
  const first = resumed?.step ?? 0;
  const every = options.checkpointEvery ?? Math.max(1, Math.ceil(options.steps / 10));
  if (resumed && options.progress !== false) process.stderr.write(`${options.label}: resuming at step ${first} of ${options.steps} from ${resumed.folder}\n`);
  const bar = progressBar(options.label, options.steps, { silent: options.progress === false, resumedAt: first });
  bar.tick(0);
  try {
    for (let step = first; step < options.steps; step++) {
      const stepStarted = Date.now();
      const learningRate = cosineLearningRate(options.schedule, step, options.steps);
      optimizer.learningRate = learningRate;
      const scales = options.rateScale ? new Map(options.trainable.map((v) => [v, options.rateScale!(v, step)])) : undefined;
      const trainable = scales ? options.trainable.filter((v) => scales.get(v)! > 0) : options.trainable;
      const { loss, grads } = await accumulatedGradients(options, step, trainable);
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        throw new Error(`${options.label}: loss is ${loss} at step ${step}; lower the learning rate or check the data${lastGood(options, step)}`);
      }
      let scale = 1;
      let gradNorm: number | undefined;
      if (options.clipNorm !== undefined) {
        const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))));
        gradNorm = (await norm.data())[0]!;
        norm.dispose();
        if (!Number.isFinite(gradNorm)) {
          tf.dispose(Object.values(grads));
          throw new Error(`${options.label}: the gradient norm is ${gradNorm} at step ${step} (loss ${loss}); lower the learning rate or check the data${lastGood(options, step)}`);
        }
        if (gradNorm > options.clipNorm) scale = options.clipNorm / gradNorm;
      }
      const gradients = new Map(trainable.map((v) => [v, scale === 1 ? grads[v.name]! : tf.mul(grads[v.name]!, scale)]));
      optimizer.applyGradients(gradients, scales);
      tf.dispose([...Object.values(grads), ...(scale === 1 ? [] : [...gradients.values()])]);
      await options.afterStep?.(step);
      losses.push(loss);
      options.onStep?.({ step, loss, learningRate, ...(gradNorm !== undefined ? { gradNorm } : {}), seconds: (Date.now() - stepStarted) / 1000 });
      bar.tick();
      if (options.checkpointDir && ((step + 1) % every === 0 || step + 1 === options.steps)) {
        await saveResume(options.checkpointDir, options.state, optimizer, { step: step + 1, losses }).catch((err: unknown) => {
          throw new Error(`${options.label}: ${(err as Error).message}${lastGood(options, step + 1)}`);
        });
      }
    }
  } finally {
    optimizer.dispose();
  }
  bar.done();
  return { losses, seconds: (Date.now() - started) / 1000, resumedFrom: first };
}

/** Mean of the first and last `k` losses: "did it learn" in one line. */
export function lossDrop(losses: readonly number[], k = 5): { first: number; last: number } {
  return { first: mean(losses.slice(0, k)), last: mean(losses.slice(-k)) };
}
