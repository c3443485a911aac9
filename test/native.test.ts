import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/backend/index.js";
import { loadNativeAddon, nativeSelfCheck, NativeBackend } from "../src/backend/native.js";
import { projectPath } from "../src/util/paths.js";
import { Rng } from "../src/models/module.js";
import { LayerNorm, RMSNorm } from "../src/models/nn/norm.js";
import { activate, gatedActivate } from "../src/models/nn/activations.js";
import { Attention } from "../src/models/nn/attention.js";
import { Linear } from "../src/models/nn/linear.js";
import { requireTool, tempDir } from "./helpers.js";
import { agree, digestWithThreads, tinyDecoderLosses } from "./native_agree.js";
import { cpSync } from "node:fs";
import { join, sep } from "node:path";

const addon = loadNativeAddon();
const skip = requireTool(typeof addon !== "string", `native kernels unavailable: ${typeof addon === "string" ? addon : ""}`);

before(async () => {
  await initBackend();
});

const rnd = (shape: number[], seed = 1) => tf.randomNormal(shape, 0, 1, "float32", seed);
const withSpecials = (shape: number[], seed = 2) => {
  const v = rnd(shape, seed).dataSync().slice();
  if (v.length > 3) [v[0], v[1], v[2]] = [NaN, Infinity, -Infinity];
  return tf.tensor(v, shape);
};

test("native backend: batched and transposed matmul with broadcasting, empty and size-1 dimensions", { skip }, async () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [3, 5], true, true],
    [[2, 3, 4, 5], [5, 6], false, false],
    [[3, 5, 4], [3, 2, 5], true, true],
    [[1, 4, 5], [3, 5, 2], false, false],
    [[0, 5], [5, 3], false, false],
    [[4, 0], [0, 3], false, false],
    [[2, 0, 4, 5], [5, 1], false, false],
    [[1, 1], [1, 1], false, false],
    [[64, 48], [40, 48], false, true],
  ];
  for (const [sa, sb, ta, tb] of cases) await agree(`matmul ${sa} x ${sb} ${ta}/${tb}`, [rnd(sa, 3), rnd(sb, 4)], (a, b) => tf.matMul(a!, b!, ta, tb));
  await agree("matmul with NaN and Inf", [withSpecials([4, 5]), rnd([5, 3])], (a, b) => tf.matMul(a!, b!));
  await agree("scalar operands", [tf.scalar(2), tf.scalar(3)], (a, b) => [tf.maximum(a!, b!), tf.add(a!, b!), tf.sum(a!)]);
  // Batch dimensions that broadcast on both sides: numpy semantics, checked against explicit products
  // (the CPU backend indexes such batches modulo their sizes, which is not a broadcast).
  const a = rnd([2, 1, 4, 5], 3);
  const b = rnd([3, 5, 6], 4);
  const got = tf.matMul(a, b).arraySync() as number[][][][];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const want = tf.matMul(tf.reshape(tf.slice(a, [i, 0, 0, 0], [1, 1, 4, 5]), [4, 5]), tf.reshape(tf.slice(b, [j, 0, 0], [1, 5, 6]), [5, 6])).arraySync() as number[][];
      want.forEach((row, r) => row.forEach((v, c) => assert.ok(Math.abs(got[i]![j]![r]![c]! - v) < 1e-4)));
    }
  }
});

test("native backend: the built-in matmul kernel (used without OpenBLAS) agrees too", { skip }, () => {
  if (typeof addon === "string") return;
  for (const [m, n, k, ta, tb] of [[37, 29, 300, false, false], [16, 33, 7, true, false], [5, 64, 70, false, true], [64, 9, 513, true, true]] as const) {
    const a = rnd([m * k], 5).dataSync() as Float32Array;
    const b = rnd([k * n], 6).dataSync() as Float32Array;
    const blas = new Float32Array(m * n);
    const builtin = new Float32Array(m * n);
    addon.gemm(a, b, blas, m, n, k, ta, tb, new Float64Array([0]), new Float64Array([0]));
    addon.gemm(a, b, builtin, m, n, k, ta, tb, new Float64Array([0]), new Float64Array([0]), true);
    const ref = tf.matMul(tf.tensor2d(a, ta ? [k, m] : [m, k]), tf.tensor2d(b, tb ? [n, k] : [k, n]), ta, tb).dataSync();
    for (let i = 0; i < ref.length; i++) {
      assert.ok(Math.abs(builtin[i]! - ref[i]!) <= 1e-4 * Math.max(1, Math.abs(ref[i]!)), `builtin ${m}x${n}x${k}`);
      assert.ok(Math.abs(blas[i]! - ref[i]!) <= 1e-4 * Math.max(1, Math.abs(ref[i]!)), `blas ${m}x${n}x${k}`);
    }
  }
  assert.throws(() => addon.gemm(new Float32Array(4), new Float32Array(4), new Float32Array(4), 2, 2, 2, false, false, new Float64Array([8]), new Float64Array([0])), /batch offsets outside the operands/);
  assert.throws(() => addon.softmax(new Float32Array(4), new Float32Array(2), 2, 2), /out: 2 elements, needs 4/);
});

test("native backend: elementwise ops with broadcasting and non-finite values", { skip }, async () => {
  const pairs: [number[], number[]][] = [
    [[3, 4], [3, 4]],
    [[3, 1, 5], [4, 5]],
    [[2, 3, 4], [1]],
    [[], [2, 3]],
    [[4, 1], [1, 6]],
    [[0, 3], [3]],
  ];
  const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
    ["add", tf.add],
    ["sub", tf.sub],
    ["mul", tf.mul],
    ["div", tf.div],
    ["maximum", tf.maximum],
    ["minimum", tf.minimum],
    ["squaredDifference", tf.squaredDifference],
  ];
  for (const [name, op] of binary) {
    for (const [sa, sb] of pairs) await agree(`${name} ${sa} ${sb}`, [rnd(sa, 7), rnd(sb, 8)], (a, b) => op(a!, b!));
    await agree(`${name} non-finite`, [withSpecials([3, 5]), withSpecials([5], 9)], (a, b) => op(a!, b!));
  }
  const unary: [string, (x: tf.Tensor) => tf.Tensor][] = [
    ["neg", tf.neg], ["exp", tf.exp], ["log", (x) => tf.log(tf.abs(x))], ["sqrt", (x) => tf.sqrt(tf.abs(x))], ["rsqrt", (x) => tf.rsqrt(tf.abs(x))],
    ["square", tf.square], ["sigmoid", tf.sigmoid], ["tanh", tf.tanh], ["erf", tf.erf], ["abs", tf.abs], ["relu", tf.relu],
  ];
  for (const [name, op] of unary) {
    await agree(name, [withSpecials([4, 7])], (x) => op(x!), name === "erf" ? 2e-4 : 1e-4);
    await agree(`${name} empty`, [rnd([0, 3])], (x) => op(x!));
  }
  await agree("int32 add falls back to the CPU kernel", [tf.tensor([1, 2, 3], [3], "int32"), tf.tensor([4], [1], "int32")], (a, b) => tf.add(a!, b!));
});

test("native backend: slice, split, transpose, pad, concat, gather, reductions and softmax", { skip }, async () => {
  const x = rnd([2, 3, 4, 5], 10);
  await agree("slice", [x], (t) => tf.slice(t!, [1, 0, 1, 2], [1, 3, 2, -1]));
  await agree("slice empty", [x], (t) => tf.slice(t!, [0, 0, 0, 0], [2, 0, 4, 5]));
  await agree("split", [x], (t) => tf.split(t!, [1, 3], 2));
  await agree("split last axis", [x], (t) => tf.split(t!, 5, -1));
  await agree("transpose", [x], (t) => tf.transpose(t!, [2, 0, 3, 1]));
  await agree("pad", [x], (t) => tf.pad(t!, [[0, 1], [2, 0], [1, 1], [0, 0]], 0.5));
  await agree("concat", [x, rnd([2, 3, 1, 5], 11)], (a, b) => tf.concat([a!, b!], 2));
  await agree("concat with empty", [x, rnd([2, 3, 0, 5], 11)], (a, b) => tf.concat([a!, b!], 2));
  const ids = tf.tensor2d([[2, 0], [1, 1]], [2, 2], "int32");
  await agree("gather axis 0", [x, tf.tensor1d([1, 0, 1], "int32")], (a, i) => tf.gather(a!, i!));
  await agree("gather axis 2, 2-d indices, and its gradient", [x, ids], (a, i) => [tf.gather(a!, i!, 2), tf.grad((xi: tf.Tensor) => tf.sum(tf.gather(xi, i!, 2)))(a!)]);
  await agree("gather no indices", [x, tf.tensor1d([], "int32")], (a, i) => tf.gather(a!, i!, 3));
  await tf.setBackend("native");
  assert.throws(() => tf.gather(x, tf.tensor1d([0, 3], "int32"), 1), /GatherV2: the index value 3 is not in \[0, 2\]/);
  for (const axes of [[-1], [0], [1, 2], [0, 3], [0, 1, 2, 3]]) {
    for (const keep of [false, true]) {
      await agree(`sum ${axes} ${keep}`, [x], (t) => tf.sum(t!, axes, keep));
      await agree(`mean ${axes} ${keep}`, [x], (t) => tf.mean(t!, axes, keep));
      await agree(`max ${axes} ${keep}`, [withSpecials([2, 3, 4, 5])], (t) => tf.max(t!, axes, keep));
      await agree(`min ${axes} ${keep}`, [x], (t) => tf.min(t!, axes, keep));
    }
  }
  await agree("softmax", [rnd([3, 4, 7], 12)], (t) => tf.softmax(t!));
  await agree("softmax with masked and non-finite rows", [tf.tensor2d([[0, -1e9, 1], [-Infinity, -Infinity, -Infinity], [NaN, 1, 2]])], (t) => tf.softmax(t!));
});

test("native backend: gradients through matmul, softmax and broadcasting match the CPU backend", { skip }, async () => {
  await agree(
    "gradients",
    [rnd([2, 5, 8], 13), rnd([6, 8], 14), rnd([6], 15)],
    (x, w, b) => tf.grads((xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(tf.softmax(tf.add(tf.matMul(tf.reshape(xi, [10, 8]), wi, false, true), bi)), tf.range(0, 6)) as tf.Tensor))([x!, w!, b!]),
  );
});

test("recycled output arrays never show through values read earlier, slices or later outputs", { skip }, async () => {
  await tf.setBackend("native");
  const backend = tf.backend() as NativeBackend;
  const a = tf.add(rnd([64, 64], 61), 1);
  const read = a.dataSync();
  const expected = Array.from(read);
  // The CPU backend's StridedSlice returns a subarray of its input for a contiguous slice.
  const firstRow = tf.stridedSlice(a, [0, 0], [1, 64], [1, 1]);
  const kept = tf.reshape(a, [4096]);
  a.dispose();
  kept.dispose();
  const before = backend.poolStats();
  const b = tf.mul(rnd([64, 64], 62), 2);
  assert.equal(backend.poolStats().reused, before.reused + 1, "the freed array serves the next output of its length");
  assert.deepEqual(Array.from(read), expected, "values read before the dispose stay as they were");
  assert.deepEqual(Array.from(firstRow.dataSync()), expected.slice(0, 64), "a slice of the freed tensor keeps its values");
  const bValues = b.dataSync();
  bValues.fill(7);
  assert.notEqual(b.dataSync()[0], 7, "reads are copies: writing into one does not change the tensor");
  tf.dispose([b, firstRow]);
  // A micro-batch one position shorter still finds a buffer: capacities are rounded to size classes.
  const long = tf.add(rnd([8, 125], 63), 1);
  long.dispose();
  const reusedBefore = backend.poolStats().reused;
  const short = tf.add(rnd([8, 124], 64), 1);
  assert.equal(backend.poolStats().reused, reusedBefore + 1);
  assert.equal(short.dataSync().length, 8 * 124);
  short.dispose();
});

test("fused LayerNorm and RMSNorm (forward and gradients) match the composite ops on the CPU backend", { skip }, async () => {
  const ln = new LayerNorm(6, 1e-5, new Rng(1));
  const rms = new RMSNorm(6, 1e-6, new Rng(2));
  const gemma = new RMSNorm(6, 1e-6, new Rng(3), 1);
  for (const [label, m, extra] of [["layernorm", ln, [ln.weight, ln.bias]], ["rmsnorm", rms, [rms.weight]], ["gemma rmsnorm", gemma, [gemma.weight]]] as const) {
    for (const p of extra) p.assign(tf.randomNormal(p.shape, 0.5, 0.3, "float32", 21));
    const names = extra.map((p) => p.name);
    await agree(label, [rnd([3, 4, 6], 22), rnd([3, 4, 6], 23)], (x, r) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.forward(x!), r!)) as tf.Scalar, [...extra]);
      return [m.forward(x!), value, ...names.map((n) => grads[n]!), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(m.forward(xi), r!)))(x!)];
    });
  }
});

test("fused activations (forward and gradients) match the composite ops on the CPU backend", { skip }, async () => {
  for (const kind of ["gelu", "gelu_tanh", "quick_gelu", "silu"] as const) {
    await agree(kind, [withSpecials([5, 7], 31), rnd([5, 7], 32)], (x, r) => [activate(kind, x!), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(activate(kind, xi), r!)))(x!)], 2e-4);
  }
});

test("fused gated activations match the composite ops on the CPU backend and give the bits of the activation and the product apart", { skip }, async () => {
  for (const kind of ["gelu", "gelu_tanh", "quick_gelu", "silu"] as const) {
    // 4,099 elements: several of the kernel's chunks of 4,096, the last one ragged.
    const inputs = [withSpecials([3, 1366], 33), rnd([3, 1366], 34), rnd([3, 1366], 35)];
    const f = (gated: boolean) => (g: tf.Tensor, u: tf.Tensor, r: tf.Tensor) => {
      const forward = (gi: tf.Tensor, ui: tf.Tensor) => (gated ? gatedActivate(kind, gi, ui) : tf.mul(activate(kind, gi), ui));
      return [forward(g, u), ...tf.grads((gi: tf.Tensor, ui: tf.Tensor) => tf.sum(tf.mul(forward(gi, ui), r)))([g, u])];
    };
    await agree(`gated ${kind}`, inputs, (g, u, r) => f(true)(g!, u!, r!), 2e-4);
    await tf.setBackend("native");
    const [fused, apart] = [true, false].map((gated) => tf.tidy(() => f(gated)(inputs[0]!, inputs[1]!, inputs[2]!).map((t) => Array.from(t.dataSync()))));
    assert.deepEqual(fused, apart, `gated ${kind}: the same bits as the activation and the product apart`);
  }
});

test("fused attention softmax (scale, soft-cap, causal and sliding-window masks) matches the composite ops, with gradients", { skip }, async () => {
  for (const variant of [{}, { softcap: 3, slidingWindow: 2 }, { causal: false }]) {
    const attn = new Attention({ hidden: 8, numHeads: 2, numKvHeads: 1, headDim: 4, qkvBias: false, outBias: false, fusedQkv: false, causal: true, ...variant }, new Rng(4));
    for (const p of attn.parameters()) p.assign(tf.randomNormal(p.shape, 0, 0.7, "float32", 41));
    await agree(`attention ${JSON.stringify(variant)}`, [rnd([2, 5, 8], 42), rnd([2, 5, 8], 43)], (x, r) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(attn.forward(x! as tf.Tensor3D), r!)) as tf.Scalar, attn.parameters());
      return [attn.forward(x! as tf.Tensor3D), value, ...attn.parameters().map((p) => grads[p.name]!), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(attn.forward(xi as tf.Tensor3D), r!)))(x!)];
    });
  }
});

test("fused linear layers (with and without bias) and their gradients match the composite ops", { skip }, async () => {
  for (const bias of [true, false]) {
    const lin = new Linear(6, 5, new Rng(9), { bias });
    if (lin.bias) lin.bias.assign(tf.randomNormal([5], 0, 1, "float32", 51));
    await agree(`linear bias=${bias}`, [rnd([2, 3, 6], 52), rnd([2, 3, 5], 53)], (x, r) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(lin.forward(x!), r!)) as tf.Scalar, lin.parameters());
      return [lin.forward(x!), value, ...lin.parameters().map((p) => grads[p.name]!), tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(lin.forward(xi), r!)))(x!)];
    });
  }
  await agree("linear with no rows", [rnd([0, 6], 54)], (x) => new Linear(6, 5, new Rng(9), { bias: true }).forward(x!));
});

test("a tiny training run gives the same losses on the native and the CPU backend", { skip, timeout: 120_000 }, async () => {
  const losses = async (backend: string) => {
    await tf.setBackend(backend);
    return tinyDecoderLosses(15);
  };
  const cpu = await losses("cpu");
  const native = await losses("native");
  await tf.setBackend("native");
  assert.ok(native.at(-1)! < native[0]! - 1, `loss must fall: ${native[0]} -> ${native.at(-1)}`);
  native.forEach((l, i) => assert.ok(Math.abs(l - cpu[i]!) < 2e-3 * Math.max(1, cpu[i]!), `step ${i}: native ${l} vs cpu ${cpu[i]}`));
});

test("npm install still succeeds when the addon cannot be compiled, with one line saying why", { timeout: 120_000 }, () => {
  const dir = tempDir();
  const built = projectPath("native", "build");
  cpSync(projectPath("native"), dir, { recursive: true, filter: (src) => src !== built && !src.startsWith(`${built}${sep}`) });
  const env: NodeJS.ProcessEnv = { ...process.env, CXX: "/bin/false", CC: "/bin/false" };
  delete env["LLAVA_MORE_NATIVE"];
  const run = spawnSync(process.execPath, [join(dir, "build.cjs")], { encoding: "utf8", env });
  assert.equal(run.status, 0);
  assert.match(run.stdout, /^llava-more: native kernels not built \(.+\); the WebAssembly backend will be used\n$/);
});

test("the start-up self-check compares every native kernel with the CPU backend and catches a wrong one", { skip }, async () => {
  const active = tf.getBackend();
  assert.equal(await nativeSelfCheck(), undefined);
  const good = tf.getKernel(tf.Softmax, "native")!;
  tf.unregisterKernel(tf.Softmax, "native");
  tf.registerKernel({ ...good, kernelFunc: ({ inputs, backend }) => tf.getKernel(tf.Exp, "native")!.kernelFunc({ inputs: { x: inputs["logits"]! }, backend, attrs: {} }) });
  try {
    assert.match((await nativeSelfCheck()) ?? "", /^native kernel Softmax disagrees with the CPU backend \(output 0\[0\]: /);
  } finally {
    tf.unregisterKernel(tf.Softmax, "native");
    tf.registerKernel(good);
    await tf.setBackend(active);
  }
});

test("without the addon the backend falls back to WebAssembly with one line saying why", () => {
  const run = spawnSync(process.execPath, ["--import", "tsx", "-e", `import("${projectPath("src", "backend", "index.ts")}").then(m => m.initBackend()).then(i => console.log("chose " + i.name))`], {
    encoding: "utf8",
    env: { ...process.env, LLAVA_MORE_NATIVE: "off", TFJS_BACKEND: "" },
    cwd: projectPath(),
  });
  assert.equal(run.stdout, "llava-more: turned off by LLAVA_MORE_NATIVE=off; falling back to WebAssembly\nchose wasm\n");
});

test("the norm backward and matmul kernels give the same bits with one thread and with three", { skip, timeout: 60_000 }, () => {
  // Large enough for the kernel to split its work across threads; each process sets its own count at load.
  const script = `
    import { createHash } from "node:crypto";
    import { loadNativeAddon } from ${JSON.stringify(projectPath("src", "backend", "native.ts"))};
    const addon = loadNativeAddon();
    const rows = 700, d = 384;
    let s = 12345;
    const fill = (n) => Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 4 - 2);
    const x = fill(rows * d), w = fill(d), dy = fill(rows * d), mean = fill(rows), rstd = fill(rows).map(Math.abs);
    const dx = new Float32Array(rows * d), dw = new Float32Array(d), db = new Float32Array(d);
    addon.normBackward(x, w, dy, mean, rstd, dx, dw, db, d, true, 0);
    const hash = createHash("sha1");
    for (const a of [dx, dw, db]) hash.update(new Uint8Array(a.buffer));
    // Products split across threads by rows (and, before, by columns when wider than tall); A·Bᵀ with 100
    // and 200 rows gave other bits on two threads under OpenBLAS's SkylakeX kernels when the blocks followed the thread count.
    const zero = new Float64Array([0]);
    for (const [m, n, k, ta, tb] of [[700, 96, 130, false, false], [257, 300, 64, true, false], [130, 513, 70, false, true], [64, 900, 40, false, false], [100, 64, 96, false, true], [200, 16, 128, false, true]]) {
      const c = new Float32Array(m * n);
      addon.gemm(fill(m * k), fill(k * n), c, m, n, k, ta, tb, zero, zero, false);
      hash.update(new Uint8Array(c.buffer));
    }
    console.log(addon.info().threads + " " + hash.digest("hex"));`;
  assert.equal(digestWithThreads(script, 3), digestWithThreads(script, 1));
});
