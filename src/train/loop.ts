/**
 * The training loop every objective shares: AdamW on a cosine schedule with warmup, optional
 * global-norm gradient clipping, a progress bar, the loss of every step, and resumable
 * checkpoints. The batch of step s must be a function of s alone (draw it from
 * `Random.stream(seed, s)`), so a run resumed from a checkpoint continues exactly as it would have.
 */
import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { encodeSafetensors, readSafetensors } from "../models/checkpoint.js";
import type { Module } from "../models/module.js";
import { writeFileAtomic } from "../util/fs.js";
import { readJsonFile, writeJson } from "../util/jsonl.js";
import { progressBar } from "../util/progress.js";
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
  /** The loss of step `step`'s batch. */
  loss(step: number): tf.Scalar;
  /** Called after each update (EMA teachers, centres). */
  afterStep?(step: number): void;
  /** Folder for resumable checkpoints; with none, nothing is saved. */
  checkpointDir?: string;
  /** Steps between checkpoints (default: a tenth of the run). */
  checkpointEvery?: number;
  progress?: boolean;
}

export interface TrainResult {
  /** Loss of every step, resumed steps included. */
  losses: number[];
  /** Wall time of this process's part of the run. */
  seconds: number;
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
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

function saveResume(dir: string, state: Map<string, tf.Variable>, optimizer: AdamW, progress: Progress): void {
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, v] of state) {
    tensors.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
    const moments = optimizer.momentsOf(v);
    if (moments) {
      tensors.set(`adamw.m.${name}`, { shape: v.shape, data: moments.m.dataSync() as Float32Array });
      tensors.set(`adamw.v.${name}`, { shape: v.shape, data: moments.v.dataSync() as Float32Array });
    }
  }
  const next = join(dir, `${RESUME}.next`);
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  writeFileAtomic(join(next, "state.safetensors"), encodeSafetensors(tensors, "F32"));
  writeJson(join(next, "progress.json"), { ...progress, optimizerStep: optimizer.step });
  const current = join(dir, RESUME);
  const old = join(dir, `${RESUME}.old`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(current)) renameSync(current, old);
  renameSync(next, current);
  rmSync(old, { recursive: true, force: true });
}

function loadResume(dir: string, state: Map<string, tf.Variable>, optimizer: AdamW): Progress | undefined {
  // A crash between the two renames leaves only resume.old: it is still a complete checkpoint.
  const folder = [join(dir, RESUME), join(dir, `${RESUME}.old`)].find((f) => existsSync(join(f, "progress.json")));
  if (!folder) return undefined;
  const progress = readJsonFile(join(folder, "progress.json")) as Progress & { optimizerStep: number };
  const { tensors } = readSafetensors(join(folder, "state.safetensors"));
  for (const [name, v] of state) {
    const t = tensors.get(name);
    if (!t) throw new Error(`${folder}: the checkpoint has no "${name}"; delete the folder to start the run again`);
    if (t.shape.join(",") !== v.shape.join(",")) throw new Error(`${folder}: "${name}" has shape [${t.shape}], the run expects [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    const m = tensors.get(`adamw.m.${name}`);
    const s = tensors.get(`adamw.v.${name}`);
    if (m && s) tf.tidy(() => optimizer.setMoments(v, tf.tensor(m.data, m.shape), tf.tensor(s.data, s.shape)));
  }
  optimizer.step = progress.optimizerStep;
  return { step: progress.step, losses: progress.losses };
}

/** Finishes the run (resuming from `checkpointDir` when it holds a checkpoint) and returns its losses. */
export function trainLoop(options: TrainLoopOptions): TrainResult {
  const started = Date.now();
  const optimizer = new AdamW({ learningRate: options.schedule.learningRate, weightDecay: options.weightDecay ?? 0, beta2: options.beta2 });
  const resumed = options.checkpointDir ? loadResume(options.checkpointDir, options.state, optimizer) : undefined;
  const losses = resumed?.losses ?? [];
  const first = resumed?.step ?? 0;
  const every = options.checkpointEvery ?? Math.max(1, Math.ceil(options.steps / 10));
  const bar = progressBar(options.label, options.steps, { silent: options.progress === false });
  bar.tick(first);
  try {
    for (let step = first; step < options.steps; step++) {
      optimizer.learningRate = cosineLearningRate(options.schedule, step, options.steps);
      const { value, grads } = tf.variableGrads(() => options.loss(step), options.trainable);
      const loss = value.dataSync()[0]!;
      value.dispose();
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(grads));
        throw new Error(`${options.label}: loss is ${loss} at step ${step}; lower the learning rate or check the data`);
      }
      let scale = 1;
      if (options.clipNorm !== undefined) {
        const norm = tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
        if (norm > options.clipNorm) scale = options.clipNorm / norm;
      }
      const gradients = new Map(options.trainable.map((v) => [v, scale === 1 ? grads[v.name]! : tf.mul(grads[v.name]!, scale)]));
      optimizer.applyGradients(gradients);
      tf.dispose([...Object.values(grads), ...(scale === 1 ? [] : [...gradients.values()])]);
      options.afterStep?.(step);
      losses.push(loss);
      bar.tick();
      if (options.checkpointDir && ((step + 1) % every === 0 || step + 1 === options.steps)) {
        saveResume(options.checkpointDir, options.state, optimizer, { step: step + 1, losses });
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
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { first: mean(losses.slice(0, k)), last: mean(losses.slice(-k)) };
}
