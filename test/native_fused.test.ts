import { test, before, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { FUSED_ATTENTION, FUSED_ATTENTION_SOFTMAX, FUSED_CAUSAL_LM_LOSS, loadNativeAddon } from "../src/backend/native.js";
import { causalLmLoss, IGNORE_INDEX } from "../src/models/llm/decoder.js";
import { Rng } from "../src/models/module.js";
import { Attention, type AttentionConfig } from "../src/models/nn/attention.js";
import { ropeInverseFrequencies, ropeTables } from "../src/models/nn/rope.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool } from "./helpers.js";
import { agree, digestWithThreads, tinyDecoderLosses } from "./native_agree.js";

const addon = loadNativeAddon();
const skip = requireTool(typeof addon !== "string", `native kernels unavailable: ${typeof addon === "string" ? addon : ""}`);
const PORTABLE = "LLAVA_MORE_PORTABLE_BITS";
const portableBefore = process.env[PORTABLE];

before(async () => {
  await initBackend();
});
afterEach(() => {
  if (portableBefore === undefined) delete process.env[PORTABLE];
  else process.env[PORTABLE] = portableBefore;
});

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, "float32", seed);

/** The kernels one forward pass of `f` dispatches on the active backend. */
const kernelsOf = async (f: () => tf.Tensor): Promise<string[]> => (await tf.profile(() => f())).kernelNames;

interface Variant {
  label: string;
  config: Partial<AttentionConfig> & Pick<AttentionConfig, "hidden" | "numHeads" | "numKvHeads" | "headDim">;
  /** Channels RoPE rotates (none when absent). */
  rotary?: number;
  /** Real tokens per sequence (the rest padding, masked as keys). */
  lengths?: number[];
}

// Odd sizes: 19 positions (whole 8 × 8 tiles and a ragged tail, scores padded to 32), head widths 6,
// 5 and 4, three query heads over one key-value head.
const T = 19;
const VARIANTS: Variant[] = [
  { label: "GQA 3/1, causal, partial RoPE, padding keys", config: { hidden: 10, numHeads: 3, numKvHeads: 1, headDim: 6 }, rotary: 4, lengths: [19, 11] },
  { label: "2 heads, soft-cap, sliding window, full RoPE", config: { hidden: 8, numHeads: 2, numKvHeads: 2, headDim: 6, softcap: 2.5, slidingWindow: 3, scale: 0.3 }, rotary: 6 },
  { label: "non-causal with biases (ViT)", config: { hidden: 10, numHeads: 2, numKvHeads: 2, headDim: 5, causal: false, qkvBias: true, outBias: true } },
  { label: "fused qkv, GQA 4/2, RoPE", config: { hidden: 8, numHeads: 4, numKvHeads: 2, headDim: 4, fusedQkv: true }, rotary: 4, lengths: [13, 19] },
  // Head widths of whole vectors (16): without RoPE every operand is read and written in place (ViT),
  // with RoPE and GQA only the values and the context are.
  { label: "non-causal, head width 16, no RoPE (operands in place)", config: { hidden: 8, numHeads: 2, numKvHeads: 2, headDim: 16, causal: false, qkvBias: true } },
  { label: "GQA 4/2, head width 16, RoPE, padding keys", config: { hidden: 8, numHeads: 4, numKvHeads: 2, headDim: 16 }, rotary: 8, lengths: [19, 9] },
];

function build(v: Variant): { attn: Attention; forward: (x: tf.Tensor) => tf.Tensor } {
  const config: AttentionConfig = { qkvBias: false, outBias: false, fusedQkv: false, causal: true, ...v.config };
  const attn = new Attention(config, new Rng(4));
  for (const p of attn.parameters()) p.assign(tf.randomNormal(p.shape, 0, 0.7, "float32", 41));
  const inverse = v.rotary ? ropeInverseFrequencies({ theta: 10000, rotaryDim: v.rotary }) : undefined;
  const forward = (x: tf.Tensor) =>
    tf.tidy(() => {
      const [b, t] = x.shape as [number, number, number];
      const rope = inverse ? ropeTables(inverse, 0, t) : undefined;
      const keyMask = v.lengths ? tf.tensor2d(v.lengths.flatMap((n) => Array.from({ length: t }, (_, j) => (j < n ? 1 : 0))), [b, t]) : undefined;
      return attn.forward(x as tf.Tensor3D, { rope, keyMask });
    });
  return { attn, forward };
}

test("fused attention (GQA, causal / window / padding masks, soft-cap, RoPE, odd sizes) matches the composite ops on the CPU backend, with gradients, in every kernel build this CPU runs", { skip }, async () => {
  if (typeof addon === "string") return;
  delete process.env[PORTABLE]; // the default build's fused path, whatever mode the suite runs in
  const chosen = addon.info().isa;
  try {
    for (const isa of addon.info().isas) {
      addon.selectKernels(isa);
      for (const v of VARIANTS) await agreesWithCpu(v, `${isa}, ${v.label}`);
    }
  } finally {
    addon.selectKernels(chosen);
  }
});

async function agreesWithCpu(v: Variant, label: string): Promise<void> {
  const { attn, forward } = build(v);
  await agree(label, [rnd([2, T, v.config.hidden], 42), rnd([2, T, v.config.hidden], 43)], (x, r) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(forward(x!), r!)) as tf.Scalar, attn.parameters());
    return [forward(x!), value, ...attn.parameters().map((p) => grads[p.name]!), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(forward(xi), r!)))(x!)];
  });
  await tf.setBackend("native");
  const x = rnd([2, T, v.config.hidden], 44);
  assert.ok((await kernelsOf(() => forward(x))).includes(FUSED_ATTENTION), `${label}: the fused kernel ran`);
  x.dispose();
  attn.dispose();
}

test("in portable-bits mode attention takes the unfused path, which the fused one agrees with", { skip }, async () => {
  await tf.setBackend("native");
  const { attn, forward } = build(VARIANTS[0]!);
  const x = rnd([2, T, 10], 45);
  process.env[PORTABLE] = "1";
  const kernels = await kernelsOf(() => forward(x));
  assert.ok(!kernels.includes(FUSED_ATTENTION) && kernels.includes(tf.Softmax), `portable mode ran ${kernels.join(", ")}`);
  const portable = forward(x);
  delete process.env[PORTABLE];
  const fused = forward(x);
  // The unfused path with a padding mask is the composite ops (no fused softmax): the CPU backend's bits on the native kernels.
  const close = tf.max(tf.abs(tf.sub(portable, fused))).dataSync()[0]!;
  assert.ok(close < 1e-5, `fused and unfused paths differ by ${close}`);
  tf.dispose([x, portable, fused]);
  attn.dispose();
  // Without padding the unfused path keeps its fused softmax, checked against the CPU backend too.
  const plain = build(VARIANTS[1]!);
  const y = rnd([2, T, 8], 46);
  process.env[PORTABLE] = "1";
  assert.ok((await kernelsOf(() => plain.forward(y))).includes(FUSED_ATTENTION_SOFTMAX));
  await agree("portable, soft-cap and window", [y, rnd([2, T, 8], 47)], (x, r) => {
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(plain.forward(x!), r!)) as tf.Scalar, plain.attn.parameters());
    return [value, ...plain.attn.parameters().map((p) => grads[p.name]!)];
  });
  y.dispose();
  plain.attn.dispose();
});

test("a tiny decoder trains to the same losses, to a tolerance, on the fused paths (attention, loss) and the unfused ones", { skip, timeout: 120_000 }, async () => {
  await tf.setBackend("native");
  const losses = (portable: boolean): number[] => {
    if (portable) process.env[PORTABLE] = "1";
    else delete process.env[PORTABLE];
    return tinyDecoderLosses(12);
  };
  const unfused = losses(true);
  const fused = losses(false);
  assert.ok(fused.at(-1)! < fused[0]! - 1, `loss must fall: ${fused[0]} -> ${fused.at(-1)}`);
  fused.forEach((l, i) => assert.ok(Math.abs(l - unfused[i]!) < 2e-3 * Math.max(1, unfused[i]!), `step ${i}: fused ${l} vs unfused ${unfused[i]}`));
  assert.deepEqual(losses(false), fused, "the fused path is deterministic");
});

test("the fused attention and loss kernels give the same bits with one thread and with three", { skip, timeout: 60_000 }, () => {
  // 6 × 2 and 6 × 4 (batch, key-value head) tasks, each large enough for the pool to split them across threads.
  const script = `
    import { createHash } from "node:crypto";
    import { loadNativeAddon } from ${JSON.stringify(projectPath("src", "backend", "native.ts"))};
    const addon = loadNativeAddon();
    const [batch, seq, heads, hd] = [6, 50, 4, 32];
    let s = 12345;
    const fill = (n) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 4 - 2);
    const keyMask = Float32Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - (i / seq | 0) ? 1 : 0));
    const hash = createHash("sha1");
    // GQA with RoPE (operands gathered), then one head per group without RoPE (operands in place).
    for (const [kvHeads, rotary] of [[2, 16], [4, 0]]) {
      const [q, k, v, dctx] = [fill(batch * seq * heads * hd), fill(batch * seq * kvHeads * hd), fill(batch * seq * kvHeads * hd), fill(batch * seq * heads * hd)];
      const [cos, sin] = rotary ? [fill(seq * rotary), fill(seq * rotary)] : [null, null];
      const ctx = new Float32Array(q.length), probs = new Float32Array(batch * heads * seq * seq);
      const [dq, dk, dv] = [new Float32Array(q.length), new Float32Array(k.length), new Float32Array(v.length)];
      for (const [causal, window, cap] of [[1, 0, 0], [1, 7, 3], [0, 0, 0]]) {
        const dims = Float64Array.from([batch, seq, heads, kvHeads, hd, rotary, causal, window, 0]);
        addon.attentionForward(q, k, v, cos, sin, keyMask, ctx, probs, dims, 0.2, cap);
        addon.attentionBackward(q, k, v, cos, sin, probs, dctx, dq, dk, dv, dims, 0.2, cap);
        for (const a of [ctx, probs, dq, dk, dv]) hash.update(new Uint8Array(a.buffer));
      }
    }
    const vocab = 500, logits = fill(batch * seq * vocab), dlogits = new Float32Array(logits.length), lse = new Float32Array(batch * (seq - 1));
    const labels = Int32Array.from({ length: batch * seq }, (_, i) => (i % 7 === 3 ? -100 : (i * 13) % vocab));
    const loss = addon.causalLmLoss(logits, labels, lse, batch, seq, vocab, -100);
    addon.causalLmLossGrad(logits, labels, lse, 0.5, dlogits, batch, seq, vocab, -100);
    for (const a of [Float32Array.of(loss), lse, dlogits]) hash.update(new Uint8Array(a.buffer));
    console.log(addon.info().threads + " " + hash.digest("hex"));`;
  assert.equal(digestWithThreads(script, 3), digestWithThreads(script, 1));
});

test("the fused attention gives the same bits reading q, k, v side by side in one projection as reading them apart, and its gradient lands in one tensor", { skip }, () => {
  if (typeof addon === "string") return;
  const [batch, seq, heads, kvHeads, hd] = [3, 19, 4, 2, 16];
  let s = 99;
  const fill = (n: number) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 4 - 2);
  const [qw, kvw, width] = [heads * hd, kvHeads * hd, (heads + 2 * kvHeads) * hd];
  const qkv = fill(batch * seq * width);
  const columns = (from: number, n: number) => Float32Array.from({ length: batch * seq * n }, (_, i) => qkv[Math.floor(i / n) * width + from + (i % n)]!);
  const [q, k, v, dctx] = [columns(0, qw), columns(qw, kvw), columns(qw + kvw, kvw), fill(batch * seq * qw)];
  for (const [rotary, causal, cap] of [[8, 1, 0], [0, 0, 2]]) {
    const [cos, sin] = rotary ? [fill(seq * rotary), fill(seq * rotary)] : [null, null];
    const run = (packed: boolean) => {
      const dims = Float64Array.from([batch, seq, heads, kvHeads, hd, rotary, causal, 0, packed ? 1 : 0]);
      const [ctx, probs] = [new Float32Array(batch * seq * qw), new Float32Array(batch * heads * seq * seq)];
      addon.attentionForward(packed ? qkv : q, packed ? null : k, packed ? null : v, cos, sin, null, ctx, probs, dims, 0.25, cap);
      const grads = packed ? [new Float32Array(qkv.length).fill(NaN)] : [new Float32Array(q.length), new Float32Array(k.length), new Float32Array(v.length)];
      addon.attentionBackward(packed ? qkv : q, packed ? null : k, packed ? null : v, cos, sin, probs, dctx, grads[0]!, grads[1] ?? null, grads[2] ?? null, dims, 0.25, cap);
      return { ctx, probs, grads };
    };
    const [apart, together] = [run(false), run(true)];
    assert.deepEqual(together.ctx, apart.ctx);
    assert.deepEqual(together.probs, apart.probs);
    const dqkv = together.grads[0]!;
    const sideBySide = Float32Array.from({ length: dqkv.length }, (_, i) => {
      const [row, col] = [Math.floor(i / width), i % width];
      const [g, from, n] = col < qw ? [apart.grads[0]!, 0, qw] : col < qw + kvw ? [apart.grads[1]!, qw, kvw] : [apart.grads[2]!, qw + kvw, kvw];
      return g[row * n + col - from]!;
    });
    assert.deepEqual(dqkv, sideBySide, "every element of dqkv written, with the separate gradients' bits");
  }
});

test("the fused causal-LM loss (ignored and out-of-range labels, odd sizes) matches the composite ops, with its gradient; portable mode keeps the composite", { skip }, async () => {
  delete process.env[PORTABLE]; // the default build's fused path, whatever mode the suite runs in
  // 3 sequences of 9 over a vocabulary of 37 (four blocks of 8 lanes and a tail): ignored labels, one past the vocabulary.
  const [b, t, v] = [3, 9, 37];
  const labels = Array.from({ length: b * t }, (_, i) => (i % 5 === 2 ? IGNORE_INDEX : i === 7 ? v + 3 : (i * 7) % v));
  const loss = (x: tf.Tensor, l: tf.Tensor) => causalLmLoss(x as tf.Tensor3D, l as tf.Tensor2D);
  await agree("causal LM loss", [rnd([b, t, v], 48), tf.tensor2d(labels, [b, t], "int32")], (x, l) => [loss(x!, l!), tf.grad((xi: tf.Tensor) => loss(xi, l!))(x!)]);
  await agree("causal LM loss, float labels", [rnd([b, t, v], 49), tf.tensor2d(labels, [b, t], "float32")], (x, l) => [loss(x!, l!), tf.grad((xi: tf.Tensor) => loss(xi, l!))(x!)]);
  await agree("causal LM loss, every label ignored", [rnd([2, 4, v], 50), tf.fill([2, 4], IGNORE_INDEX, "int32")], (x, l) => [loss(x!, l!), tf.grad((xi: tf.Tensor) => loss(xi, l!))(x!)]);
  await agree("causal LM loss, one position", [rnd([2, 1, v], 51), tf.tensor2d([[1], [2]], [2, 1], "int32")], (x, l) => [loss(x!, l!), tf.grad((xi: tf.Tensor) => loss(xi, l!))(x!)]);
  await tf.setBackend("native");
  const x = rnd([b, t, v], 52);
  const ids = tf.tensor2d(labels, [b, t], "int32");
  assert.ok((await tf.profile(() => loss(x, ids))).kernelNames.includes(FUSED_CAUSAL_LM_LOSS));
  process.env[PORTABLE] = "1";
  assert.ok(!(await tf.profile(() => loss(x, ids))).kernelNames.includes(FUSED_CAUSAL_LM_LOSS));
  tf.dispose([x, ids]);
});
