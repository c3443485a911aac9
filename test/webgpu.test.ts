import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { noHardwareVulkan, registerWebGpuBackend } from "../src/backend/webgpu.js";
import { LLM_ARCHITECTURES, llmConfig } from "../src/models/llm/registry.js";
import { CausalLM, causalLmLoss, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { IMAGE_TOKEN_INDEX, LlavaModel } from "../src/models/llava/llava.js";
import { VISION_ARCHITECTURES, visionConfig } from "../src/models/vision/registry.js";
import { VisionTower } from "../src/models/vision/vit.js";
import { moduleState, trainLoop } from "../src/train/loop.js";
import type { LlmFamily } from "../src/models/llm/config.js";
import type { VisionFamily } from "../src/models/vision/config.js";
import { projectPath } from "../src/util/paths.js";
import { infoNceLoss, sigmoidLoss } from "../src/train/objectives/contrastive.js";
import { dinoLoss, ibotLoss, koleoLoss, teacherProbabilities } from "../src/train/objectives/dinov2.js";
import { maskedCosineLoss } from "../src/train/objectives/siglip2.js";
import { requireTool } from "./helpers.js";

// The software adapter (Mesa llvmpipe behind Dawn's OpenGL ES backend): CI installs its packages.
// Found before the tests are declared, so that a machine without one skips them (CI fails instead).
let adapterProblem: string | undefined;
await initBackend();
try {
  await registerWebGpuBackend({ allowSoftware: true });
} catch (err) {
  adapterProblem = (err as Error).message;
}
const skip = () => requireTool(adapterProblem === undefined, `no WebGPU adapter: ${adapterProblem}`);

/** WebGPU's losses differ from the CPU backend's in the last bits (other summation orders). */
const TOLERANCE = 1e-4;

/**
 * Builds a model on `backend` with a fixed seed, trains it `steps` AdamW steps through the project's
 * training loop (asynchronous reads, clipping on), and returns the losses; the backend must hold no
 * more tensors afterwards than before.
 */
async function trainOn(backend: string, build: () => { state: Map<string, tf.Variable>; loss: (step: number, micro: number) => tf.Scalar; dispose: () => void }, options: { steps?: number; microBatches?: number } = {}): Promise<number[]> {
  assert.ok(await tf.setBackend(backend), `setBackend(${backend})`);
  const before = tf.memory().numTensors;
  const model = build();
  const { losses } = await trainLoop({
    label: backend,
    steps: options.steps ?? 3,
    schedule: { learningRate: 1e-2, warmupFraction: 0 },
    clipNorm: 1,
    state: model.state,
    trainable: [...model.state.values()],
    microBatches: options.microBatches,
    loss: model.loss,
    progress: false,
  });
  model.dispose();
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors left after training`);
  return losses;
}

function assertSameLosses(label: string, gpu: number[], cpu: number[]): void {
  assert.equal(gpu.length, cpu.length);
  gpu.forEach((l, i) => assert.ok(Math.abs(l - cpu[i]!) <= TOLERANCE * Math.max(1, Math.abs(cpu[i]!)), `${label} step ${i}: webgpu ${l} vs cpu ${cpu[i]}`));
  assert.ok(gpu.at(-1)! < gpu[0]!, `${label}: the loss must fall (${gpu[0]} -> ${gpu.at(-1)})`);
}

test("AddN over more inputs than a shader may bind (the gradient norm's sum) is right on WebGPU", { skip: skip() }, async () => {
  const values = Array.from({ length: 23 }, (_, i) => Float32Array.from({ length: 5 }, (_, j) => Math.sin(i * 5 + j)));
  const sum = async (backend: string) => {
    await tf.setBackend(backend);
    const xs = values.map((v) => tf.tensor1d(v));
    const total = tf.addN(xs);
    const out = Array.from(await total.data());
    tf.dispose([...xs, total]);
    return out;
  };
  const before = (await tf.setBackend("webgpu"), tf.memory().numTensors);
  const gpu = await sum("webgpu");
  assert.equal(tf.memory().numTensors, before);
  const cpu = await sum("cpu");
  gpu.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]!) < 1e-5, `[${i}] ${v} vs ${cpu[i]}`));
});

test("every LLM family trains on WebGPU with the CPU backend's losses", { skip: skip(), timeout: 300_000 }, async () => {
  for (const family of Object.keys(LLM_ARCHITECTURES) as LlmFamily[]) {
    const build = () => {
      const config = llmConfig(family, "tiny");
      const model = new CausalLM(config, 7);
      const ids = tf.tensor2d(Array.from({ length: 2 * 12 }, (_, i) => (i * 11 + 5) % config.vocabSize), [2, 12], "int32");
      return { state: moduleState({ model }), loss: () => causalLmLoss(model.forward(ids), ids), dispose: () => (model.dispose(), ids.dispose()) };
    };
    assertSameLosses(family, await trainOn("webgpu", build), await trainOn("cpu", build));
  }
});

test("every vision tower trains on WebGPU with the CPU backend's losses", { skip: skip(), timeout: 300_000 }, async () => {
  for (const family of Object.keys(VISION_ARCHITECTURES) as VisionFamily[]) {
    const build = () => {
      const config = visionConfig(family, "tiny");
      const tower = new VisionTower(config, 3);
      const images = tf.randomUniform([2, config.imageSize, config.imageSize, 3], 0, 1, "float32", 5) as tf.Tensor4D;
      const target = tf.randomNormal([2, config.hiddenSize], 0, 1, "float32", 6);
      return {
        state: moduleState({ tower }),
        loss: () => tf.mean(tf.square(tf.sub(tower.pooled(images), target))) as tf.Scalar,
        dispose: () => (tower.dispose(), tf.dispose([images, target])),
      };
    };
    assertSameLosses(family, await trainOn("webgpu", build), await trainOn("cpu", build));
  }
});

test("every pretraining objective's loss and its gradients are the CPU backend's on WebGPU", { skip: skip(), timeout: 120_000 }, async () => {
  const values = (shape: number[], phase: number) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.71 + phase));
  const on = async (backend: string) => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const x = tf.tensor2d(values([6, 8], 1), [6, 8]);
    const y = tf.tensor2d(values([6, 8], 2), [6, 8]);
    const patches = tf.tensor3d(values([2, 5, 8], 3), [2, 5, 8]);
    const mask = tf.tensor2d([1, 0, 1, 1, 0, 0, 1, 0, 1, 1], [2, 5]);
    const terms = (a: tf.Tensor, b: tf.Tensor): tf.Scalar[] => {
      const [a2, b2] = [a as tf.Tensor2D, b as tf.Tensor2D];
      const teacher = teacherProbabilities(b2, tf.zeros([8]), 0.04) as tf.Tensor2D;
      const teacherPatches = teacherProbabilities(tf.reshape(tf.slice(b2, [0, 0], [2, 8]), [2, 1, 8]).tile([1, 5, 1]), tf.zeros([8]), 0.04) as tf.Tensor3D;
      return [
        infoNceLoss(a2, b2, tf.scalar(Math.log(10))),
        sigmoidLoss(a2, b2, tf.scalar(0), tf.scalar(-Math.log(5))),
        // Two views each: DINO pairs every teacher view with the other student views.
        dinoLoss(tf.split(teacher, 2, 0) as tf.Tensor2D[], tf.split(a2, 2, 0) as tf.Tensor2D[], 0.1),
        ibotLoss(teacherPatches, tf.add(patches, tf.reshape(tf.slice(a2, [0, 0], [2, 8]), [2, 1, 8])) as tf.Tensor3D, mask, 0.1),
        koleoLoss(a2),
        maskedCosineLoss(tf.add(patches, tf.reshape(tf.slice(a2, [0, 0], [2, 8]), [2, 1, 8])) as tf.Tensor3D, patches, mask),
      ];
    };
    const out: number[] = [];
    for (let i = 0; i < 6; i++) {
      const { value, grads } = tf.tidy(() => {
        const f = (a: tf.Tensor) => terms(a, y)[i]!;
        const g = tf.valueAndGrad(f)(x);
        return { value: g.value, grads: g.grad };
      });
      out.push((await value.data())[0]!, ...Array.from(await grads.data()));
      tf.dispose([value, grads]);
    }
    tf.dispose([x, y, patches, mask]);
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors left`);
    return out;
  };
  const gpu = await on("webgpu");
  const cpu = await on("cpu");
  assert.equal(gpu.length, cpu.length);
  gpu.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]!) <= 1e-4 * Math.max(1, Math.abs(cpu[i]!)), `[${i}] webgpu ${v} vs cpu ${cpu[i]}`));
});

test("a LLaVA stage-2 step (projector and LLM, two micro-batches) trains on WebGPU with the CPU backend's losses", { skip: skip(), timeout: 300_000 }, async () => {
  const build = () => {
    const llm = llmConfig("llama3.1", "tiny");
    const tower = visionConfig("clip", "tiny");
    const model = new LlavaModel(new CausalLM(llm, 2), "mlp2x_gelu", tower.hiddenSize, 3);
    const features = tf.randomNormal([4, 5, tower.hiddenSize], 0, 1, "float32", 8) as tf.Tensor3D;
    const samples = Array.from({ length: 4 }, (_, b) => {
      const ids = [IMAGE_TOKEN_INDEX, ...Array.from({ length: 10 }, (_, i) => (b * 37 + i * 13 + 1) % llm.vocabSize)];
      return { ids, labels: ids.map((id, i) => (i < 4 || id === IMAGE_TOKEN_INDEX ? IGNORE_INDEX : id)) };
    });
    return {
      state: new Map(model.namedParameters()),
      loss: (_: number, micro: number) => model.loss(samples.slice(micro * 2, micro * 2 + 2), tf.slice(features, [micro * 2, 0, 0], [2, -1, -1])),
      dispose: () => (model.dispose(), features.dispose()),
    };
  };
  assertSameLosses("llava stage 2", await trainOn("webgpu", build, { microBatches: 2 }), await trainOn("cpu", build, { microBatches: 2 }));
});

test("greedy generation (one prompt and a batch) gives the CPU backend's tokens on WebGPU", { skip: skip(), timeout: 120_000 }, async () => {
  const config = llmConfig("llama3.1", "tiny");
  const prompt = [5, 17, 42, 3, 99, 7].map((id) => id % config.vocabSize);
  // A shorter second row, so that the batch is left-padded with a key mask.
  const batch = [prompt, [11, 2, 8].map((id) => id % config.vocabSize)];
  const options = { maxNewTokens: 6 };
  const generateOn = async (backend: string) => {
    assert.ok(await tf.setBackend(backend), `setBackend(${backend})`);
    const before = tf.memory().numTensors;
    const model = new CausalLM(config, 1);
    const one = await model.generate(prompt, options);
    const rows = await model.generateBatch(batch, options);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, `${backend}: tensors left after generation`);
    return { one, rows };
  };
  const gpu = await generateOn("webgpu");
  const cpu = await generateOn("cpu");
  assert.equal(gpu.one.length, options.maxNewTokens);
  assert.deepEqual(gpu.one, cpu.one, "generate");
  assert.deepEqual(gpu.rows, cpu.rows, "generateBatch");
  assert.deepEqual(gpu.rows[0], gpu.one, "the batch's first row is the single prompt's answer");
});

test("TFJS_BACKEND=webgpu picks the software adapter and records it; left to itself the choice skips it and says why", { skip: skip(), timeout: 120_000 }, () => {
  const script = 'import { initBackend, describeBackend } from "./src/backend/index.ts"; const i = await initBackend(); console.log(JSON.stringify({ line: describeBackend(i), adapter: i.adapter ?? null, skipped: i.skipped }));';
  const run = (env: NodeJS.ProcessEnv) => {
    const out = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: projectPath(), env: { ...process.env, ...env }, encoding: "utf8" });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout.trim().split("\n").at(-1)!) as { line: string; adapter: { software: boolean; description: string } | null; skipped: { candidate: string; reason: string }[] };
  };
  const forced = run({ TFJS_BACKEND: "webgpu" });
  assert.match(forced.line, /^webgpu \(/);
  assert.ok(forced.adapter?.software, "llvmpipe is recorded as a software adapter");
  assert.ok(forced.line.includes(forced.adapter.description));
  if (noHardwareVulkan() === undefined) return; // a machine with a GPU driver would rightly choose WebGPU
  const chosen = run({ TFJS_BACKEND: "" });
  assert.doesNotMatch(chosen.line, /^webgpu/, "a software adapter is never chosen unasked");
  assert.match(chosen.skipped.find((s) => s.candidate.includes("webgpu"))?.reason ?? "", /no hardware WebGPU adapter/);
});
