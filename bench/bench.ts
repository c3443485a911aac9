/**
 * `npm run bench`: training and generation throughput of the model library on the active backend,
 * each against the same run's large-matmul rate. Writes bench/results/<backend>-<date>.json.
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../src/util/fs.js";
import { projectPath } from "../src/util/paths.js";
import { BACKEND_NAMES, describeBackend, initBackend, useBackend, type BackendName } from "../src/backend/index.js";
import { describeAdapter, registeredAdapter } from "../src/backend/webgpu.js";
import { AdamW } from "../src/train/optimizer.js";
import { loadNativeAddon, NativeBackend } from "../src/backend/native.js";
import { describeKernelBuild, kernelBuild } from "../src/backend/kernel_build.js";
import { buildLlmConfig, type LlmConfig } from "../src/models/llm/config.js";
import { CausalLM, causalLmLoss, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { LLM_ARCHITECTURES, llmConfig } from "../src/models/llm/registry.js";
import { IMAGE_TOKEN_INDEX, LlavaModel } from "../src/models/llava/llava.js";
import { visionConfig } from "../src/models/vision/registry.js";
import type { VisionConfig } from "../src/models/vision/config.js";
import { VisionTower } from "../src/models/vision/vit.js";
import { cpuDescription, runTorchPeer, type TorchPeer } from "./peer.js";

interface Row {
  name: string;
  shape: string;
  unit: string;
  rate: number;
  gflops: number;
  ratio: number;
  msPerStep: number;
}

let peakRss = 0;
const sampleMemory = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

interface BenchOptions {
  /** Timed steps per row (the median is reported) and untimed warm-up steps before them. */
  steps: number;
  warmup: number;
  /** Only the rows whose name matches. */
  only?: RegExp;
  /** AdamW steps of the leak check (0: none). */
  leakSteps: number;
  /** Multiplies the batch of every training row. */
  batchScale: number;
  /** Train the two issue-shape models in PyTorch after ours, in the same sitting. */
  peer: boolean;
}

/**
 * Median milliseconds per step after `warmup` untimed steps (the median resists GC pauses and
 * noise). A step ends when the value it returns has been read back, asynchronously: GPU backends
 * run asynchronously, and WebGPU cannot read synchronously in Node.
 */
async function time(steps: number, warmup: number, step: () => tf.Tensor | Promise<unknown> | void): Promise<number> {
  const run = async () => {
    const out = step();
    if (out instanceof tf.Tensor) {
      await out.data();
      out.dispose();
    } else await out;
  };
  for (let i = 0; i < warmup; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
    sampleMemory();
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

async function matmulReference(options: BenchOptions): Promise<number> {
  const n = 1024;
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  const ms = await time(Math.max(3, options.steps), options.warmup, () => tf.matMul(a, b));
  tf.dispose([a, b]);
  return (2 * n ** 3) / ms / 1e6;
}

/** Matmul FLOPs of one training step (forward + backward = 3 × forward) of a decoder. */
function llmTrainFlops(c: LlmConfig, batch: number, seq: number): number {
  const tokens = batch * seq;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const perTokenLayer = 2 * (c.hiddenSize * (q + 2 * kv) + q * c.hiddenSize + 3 * c.hiddenSize * c.intermediateSize);
  const attention = 2 * 2 * batch * c.numHeads * seq * seq * c.headDim;
  const head = 2 * c.hiddenSize * c.vocabSize * tokens;
  return 3 * (c.numLayers * (perTokenLayer * tokens + attention) + head);
}

function vitTrainFlops(c: VisionConfig, batch: number): number {
  const tokens = (c.imageSize / c.patchSize) ** 2 + (c.classToken ? 1 : 0) + c.registers;
  const d = c.hiddenSize;
  const perTokenLayer = 2 * (4 * d * d + 2 * d * c.intermediateSize);
  const attention = 2 * 2 * tokens * tokens * d;
  const patch = 2 * d * c.channels * c.patchSize ** 2 * tokens;
  return 3 * batch * (c.numLayers * (perTokenLayer * tokens + attention) + patch);
}

async function benchLlm(name: string, config: LlmConfig, batch: number, seq: number, reference: number, options: BenchOptions): Promise<Row> {
  const model = new CausalLM(config, 1);
  const ids = tf.tensor2d(Array.from({ length: batch * seq }, (_, i) => (i * 31 + 7) % config.vocabSize), [batch, seq], "int32");
  const optimizer = new AdamW({ learningRate: 1e-3 });
  const ms = await time(options.steps, options.warmup, () => optimizer.update(() => causalLmLoss(model.forward(ids), ids), model.trainableParameters()));
  const gflops = llmTrainFlops(config, batch, seq) / ms / 1e6;
  tf.dispose([ids]);
  optimizer.dispose();
  model.dispose();
  return { name, shape: `d${config.hiddenSize} L${config.numLayers} h${config.numHeads}/${config.numKvHeads} ffn${config.intermediateSize} V${config.vocabSize}, ${batch}x${seq}`, unit: "tokens/s", rate: (batch * seq * 1000) / ms, gflops, ratio: gflops / reference, msPerStep: ms };
}

async function benchVit(name: string, config: VisionConfig, batch: number, reference: number, options: BenchOptions): Promise<Row> {
  const tower = new VisionTower(config, 1);
  const images = tf.randomUniform([batch, config.imageSize, config.imageSize, 3], 0, 1, "float32", 3) as tf.Tensor4D;
  const target = tf.randomNormal([batch, config.hiddenSize], 0, 1, "float32", 4);
  const optimizer = new AdamW({ learningRate: 1e-3 });
  const ms = await time(options.steps, options.warmup, () => optimizer.update(() => tf.mean(tf.square(tf.sub(tower.pooled(images), target))) as tf.Scalar, tower.trainableParameters()));
  const gflops = vitTrainFlops(config, batch) / ms / 1e6;
  tf.dispose([images, target]);
  optimizer.dispose();
  tower.dispose();
  return { name, shape: `${config.imageSize}px/${config.patchSize} d${config.hiddenSize} L${config.numLayers}, batch ${batch}`, unit: "images/s", rate: (batch * 1000) / ms, gflops, ratio: gflops / reference, msPerStep: ms };
}

async function benchLlava(reference: number, options: BenchOptions): Promise<Row> {
  const llmConf = llmConfig("llama3.1", "small");
  const towerConf = visionConfig("clip", "small");
  const tower = new VisionTower(towerConf, 1);
  const model = new LlavaModel(new CausalLM(llmConf, 2), "mlp2x_gelu", towerConf.hiddenSize, 3);
  const batch = 8 * options.batchScale;
  const text = 64;
  const features = tower.features(tf.randomUniform([batch, towerConf.imageSize, towerConf.imageSize, 3], 0, 1, "float32", 5) as tf.Tensor4D);
  const samples = Array.from({ length: batch }, (_, b) => {
    const ids = [IMAGE_TOKEN_INDEX, ...Array.from({ length: text }, (_, i) => (b * 97 + i * 13) % llmConf.vocabSize)];
    return { ids, labels: ids.map((id, i) => (i < text / 2 || id === IMAGE_TOKEN_INDEX ? IGNORE_INDEX : id)) };
  });
  const optimizer = new AdamW({ learningRate: 2e-5 });
  const ms = await time(options.steps, options.warmup, () => optimizer.update(() => model.loss(samples, features), model.trainableParameters()));
  const seq = features.shape[1] + text;
  const tokens = batch * seq;
  const gflops = llmTrainFlops(llmConf, batch, seq) / ms / 1e6;
  features.dispose();
  optimizer.dispose();
  model.dispose();
  tower.dispose();
  return { name: "LLaVA stage-2 step (llama3.1 + clip, small)", shape: `${batch} x (${features.shape[1]} image + ${text} text tokens)`, unit: "tokens/s", rate: (tokens * 1000) / ms, gflops, ratio: gflops / reference, msPerStep: ms };
}

async function benchGeneration(useCache: boolean, options: BenchOptions): Promise<Row> {
  const config = llmConfig("llama3.1", "small");
  const model = new CausalLM(config, 1);
  const prompt = Array.from({ length: 32 }, (_, i) => (i * 17) % config.vocabSize);
  const newTokens = 32;
  const ms = await time(options.steps, options.warmup, () => model.generate(prompt, { maxNewTokens: newTokens, useCache }));
  model.dispose();
  return { name: `greedy generation, ${useCache ? "with" : "without"} KV cache`, shape: `llama3.1 small, prompt 32, ${newTokens} new`, unit: "tokens/s", rate: (newTokens * 1000) / ms, gflops: NaN, ratio: NaN, msPerStep: ms };
}

interface MemorySample {
  rssMiB: number;
  heapMiB: number;
  arrayBuffersMiB: number;
  pooledMiB: number | null;
}

function memorySample(): MemorySample {
  const m = process.memoryUsage();
  const backend = tf.backend();
  return {
    rssMiB: m.rss / 2 ** 20,
    heapMiB: m.heapUsed / 2 ** 20,
    arrayBuffersMiB: m.arrayBuffers / 2 ** 20,
    pooledMiB: backend instanceof NativeBackend ? backend.poolStats().pooledBytes / 2 ** 20 : null,
  };
}

/**
 * 1,000 tiny training steps, run before the throughput rows so that resident memory is this
 * workload's: live tensors, array buffers, the native backend's pool of recycled buffers and RSS
 * must not grow between step 100 and the last.
 */
async function leakCheck(steps: number): Promise<{ steps: number; tensorsBefore: number; tensorsAfter: number; after100: MemorySample; last: MemorySample }> {
  const config = llmConfig("llama3", "tiny");
  const model = new CausalLM(config, 1);
  const ids = tf.tensor2d(Array.from({ length: 4 * 32 }, (_, i) => (i * 7) % config.vocabSize), [4, 32], "int32");
  const optimizer = new AdamW({ learningRate: 1e-3 });
  const step = async () => {
    const loss = optimizer.update(() => causalLmLoss(model.forward(ids), ids), model.trainableParameters());
    await loss.data();
    loss.dispose();
  };
  await step();
  const tensorsBefore = tf.memory().numTensors;
  let after100 = memorySample();
  for (let i = 0; i < steps; i++) {
    await step();
    if (i === Math.min(99, steps - 1)) after100 = memorySample();
  }
  const result = { steps, tensorsBefore, tensorsAfter: tf.memory().numTensors, after100, last: memorySample() };
  optimizer.dispose();
  model.dispose();
  ids.dispose();
  return result;
}

/** The addon's matrix products called directly: OpenBLAS (when linked) against the built-in kernel. */
async function nativeGemm(): Promise<{ shape: string; openblasGflops: number | null; builtinGflops: number }[]> {
  const addon = loadNativeAddon();
  if (typeof addon === "string") return [];
  const linked = addon.info().blas === "openblas";
  const rows = [];
  for (const [batch, m, n, k] of [[1, 1024, 1024, 1024], [64, 96, 96, 64]] as const) {
    const a = new Float32Array(batch * m * k).map((_, i) => Math.sin(i));
    const b = new Float32Array(batch * k * n).map((_, i) => Math.cos(i));
    const out = new Float32Array(batch * m * n);
    const ao = Float64Array.from({ length: batch }, (_, i) => i * m * k);
    const bo = Float64Array.from({ length: batch }, (_, i) => i * k * n);
    const rate = async (builtin: boolean) => (2 * batch * m * n * k) / (await time(5, 1, () => addon.gemm(a, b, out, m, n, k, false, false, ao, bo, builtin))) / 1e6;
    rows.push({ shape: `${batch} x ${m}x${n}x${k}`, openblasGflops: linked ? await rate(false) : null, builtinGflops: await rate(true) });
  }
  return rows;
}

/** The transformer and ViT shapes of the native-kernels issue: the rows `--peer` also runs in PyTorch. */
const ISSUE_SHAPES = {
  decoder: {
    row: "decoder d256 L4 (native-kernels issue shape)",
    config: { ...buildLlmConfig(LLM_ARCHITECTURES["llama3"], "8b", "small"), hiddenSize: 256, numLayers: 4, numHeads: 4, numKvHeads: 4, headDim: 64, intermediateSize: 688, vocabSize: 512, rotaryDim: 64, maxPositions: 128 } satisfies LlmConfig,
    batch: 16,
    seq: 96,
  },
  vit: {
    row: "ViT 64px/8 d192 L4 (native-kernels issue shape)",
    config: { ...visionConfig("clip", "small"), imageSize: 64, patchSize: 8, hiddenSize: 192, numLayers: 4, numHeads: 4, intermediateSize: 768 } satisfies VisionConfig,
    batch: 32,
  },
};

async function benchBackend(name: BackendName, options: BenchOptions): Promise<{ backend: string; referenceMatmulGflops: number; rows: Row[] }> {
  await useBackend(name);
  const reference = await matmulReference(options);
  console.log(`\n${name}: 1024^3 matmul at ${reference.toFixed(1)} GFLOP/s (the reference for the ratios below)`);
  const table: { name: string; row: (name: string) => Promise<Row> }[] = [
    { name: ISSUE_SHAPES.decoder.row, row: (n) => benchLlm(n, ISSUE_SHAPES.decoder.config, ISSUE_SHAPES.decoder.batch * options.batchScale, ISSUE_SHAPES.decoder.seq, reference, options) },
    { name: ISSUE_SHAPES.vit.row, row: (n) => benchVit(n, ISSUE_SHAPES.vit.config, ISSUE_SHAPES.vit.batch * options.batchScale, reference, options) },
    { name: "small LLM training (llama3.1 small, 8b rung)", row: (n) => benchLlm(n, llmConfig("llama3.1", "small"), 8 * options.batchScale, 128, reference, options) },
    { name: "small ViT training (clip small)", row: (n) => benchVit(n, visionConfig("clip", "small"), 32 * options.batchScale, reference, options) },
    { name: "LLaVA stage-2 step (llama3.1 + clip, small)", row: () => benchLlava(reference, options) },
    { name: "greedy generation, with KV cache", row: () => benchGeneration(true, options) },
    { name: "greedy generation, without KV cache", row: () => benchGeneration(false, options) },
  ];
  const rows: Row[] = [];
  for (const entry of table) {
    if (options.only && !options.only.test(entry.name)) continue;
    const r = await entry.row(entry.name);
    rows.push(r);
    const eff = Number.isNaN(r.ratio) ? "" : `  ${r.gflops.toFixed(1)} GFLOP/s = ${(100 * r.ratio).toFixed(0)}% of matmul`;
    console.log(`${r.name.padEnd(46)} ${r.rate.toFixed(0).padStart(7)} ${r.unit.padEnd(9)} ${r.msPerStep.toFixed(0).padStart(6)} ms/step${eff}   [${r.shape}]`);
  }
  return { backend: name, referenceMatmulGflops: reference, rows };
}

interface PeerRow {
  name: string;
  unit: string;
  ours: number;
  torch: number;
  /** ours / PyTorch: above 1 means faster than PyTorch. */
  ratio: number;
}

/** PyTorch on the issue-shape rows that ours measured, right after them. */
function peerComparison(ours: readonly Row[], options: BenchOptions): { torch: TorchPeer | { skipped: string }; rows: PeerRow[] } {
  const decoder = ours.find((r) => r.name === ISSUE_SHAPES.decoder.row);
  const vit = ours.find((r) => r.name === ISSUE_SHAPES.vit.row);
  if (!decoder && !vit) return { torch: { skipped: "--only left out both issue-shape rows" }, rows: [] };
  const d = ISSUE_SHAPES.decoder;
  const v = ISSUE_SHAPES.vit;
  const torch = runTorchPeer({
    steps: options.steps,
    warmup: options.warmup,
    decoder: { config: d.config, batch: d.batch * options.batchScale, seq: d.seq },
    vit: { config: v.config, batch: v.batch * options.batchScale },
  });
  if ("skipped" in torch) return { torch, rows: [] };
  const rows: PeerRow[] = [];
  const add = (row: Row | undefined, torchRate: number) => row && rows.push({ name: row.name, unit: row.unit, ours: row.rate, torch: torchRate, ratio: row.rate / torchRate });
  add(decoder, (d.batch * options.batchScale * d.seq * 1000) / torch.msPerStep.decoder);
  add(vit, (v.batch * options.batchScale * 1000) / torch.msPerStep.vit);
  return { torch, rows };
}

const USAGE = `npm run bench [-- options]
  --backend NAME     the backend to measure (default: the one initBackend chooses); webgpu takes a software adapter too
  --reference NAME   a second backend measured after it for comparison (default wasm; none for no second one)
  --steps N          timed steps per row, the median reported (default 7; 2 warm-up steps before them, 1 when N < 3)
  --only REGEX       only the rows whose name matches
  --leak-steps N     AdamW steps of the leak check (default 1000; 0 skips it)
  --batch-scale K    multiply the batch of every training row by K (default 1): where a backend stops being bound by per-kernel cost
  --peer             also train the two issue-shape rows in PyTorch (bench/peer_torch.py) right after ours and
                     report both rates and their ratio (needs a Python with torch; skipped with one line otherwise)
  --out DIR          where the results JSON goes (default bench/results)`;

function parseOptions(argv: string[]): BenchOptions & { backend?: BackendName; reference?: BackendName; outDir: string } {
  const { values } = parseArgs({
    args: argv,
    options: { backend: { type: "string" }, reference: { type: "string" }, steps: { type: "string" }, only: { type: "string" }, "leak-steps": { type: "string" }, "batch-scale": { type: "string" }, out: { type: "string" }, peer: { type: "boolean" }, help: { type: "boolean" } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const backendName = (flag: string, v: string | undefined): BackendName | undefined => {
    if (v === undefined || v === "none") return undefined;
    if (!BACKEND_NAMES.includes(v as BackendName)) throw new Error(`--${flag} ${v}: expected one of ${BACKEND_NAMES.join(", ")}${flag === "reference" ? ", none" : ""}`);
    return v as BackendName;
  };
  const count = (flag: string, v: string | undefined, fallback: number, min: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} ${v}: expected a whole number of at least ${min}`);
    return n;
  };
  const steps = count("steps", values.steps, 7, 1);
  return {
    backend: backendName("backend", values.backend),
    reference: values.reference === undefined ? "wasm" : backendName("reference", values.reference),
    steps,
    warmup: steps < 3 ? 1 : 2,
    only: values.only === undefined ? undefined : new RegExp(values.only, "i"),
    leakSteps: count("leak-steps", values["leak-steps"], 1000, 0),
    batchScale: count("batch-scale", values["batch-scale"], 1, 1),
    peer: values.peer ?? false,
    outDir: values.out ?? projectPath("bench", "results"),
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const chosen = await initBackend();
  const measured = options.backend ?? chosen.name;
  if (measured !== chosen.name) await useBackend(measured);
  console.log(`backend: ${measured === chosen.name ? describeBackend(chosen) : `${measured}${measured === "webgpu" ? ` on ${describeAdapter(registeredAdapter()!)}` : ""}`}`);
  const kernels = kernelBuild();
  console.log(`kernels: ${describeKernelBuild(kernels)}`);
  // The measured backend, then the reference (WebAssembly by default) when it is another.
  const names: BackendName[] = [measured, ...(options.reference && options.reference !== measured ? [options.reference] : [])];
  const leak = options.leakSteps > 0 ? await leakCheck(options.leakSteps) : undefined;
  const mem = (m: MemorySample) => `RSS ${m.rssMiB.toFixed(0)}, heap ${m.heapMiB.toFixed(0)}, array buffers ${m.arrayBuffersMiB.toFixed(0)}${m.pooledMiB === null ? "" : `, pooled ${m.pooledMiB.toFixed(0)}`} MiB`;
  if (leak) {
    const early = leak.steps > 100 ? `after 100: ${mem(leak.after100)}; ` : "";
    console.log(`leak check (${measured}): ${leak.steps} AdamW steps, tensors ${leak.tensorsBefore} -> ${leak.tensorsAfter}; ${early}after ${leak.steps}: ${mem(leak.last)}`);
  }
  const results = [];
  for (const name of names) results.push(await benchBackend(name, options));
  const cpu = cpuDescription();
  const peer = options.peer ? peerComparison(results[0]!.rows, options) : undefined;
  if (peer) {
    console.log(`\nsame sitting against PyTorch on ${cpu.model} [${cpu.flags.join(" ")}], ${kernels.mode} kernels (${kernels.class}):`);
    if ("skipped" in peer.torch) console.log(`  PyTorch peer skipped: ${peer.torch.skipped}`);
    else console.log(`  PyTorch ${peer.torch.torch}, ${peer.torch.threads} threads, ${Object.entries(peer.torch.env).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    for (const r of peer.rows) console.log(`  ${r.name.padEnd(46)} ours ${r.ours.toFixed(0).padStart(6)}  PyTorch ${r.torch.toFixed(0).padStart(6)} ${r.unit.padEnd(9)} ratio ${r.ratio.toFixed(2)}x`);
  }
  const gemm = await nativeGemm();
  // OpenBLAS's products may come from its stand-in with the same bits (kernels.sgemm, haswell_gemm.h).
  const blasRoute = kernels.sgemm?.startsWith("haswell-order/") ? `OpenBLAS ${kernels.blasCore}'s bits by ${kernels.sgemm}` : "OpenBLAS";
  for (const g of gemm) console.log(`native gemm ${g.shape}: ${blasRoute} ${g.openblasGflops === null ? "not linked" : `${g.openblasGflops.toFixed(0)} GFLOP/s`}, built-in kernel ${g.builtinGflops.toFixed(0)} GFLOP/s`);
  const result = {
    date: new Date().toISOString(),
    backend: measured === chosen.name ? chosen : { name: measured, chosenByDefault: chosen.name },
    ...(measured === "webgpu" ? { adapter: registeredAdapter() } : {}),
    node: process.version,
    cpu,
    kernels,
    options: { steps: options.steps, warmup: options.warmup, only: options.only?.source ?? null, leakSteps: options.leakSteps, batchScale: options.batchScale },
    results,
    peer: peer ?? null,
    nativeGemm: gemm,
    leak: leak ?? null,
    peakRssMiB: peakRss / 2 ** 20,
    seconds: (Date.now() - started) / 1000,
  };
  const out = join(options.outDir, `${measured}-${result.date.slice(0, 10)}.json`);
  writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\npeak RSS ${result.peakRssMiB.toFixed(0)} MiB; ${result.seconds.toFixed(0)} s; wrote ${out}`);
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
