import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { initBackend } from "../src/backend.js";
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
  const full = trainLoop({ ...options, state: whole.state, trainable: [whole.w], loss: whole.loss });
  const drop = lossDrop(full.losses);
  assert.ok(drop.last < drop.first / 10, `loss ${drop.first} -> ${drop.last}`);

  const dir = tempDir();
  const killed = regression(2);
  assert.throws(
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
  const resumed = trainLoop({ ...options, state: fresh.state, trainable: [fresh.w], checkpointDir: dir, loss: fresh.loss });
  assert.equal(resumed.resumedFrom, 15);
  assert.equal(resumed.losses.length, 30);
  const a = whole.w.dataSync();
  const b = fresh.w.dataSync();
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 1e-6, `w[${i}] ${a[i]} vs ${b[i]}`);
  const broken = regression(4);
  assert.throws(() => trainLoop({ ...options, state: broken.state, trainable: [broken.w], loss: () => tf.sum(tf.mul(broken.w, NaN)) as tf.Scalar }), /loss is NaN at step 0/);
});
