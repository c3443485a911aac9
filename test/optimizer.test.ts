import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { backendInfo, initBackend, useBackend } from "../src/backend/index.js";
import { AdamW } from "../src/train/optimizer.js";

before(async () => {
  await initBackend();
});

test("AdamW's first step moves each weight by lr against the sign of its gradient, plus decoupled decay", () => {
  const w = tf.variable(tf.tensor1d([1, -2, 3]));
  const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5 });
  opt.applyGradients(new Map([[w, tf.tensor1d([0.5, -4, 0])]]));
  // θ(1 − lr·λ) − lr · g / (|g| + ε): [1·0.95 − 0.1, −2·0.95 + 0.1, 3·0.95 − 0]
  Array.from(w.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [0.85, -1.8, 2.85][i]!) < 1e-5, `${v}`));
  opt.dispose();
});

test("the fused native update equals the same formula in ops on the CPU backend", async () => {
  // 37 weights: whole vectors of 8 and 16 lanes and a ragged tail.
  const start = Array.from({ length: 37 }, (_, i) => 2 * Math.sin(i));
  const target = tf.tensor1d(start.map((_, i) => 3 * Math.cos(i)));
  const run = async () => {
    const w = tf.variable(tf.tensor1d(start));
    const opt = new AdamW({ learningRate: 0.05, weightDecay: 0.01, beta1: 0.8, beta2: 0.95 });
    for (let i = 0; i < 5; i++) opt.minimize(() => tf.sum(tf.square(tf.sub(w, target))) as tf.Scalar, [w]);
    const out = Array.from(w.dataSync());
    opt.dispose();
    w.dispose();
    return out;
  };
  const chosen = await run();
  await useBackend("cpu");
  const reference = await run();
  await useBackend(backendInfo().name);
  chosen.forEach((v, i) => assert.ok(Math.abs(v - reference[i]!) < 1e-5, `${v} vs ${reference[i]}`));
  target.dispose();
});

test("AdamW minimises a quadratic", () => {
  const w = tf.variable(tf.zeros([3]));
  const opt = new AdamW({ learningRate: 0.1 });
  let loss = Infinity;
  for (let i = 0; i < 200; i++) loss = opt.minimize(() => tf.sum(tf.square(tf.sub(w, tf.tensor1d([1, -2, 0.5])))) as tf.Scalar, [w]);
  assert.ok(loss < 1e-3, `loss ${loss}`);
  opt.dispose();
});

test("a rate scale multiplies one variable's step, and a variable frozen at first starts its own bias correction", () => {
  const a = tf.variable(tf.tensor1d([0, 0]));
  const b = tf.variable(tf.tensor1d([0, 0]));
  const opt = new AdamW({ learningRate: 0.1 });
  const g = () => tf.tensor1d([1, -1]);
  // Step 1: only `a` (b frozen), at 3× the rate: Adam's first step moves it by 3 × lr against the gradient.
  opt.applyGradients(new Map([[a, g()]]), new Map([[a, 3]]));
  assert.deepEqual(Array.from(b.dataSync()), [0, 0]);
  Array.from(a.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [-0.3, 0.3][i]!) < 1e-5, `${v}`));
  // Step 2: b's first update is a first Adam step (lr), not a late one with an uncorrected moment (√10 × lr).
  opt.applyGradients(new Map([[a, g()], [b, g()]]));
  Array.from(b.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [-0.1, 0.1][i]!) < 1e-5, `${v}`));
  assert.equal(opt.momentsOf(a)!.t, 2);
  assert.equal(opt.momentsOf(b)!.t, 1);
  opt.dispose();
});
