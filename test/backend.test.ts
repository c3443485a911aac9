import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs";
import { backendAdvice, backendInfo, describeBackend, initBackend, selfCheck, useBackend } from "../src/backend/index.js";
import { hasAvx2Fma, loadNativeAddon } from "../src/backend/native.js";
import { portableBits } from "../src/backend/kernel_build.js";
import { noHardwareVulkan } from "../src/backend/webgpu.js";
import { projectPath } from "../src/util/paths.js";

/** Set by the user before this process started: the workbench keeps it. */
const coretypeGiven = process.env["OPENBLAS_CORETYPE"] !== undefined;

test("the default backend is the native kernels when built, else WebAssembly; every fallback is recorded", async () => {
  const info = await initBackend();
  if (process.env["TFJS_BACKEND"]) return;
  const native = typeof loadNativeAddon() !== "string";
  assert.equal(info.name, native ? "native" : "wasm");
  assert.equal(tf.getBackend(), info.name);
  assert.equal(backendInfo(), info);
  // WebGPU comes before every CPU backend, and is skipped (saying why) where there is no GPU driver.
  const gpu = noHardwareVulkan() === undefined ? [] : ["@tensorflow/tfjs-backend-webgpu (Dawn)"];
  assert.deepEqual(info.skipped.map((s) => s.candidate).slice(0, 2 + gpu.length), ["@tensorflow/tfjs-node-gpu", ...gpu, "@tensorflow/tfjs-node"]);
  // package.json's override installs plain @tensorflow/tfjs under the tfjs-node name; the reason says so.
  assert.match(info.skipped.find((s) => s.candidate === "@tensorflow/tfjs-node")?.reason ?? "", /^installed as an alias of @tensorflow\/tfjs@4\.22\.0 \(an npm override\)/);
  if (native) assert.match(describeBackend(info), /^native \(native\/ \(N-API addon\), tfjs 4\.22\.0, (openblas|builtin), \d+ threads\)$/);
  else assert.match(describeBackend(info), /^wasm \(@tensorflow\/tfjs-backend-wasm, tfjs 4\.22\.0, fast matmul\)$/);
  await assert.doesNotReject(selfCheck);
  // With the portable bits OpenBLAS is pinned to its AVX2 kernels where the CPU has them, so machines of
  // different CPUs multiply alike; by default it picks its kernels for this CPU.
  if (native && !coretypeGiven && hasAvx2Fma()) {
    assert.equal(process.env["OPENBLAS_CORETYPE"], portableBits() ? "Haswell" : undefined);
  }
  // Long work on the built-in matmul says how to get OpenBLAS; OpenBLAS and the other backends say nothing.
  assert.match(backendAdvice({ ...info, name: "native", blas: "builtin" }) ?? "", /built without OpenBLAS.*apt-get install libopenblas-dev && npm run build:native/);
  assert.equal(backendAdvice({ ...info, name: "native", blas: "openblas" }), undefined);
  assert.equal(backendAdvice({ ...info, name: "wasm", blas: undefined }), undefined);
});

async function onBackend<T>(name: string, f: () => T): Promise<T> {
  const before = tf.getBackend();
  await tf.setBackend(name);
  try {
    return f();
  } finally {
    await tf.setBackend(before);
  }
}

test("fast WebAssembly matmuls agree with the CPU backend to 1e-4 relative", async () => {
  await initBackend();
  await useBackend("wasm");
  after(() => useBackend(backendInfo().name));
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[2, 3, 4, 5], [5, 6], false, false],
    [[2, 3, 5, 4], [6, 5], true, true],
    [[3, 4, 5], [3, 5, 2], false, false],
    [[3, 5, 4], [3, 2, 5], true, true],
    [[48, 64], [48, 40], true, false],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const a = tf.randomNormal(sa, 0, 1, "float32", 1);
    const b = tf.randomNormal(sb, 0, 1, "float32", 2);
    const got = tf.matMul(a, b, ta, tb);
    const [av, bv] = [a.dataSync(), b.dataSync()];
    const want = await onBackend("cpu", () => tf.matMul(tf.tensor(av, sa), tf.tensor(bv, sb), ta, tb).dataSync());
    assert.deepEqual(got.shape.length, sa.length === 2 && sb.length === 2 ? 2 : Math.max(sa.length, sb.length));
    const g = got.dataSync();
    assert.equal(g.length, want.length);
    for (let i = 0; i < g.length; i++) {
      assert.ok(Math.abs(g[i]! - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)), `${sa}x${sb} ${ta}/${tb} at ${i}: ${g[i]} vs ${want[i]}`);
    }
    tf.dispose([a, b, got]);
  }
  assert.throws(() => tf.matMul(tf.ones([64, 48]), tf.ones([48, 40]), true, false), /inner shapes \(64\) and \(48\)/);
});

test("gradients through the fast WebAssembly matmul agree with the CPU backend", async () => {
  await initBackend();
  await useBackend("wasm");
  after(() => useBackend(backendInfo().name));
  const a = tf.randomNormal([4, 6, 5], 0, 1, "float32", 3);
  const w = tf.randomNormal([3, 5], 0, 1, "float32", 4);
  const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.reshape(x, [-1, 5]), y, false, true)));
  const [ga, gw] = tf.grads(f)([a, w]).map((g) => g.dataSync());
  const [av, wv] = [a.dataSync(), w.dataSync()];
  const [ra, rw] = await onBackend("cpu", () => tf.grads(f)([tf.tensor(av, [4, 6, 5]), tf.tensor(wv, [3, 5])]).map((g) => g.dataSync()));
  for (const [x, y] of [[ga!, ra!], [gw!, rw!]] as const) {
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i]! - y[i]!) <= 1e-4 * Math.max(1, Math.abs(y[i]!)));
  }
});

test("TFJS_BACKEND picks a backend or fails with a clear error", () => {
  const run = (value: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "-e", `import("${projectPath("src", "backend", "index.ts")}").then(m => m.initBackend()).then(i => console.log("chose " + i.name), e => { console.log("error: " + e.message); })`], {
      encoding: "utf8",
      env: { ...process.env, TFJS_BACKEND: value },
      cwd: projectPath(),
    });
  assert.match(run("cpu").stdout, /chose cpu/);
  assert.match(run("gpu").stdout, /error: TFJS_BACKEND="gpu": expected one of tensorflow, webgpu, native, wasm, cpu/);
  assert.match(run("wasm").stdout, /chose wasm/);
  assert.match(run("tensorflow").stdout, /error: TFJS_BACKEND=tensorflow could not be initialised \(@tensorflow\/tfjs-node-gpu: not installed; @tensorflow\/tfjs-node: /);
});
