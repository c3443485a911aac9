import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { Rng } from "../src/models/module.js";
import { gelu, geluTanh, quickGelu, silu } from "../src/models/nn/activations.js";
import { Attention, attentionMask, type AttentionConfig } from "../src/models/nn/attention.js";
import { Embedding } from "../src/models/nn/embedding.js";
import { Linear } from "../src/models/nn/linear.js";
import { GatedMlp, Mlp } from "../src/models/nn/mlp.js";
import { LayerNorm, RMSNorm } from "../src/models/nn/norm.js";
import { applyRope, ropeInverseFrequencies, ropeTables } from "../src/models/nn/rope.js";
import { gradCheck, gradCheckModule, probeSum } from "./gradcheck.js";

before(async () => {
  await initBackend();
});

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const input = (shape: number[], seed = 1) => tf.randomNormal(shape, 0, 1, "float32", seed);

const checkModule = gradCheckModule;

test("activations match their definitions at hand-computed points", () => {
  const at1 = (f: (x: tf.Tensor) => tf.Tensor) => f(tf.scalar(1)).dataSync()[0]!;
  close(at1(gelu), 0.8413447460685429);
  close(at1(geluTanh), 0.8411919906082768);
  close(at1(quickGelu), 1 / (1 + Math.exp(-1.702)));
  close(at1(silu), 1 / (1 + Math.exp(-1)));
});

test("linear: y = x Wᵀ + b, with gradients", () => {
  const lin = new Linear(3, 2, new Rng(1), { bias: true });
  lin.weight.assign(tf.tensor2d([[1, 2, 3], [4, 5, 6]]));
  lin.bias!.assign(tf.tensor1d([0.5, -1]));
  assert.deepEqual(Array.from(lin.forward(tf.tensor2d([[1, 0, -1]])).dataSync()), [-1.5, -3]);
  checkModule((x) => lin.forward(x), input([2, 4, 3]), lin.parameters());
});

test("LayerNorm and RMSNorm (plain and Gemma's 1 + w) by hand, with gradients", () => {
  const x = tf.tensor2d([[1, 2, 3, 6]]);
  const ln = new LayerNorm(4, 1e-5, new Rng(1));
  const mean = 3;
  const sd = Math.sqrt((4 + 1 + 0 + 9) / 4 + 1e-5);
  Array.from(ln.forward(x).dataSync()).forEach((v, i) => close(v, ([1, 2, 3, 6][i]! - mean) / sd, 1e-4));
  const rms = new RMSNorm(4, 1e-6, new Rng(1));
  const r = Math.sqrt((1 + 4 + 9 + 36) / 4 + 1e-6);
  Array.from(rms.forward(x).dataSync()).forEach((v, i) => close(v, [1, 2, 3, 6][i]! / r, 1e-4));
  const gemma = new RMSNorm(4, 1e-6, new Rng(1), 1);
  gemma.weight.assign(tf.tensor1d([0, 1, 0, 0]));
  close(gemma.forward(x).dataSync()[1]!, (2 / r) * 2, 1e-4);
  for (const m of [ln, rms, gemma]) checkModule((xi) => m.forward(xi), input([2, 3, 4], 3), m.parameters());
});

test("RoPE: rotation preserves norms, position 0 is the identity, partial rotary passes the rest", () => {
  const inv = ropeInverseFrequencies({ theta: 10000, rotaryDim: 4 });
  close(inv[0]!, 1);
  close(inv[1]!, 1 / 100);
  const x = input([1, 2, 3, 6], 5) as tf.Tensor4D;
  const { cos, sin } = ropeTables(ropeInverseFrequencies({ theta: 10000, rotaryDim: 4 }), 0, 3);
  const y = applyRope(x, cos, sin);
  const xs = x.arraySync();
  const ys = y.arraySync();
  close(ys[0]![1]![0]![5]!, xs[0]![1]![0]![5]!); // position 0 unchanged
  close(ys[0]![1]![2]![4]!, xs[0]![1]![2]![4]!); // channels past rotaryDim pass through
  const norm = (v: number[]) => Math.hypot(...v.slice(0, 4));
  close(norm(ys[0]![0]![2]!), norm(xs[0]![0]![2]!), 1e-4);
  // Position 1, pair (0, 2) rotates by angle inv[0] = 1 rad.
  const [a, b] = [xs[0]![0]![1]![0]!, xs[0]![0]![1]![2]!];
  close(ys[0]![0]![1]![0]!, a * Math.cos(1) - b * Math.sin(1), 1e-5);
  close(ys[0]![0]![1]![2]!, b * Math.cos(1) + a * Math.sin(1), 1e-5);
  gradCheck((xi) => probeSum(applyRope(xi as tf.Tensor4D, cos, sin)), [x]);
});

test("llama3 RoPE scaling: high frequencies kept, low divided by the factor, smooth in between", () => {
  const scaling = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 };
  const plain = ropeInverseFrequencies({ theta: 500000, rotaryDim: 16 });
  const scaled = ropeInverseFrequencies({ theta: 500000, rotaryDim: 16, scaling });
  plain.forEach((f, i) => {
    const wavelen = (2 * Math.PI) / f;
    const want = wavelen < 64 / 4 ? f : wavelen > 64 ? f / 8 : (1 - (64 / wavelen - 1) / 3) * (f / 8) + ((64 / wavelen - 1) / 3) * f;
    close(scaled[i]!, want, 1e-6 * want);
  });
  assert.ok(scaled.some((f, i) => f < plain[i]!), "some frequency must be scaled");
});

test("attention masks: causal, sliding window and the KV-cache offset", () => {
  const m = (tq: number, tk: number, offset: number, causal: boolean, window?: number) =>
    Array.from(attentionMask(tq, tk, offset, causal, window)!.dataSync()).map((v) => (v < -1e8 ? 0 : 1));
  assert.deepEqual(m(3, 3, 0, true), [1, 0, 0, 1, 1, 0, 1, 1, 1]);
  assert.deepEqual(m(3, 3, 0, true, 2), [1, 0, 0, 1, 1, 0, 0, 1, 1]);
  assert.deepEqual(m(1, 4, 3, true, 2), [0, 0, 1, 1]);
  assert.equal(attentionMask(2, 2, 0, false), undefined);
});

const attentionVariants: [string, Partial<AttentionConfig>][] = [
  ["multi-head causal", {}],
  ["grouped-query", { numKvHeads: 1 }],
  ["sliding window + soft-cap", { slidingWindow: 2, softcap: 5 }],
  ["fused qkv, partial rotary", { fusedQkv: true, numKvHeads: 2 }],
  ["bidirectional with biases (ViT)", { causal: false, qkvBias: true, outBias: true }],
];

test("attention variants: gradients by finite differences", () => {
  for (const [label, variant] of attentionVariants) {
    const config: AttentionConfig = { hidden: 8, numHeads: 4, numKvHeads: 4, headDim: 4, qkvBias: false, outBias: false, fusedQkv: false, causal: true, ...variant };
    const attn = new Attention(config, new Rng(3));
    for (const p of attn.parameters()) p.assign(tf.randomNormal(p.shape, 0, 0.5, "float32", 11));
    const rotary = label.includes("partial") ? 2 : 4;
    const rope = config.causal ? ropeTables(ropeInverseFrequencies({ theta: 100, rotaryDim: rotary }), 0, 5) : undefined;
    assert.doesNotThrow(() => checkModule((x) => attn.forward(x as tf.Tensor3D, { rope }), input([2, 5, 8], 4), attn.parameters()), label);
  }
});

test("attention with a KV cache equals attention over the whole sequence", () => {
  const config: AttentionConfig = { hidden: 8, numHeads: 4, numKvHeads: 2, headDim: 4, qkvBias: false, outBias: false, fusedQkv: false, causal: true, slidingWindow: 3 };
  const attn = new Attention(config, new Rng(5));
  const x = input([1, 6, 8], 6) as tf.Tensor3D;
  const inv = ropeInverseFrequencies({ theta: 100, rotaryDim: 4 });
  const full = attn.forward(x, { rope: ropeTables(inv, 0, 6) }).arraySync()[0]!;
  const cache: { layer?: { k: tf.Tensor4D; v: tf.Tensor4D } } = {};
  const first = attn.forward(tf.slice(x, [0, 0, 0], [1, 4, 8]), { rope: ropeTables(inv, 0, 4), cache }).arraySync()[0]!;
  const rest = [4, 5].map((t) => attn.forward(tf.slice(x, [0, t, 0], [1, 1, 8]), { rope: ropeTables(inv, t, 1), cache }).arraySync()[0]![0]!);
  [...first, ...rest].forEach((row, t) => row.forEach((v, j) => close(v, full[t]![j]!, 1e-5)));
});

test("MLPs: SwiGLU, GeGLU-tanh, fused gate-up, GELU / quick-GELU ViT MLPs, with gradients", () => {
  const modules = [
    new GatedMlp(6, 10, "silu", new Rng(1)),
    new GatedMlp(6, 10, "gelu_tanh", new Rng(2)),
    new GatedMlp(6, 10, "silu", new Rng(3), { fused: true }),
    new Mlp(6, 12, "gelu", new Rng(4)),
    new Mlp(6, 12, "quick_gelu", new Rng(5)),
  ];
  for (const m of modules) {
    for (const p of m.parameters()) p.assign(tf.randomNormal(p.shape, 0, 0.5, "float32", 12));
    checkModule((x) => m.forward(x), input([3, 6], 8), m.parameters());
  }
  const fused = modules[2] as GatedMlp;
  assert.deepEqual(fused.namedParameters().map(([n]) => n), ["gate_up_proj.weight", "down_proj.weight"]);
});

test("embedding: gather forward, one-hot matmul gradient that matches finite differences", () => {
  const emb = new Embedding(7, 3, new Rng(1), 1);
  const ids = tf.tensor2d([[1, 3, 3], [6, 0, 1]], [2, 3], "int32");
  const out = emb.forward(ids).arraySync() as number[][][];
  const w = emb.weight.arraySync() as number[][];
  assert.deepEqual(out[1]![0], w[6]);
  gradCheckModule((i) => emb.forward(i), ids, [emb.weight], { checkInput: false, probes: 8 });
  const { grads } = tf.variableGrads(() => tf.sum(emb.forward(ids)) as tf.Scalar, [emb.weight]);
  const g = grads[emb.weight.name]!.arraySync() as number[][];
  assert.deepEqual(g.map((row) => row[0]), [1, 2, 0, 2, 0, 0, 1]); // occurrences of each id
});
