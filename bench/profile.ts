/**
 * `npx tsx bench/profile.ts [decoder|vit] [steps]`: where one training step of the bench's issue-shape
 * rows goes on the native backend. Every native kernel is wrapped with a timer; the step's time not
 * spent inside a kernel is the engine's and the model code's (JS overhead, gradient bookkeeping).
 * Prints, per kernel name, the calls and milliseconds per step, sorted by time.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { AdamW } from "../src/train/optimizer.js";
import { buildLlmConfig, type LlmConfig } from "../src/models/llm/config.js";
import { CausalLM, causalLmLoss } from "../src/models/llm/decoder.js";
import { LLM_ARCHITECTURES } from "../src/models/llm/registry.js";
import { visionConfig } from "../src/models/vision/registry.js";
import type { VisionConfig } from "../src/models/vision/config.js";
import { VisionTower } from "../src/models/vision/vit.js";

// The shapes of bench/bench.ts's ISSUE_SHAPES rows.
const DECODER: LlmConfig = { ...buildLlmConfig(LLM_ARCHITECTURES["llama3"], "8b", "small"), hiddenSize: 256, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 64, intermediateSize: 688, vocabSize: 512, rotaryDim: 64, maxPositions: 128 };
const VIT: VisionConfig = { ...visionConfig("clip", "small"), imageSize: 64, patchSize: 8, hiddenSize: 192, numLayers: 4, numHeads: 4, intermediateSize: 768 };

interface KernelTime {
  calls: number;
  ms: number;
}

/** Re-registers every kernel of `backend` with a timer around it; returns the running totals. */
function instrument(backend: string): Map<string, KernelTime> {
  const totals = new Map<string, KernelTime>();
  for (const config of tf.getKernelsForBackend(backend)) {
    const inner = config.kernelFunc;
    const t: KernelTime = { calls: 0, ms: 0 };
    totals.set(config.kernelName, t);
    tf.unregisterKernel(config.kernelName, backend);
    tf.registerKernel({
      ...config,
      kernelFunc: ((args: Parameters<typeof inner>[0]) => {
        const t0 = performance.now();
        const result = inner(args);
        t.ms += performance.now() - t0;
        t.calls++;
        return result;
      }) as typeof inner,
    });
  }
  return totals;
}

async function main(): Promise<void> {
  const which = process.argv[2] ?? "decoder";
  const steps = Number(process.argv[3] ?? 10);
  const chosen = await initBackend();
  if (chosen.name !== "native") throw new Error(`profile: needs the native backend, got ${chosen.name}`);
  const totals = instrument("native");
  // Backend change so the re-registered kernels are the ones the engine dispatches to.
  await tf.setBackend("cpu");
  await tf.setBackend("native");
  const optimizer = new AdamW({ learningRate: 1e-3 });
  let step: () => tf.Scalar;
  let dispose: () => void;
  if (which === "decoder") {
    const model = new CausalLM(DECODER, 1);
    const ids = tf.tensor2d(Array.from({ length: 16 * 96 }, (_, i) => (i * 31 + 7) % DECODER.vocabSize), [16, 96], "int32");
    step = () => optimizer.update(() => causalLmLoss(model.forward(ids), ids), model.trainableParameters());
    dispose = () => (model.dispose(), ids.dispose());
  } else if (which === "vit") {
    const tower = new VisionTower(VIT, 1);
    const images = tf.randomUniform([32, VIT.imageSize, VIT.imageSize, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const target = tf.randomNormal([32, VIT.hiddenSize], 0, 1, "float32", 4);
    step = () => optimizer.update(() => tf.mean(tf.square(tf.sub(tower.pooled(images), target))) as tf.Scalar, tower.trainableParameters());
    dispose = () => (tower.dispose(), images.dispose(), target.dispose());
  } else throw new Error(`profile: expected decoder or vit, got ${which}`);
  for (let i = 0; i < 3; i++) step().dispose();
  for (const t of totals.values()) [t.calls, t.ms] = [0, 0];
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const loss = step();
    await loss.data();
    loss.dispose();
    samples.push(performance.now() - t0);
  }
  dispose();
  const total = samples.reduce((a, b) => a + b, 0) / steps;
  const rows = [...totals].filter(([, t]) => t.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
  const inKernels = rows.reduce((a, [, t]) => a + t.ms, 0) / steps;
  const calls = rows.reduce((a, [, t]) => a + t.calls, 0) / steps;
  console.log(`${which}: ${total.toFixed(1)} ms per step (mean of ${steps}; median ${samples.sort((a, b) => a - b)[Math.floor(steps / 2)]!.toFixed(1)}), ${calls.toFixed(0)} kernel calls per step`);
  console.log(`${"kernel".padEnd(34)} ${"calls".padStart(6)} ${"ms/step".padStart(8)} ${"share".padStart(6)}`);
  for (const [name, t] of rows) console.log(`${name.padEnd(34)} ${(t.calls / steps).toFixed(0).padStart(6)} ${(t.ms / steps).toFixed(2).padStart(8)} ${((100 * t.ms) / steps / total).toFixed(1).padStart(5)}%`);
  console.log(`${"outside kernels (engine, JS)".padEnd(34)} ${"".padStart(6)} ${(total - inKernels).toFixed(2).padStart(8)} ${((100 * (total - inKernels)) / total).toFixed(1).padStart(5)}%`);
}

main().catch((err: unknown) => {
  console.error(`profile: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
