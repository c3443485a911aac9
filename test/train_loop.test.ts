import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend/index.js";
import { lossDrop, trainLoop } from "../src/train/loop.js";
import { cosineLearningRate } from "../src/train/schedule.js";
import { Random } from "../src/util/random.js";
import { tempDir } from "./helpers.js";

test("cosine schedule with linear warmup", () => {
  const s = { learningRate: 1, warmupFraction: 0.1 };
  assert.equal(cosineLearningRate(s, 0, 100), 0.1);
  assert.equal(cosineLearningRate(s, 9, 100), 1);
  assert.ok(Math.abs(cosineLearningRate(s, 10, 100) - 1) < 1e-12);
  assert.ok(Math.abs(cosineLearningRate(s, 55, 100) - 0.5) < 1e-12);
  assert.ok(cosineLearningRate(s, 99, 100) < 0.001);
});

/** A linear regression whose batch is a function of the step, as the loop requires. */
function regression(seed: number) {
  const w = tf.variable(tf.zeros([3, 1]), true, `w${seed}`);
  const truth = tf.tensor2d([[1], [-2], [0.5]]);
  const loss = (step: number): tf.Scalar =>
    tf.tidy(() => {
      const rng = Random.stream(7, step);
      const x = tf.tensor2d(Array.from({ length: 24 }, () => rng.uniform(-1, 1)), [8, 3]);
      return tf.losses.meanSquaredError(tf.matMul(x, truth), tf.matMul(x, w)) as tf.Scalar;
    });
  return { w, loss, state: new Map([["w", w]]) };
}

test("the loop lowers the loss, and a run killed mid-way resumes from its checkpoint to the same result", async () => {
  await initBackend();
  const options = { label: "regression", steps: 30, schedule: { learningRate: 0.1, warmupFraction: 0.1 }, progress: false, checkpointEvery: 5 };
  const whole = regression(1);
  const full = await trainLoop({ ...options, state: whole.state, trainable: [whole.w], loss: whole.loss });
  const drop = lossDrop(full.losses);
  assert.ok(drop.last < drop.first / 10, `loss ${drop.first} -> ${drop.last}`);

  const dir = tempDir();
  const killed = regression(2);
  await assert.rejects(
    () =>
      trainLoop({
        ...options,
        state: killed.state,
        trainable: [killed.w],
        checkpointDir: dir,
        loss: (step) => {
          if (step === 17) throw new Error("killed");
          return killed.loss(step);
        },
      }),
    /killed/,
  );
  assert.ok(existsSync(join(dir, "resume", "progress.json")));
  const fresh = regression(3); // new process: fresh variables, restored from the checkpoint
  const resumed = await trainLoop({ ...options, state: fresh.state, trainable: [fresh.w], checkpointDir: dir, loss: fresh.loss });
  assert.equal(resumed.resumedFrom, 15);
  assert.equal(resumed.losses.length, 30);
  const a = whole.w.dataSync();
  const b = fresh.w.dataSync();
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `w[${i}] ${a[i]} vs ${b[i]}`);
  const broken = regression(4);
  await assert.rejects(() => trainLoop({ ...options, state: broken.state, trainable: [broken.w], loss: () => tf.sum(tf.mul(broken.w, NaN)) as tf.Scalar }), /loss is NaN at step 0/);
});

test("gradient accumulation over micro-batches gives the update of one batch of their union", async () => {
  await initBackend();
  const truth = tf.tensor2d([[1], [-2], [0.5]]);
  const x = tf.tensor2d(Array.from({ length: 24 }, (_, i) => Math.sin(i)), [8, 3]);
  const mse = (w: tf.Variable, rows: number[]): tf.Scalar =>
    tf.tidy(() => {
      const xs = tf.gather(x, rows);
      return tf.losses.meanSquaredError(tf.matMul(xs, truth), tf.matMul(xs, w)) as tf.Scalar;
    });
  const options = { label: "acc", steps: 3, schedule: { learningRate: 0.1, warmupFraction: 0 }, progress: false };
  const one = tf.variable(tf.zeros([3, 1]), true, "acc-one");
  await trainLoop({ ...options, state: new Map([["w", one]]), trainable: [one], loss: () => mse(one, [0, 1, 2, 3, 4, 5, 6, 7]) });
  const two = tf.variable(tf.zeros([3, 1]), true, "acc-two");
  // Equal micro-batches: the mean of their mean losses is the mean over the union.
  const result = await trainLoop({ ...options, state: new Map([["w", two]]), trainable: [two], microBatches: 2, loss: (_, m) => mse(two, m === 0 ? [0, 1, 2, 3] : [4, 5, 6, 7]) });
  const [a, b] = [one.dataSync(), two.dataSync()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `${a[i]} vs ${b[i]}`);
  assert.equal(result.losses.length, 3);
  // A variable that a micro-batch does not touch gets a zero gradient there, not an error.
  const unused = tf.variable(tf.ones([2]), true, "acc-unused");
  await trainLoop({ ...options, state: new Map([["w", one], ["u", unused]]), trainable: [one, unused], microBatches: 2, loss: (_, m) => (m === 0 ? mse(one, [0, 1]) : tf.tidy(() => tf.add(mse(one, [2, 3]), tf.sum(unused)) as tf.Scalar)) });
  assert.ok(unused.dataSync()[0]! < 1);
});

test("a non-finite loss stops the run with a clear error and keeps the last good checkpoint", async () => {
  await initBackend();
  const dir = tempDir();
  const { w, loss, state } = regression(40);
  const steps: number[] = [];
  await assert.rejects(
    () =>
      trainLoop({
        label: "nan",
        steps: 10,
        schedule: { learningRate: 0.1 },
        progress: false,
        checkpointEvery: 2,
        checkpointDir: dir,
        state,
        trainable: [w],
        clipNorm: 1,
        onStep: (info) => steps.push(info.step),
        loss: (step) => (step === 5 ? (tf.mul(loss(step), NaN) as tf.Scalar) : loss(step)),
      }),
    /nan: loss is NaN at step 5; lower the learning rate or check the data; the last checkpoint, saved after step 4 with finite weights, is kept in .*resume/,
  );
  assert.deepEqual(steps, [0, 1, 2, 3, 4]);
  const progress = JSON.parse(readFileSync(join(dir, "resume", "progress.json"), "utf8")) as { step: number };
  assert.equal(progress.step, 4);
});

test("a run that diverges names only a checkpoint that exists, and says when it holds the diverged weights", async () => {
  await initBackend();
  const run = (dir: string, checkpointEvery: number, nanAt: number) => {
    const { w, loss, state } = regression(41 + checkpointEvery);
    return trainLoop({
      label: "stage",
      steps: 10,
      schedule: { learningRate: 0.1 },
      progress: false,
      checkpointEvery,
      checkpointDir: dir,
      state,
      trainable: [w],
      loss: (step) => (step === nanAt ? (tf.mul(loss(step), NaN) as tf.Scalar) : loss(step)),
    });
  };
  const none = tempDir();
  await assert.rejects(() => run(none, 5, 3), /stage: loss is NaN at step 3; .*; no checkpoint of this stage was saved before step 3, so it starts again from its beginning$/);
  assert.equal(existsSync(join(none, "resume")), false);
  const same = tempDir();
  await assert.rejects(() => run(same, 1, 3), /the checkpoint in .*resume holds the weights of step 3 that gave this value \(finite, but a bad start\): delete .* to start the stage again$/);
});

test("a checkpoint is never written with non-finite optimizer state or weights", async () => {
  await initBackend();
  const dir = tempDir();
  const w = tf.variable(tf.ones([2]), true, "w_overflow");
  // A gradient of 1e22 is finite, its square (AdamW's second moment) overflows float32 to Infinity.
  const loss = (step: number): tf.Scalar => tf.tidy(() => tf.mul(tf.sum(w), step === 2 ? 1e22 : 1) as tf.Scalar);
  await assert.rejects(
    () => trainLoop({ label: "overflow", steps: 6, schedule: { learningRate: 0.01 }, progress: false, checkpointEvery: 1, checkpointDir: dir, state: new Map([["w", w]]), trainable: [w], loss }),
    /overflow: "adamw.v.w" holds Infinity after step 3: a checkpoint is never written with non-finite weights or optimizer state; the last checkpoint, saved after step 2 with finite weights, is kept in .*resume/,
  );
  const progress = JSON.parse(readFileSync(join(dir, "resume", "progress.json"), "utf8")) as { step: number };
  assert.equal(progress.step, 2);
});

test("a resumed run says so in one line: where, at which step, from which folder", async () => {
  await initBackend();
  const dir = tempDir();
  const options = { label: "demo stage 2", steps: 6, schedule: { learningRate: 0.1 }, checkpointEvery: 2, checkpointDir: dir };
  const first = regression(50);
  await assert.rejects(() => trainLoop({ ...options, progress: false, state: first.state, trainable: [first.w], loss: (s) => (s === 3 ? (() => { throw new Error("killed"); })() : first.loss(s)) }), /killed/);
  const again = regression(51);
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    await trainLoop({ ...options, state: again.state, trainable: [again.w], loss: again.loss });
  } finally {
    process.stderr.write = write;
  }
  assert.match(written.join(""), new RegExp(`^demo stage 2: resuming at step 2 of 6 from ${join(dir, "resume")}$`, "m"));
});

test("rateScale freezes a variable for the first steps, and a run resumed mid-way keeps its update count", async () => {
  await initBackend();
  const options = { label: "groups", steps: 12, schedule: { learningRate: 0.05, warmupFraction: 0 }, progress: false, checkpointEvery: 3 };
  const make = (seed: number) => {
    const r = regression(seed);
    const bias = tf.variable(tf.zeros([1]), true, `bias${seed}`);
    const loss = (step: number): tf.Scalar => tf.tidy(() => tf.add(r.loss(step), tf.square(tf.sub(bias, 1)).sum()) as tf.Scalar);
    const state = new Map<string, tf.Variable>([["w", r.w], ["bias", bias]]);
    return { w: r.w, bias, loss, state, rateScale: (v: tf.Variable, step: number) => (v === bias ? (step < 5 ? 0 : 2) : 1) };
  };
  const seen: number[] = [];
  const whole = make(11);
  await trainLoop({ ...options, state: whole.state, trainable: [whole.w, whole.bias], loss: whole.loss, rateScale: whole.rateScale, afterStep: (s) => { if (s === 4) seen.push(whole.bias.dataSync()[0]!); } });
  assert.equal(seen[0], 0, "the bias stays frozen through step 4");
  assert.ok(whole.bias.dataSync()[0]! > 0.1, `the bias learns after step 5: ${whole.bias.dataSync()[0]}`);

  const dir = tempDir();
  const killed = make(12);
  await assert.rejects(() => trainLoop({ ...options, state: killed.state, trainable: [killed.w, killed.bias], checkpointDir: dir, rateScale: killed.rateScale, loss: (s) => { if (s === 10) throw new Error("killed"); return killed.loss(s); } }), /killed/);
  const progress = JSON.parse(readFileSync(join(dir, "resume", "progress.json"), "utf8")) as { updates?: Record<string, number> };
  assert.deepEqual(progress.updates, { bias: 4 }, "the bias's own update count (steps 5–8) is saved");
  const fresh = make(13);
  await trainLoop({ ...options, state: fresh.state, trainable: [fresh.w, fresh.bias], checkpointDir: dir, loss: fresh.loss, rateScale: fresh.rateScale });
  assert.deepEqual(Array.from(fresh.bias.dataSync()), Array.from(whole.bias.dataSync()));
  assert.deepEqual(Array.from(fresh.w.dataSync()), Array.from(whole.w.dataSync()));
});
