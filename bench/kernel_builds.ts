/**
 * `npx tsx bench/kernel_builds.ts`: the addon's own kernels under each kernel build this CPU runs
 * (AVX2, AVX-512), switched in one process and interleaved call by call, so the two builds meet the
 * same machine load; the best of 60 calls each, on one thread unless LLAVA_MORE_THREADS says otherwise
 * (set it to 1 on a shared machine). OpenBLAS is not involved: every case is an elementwise, row or
 * optimiser kernel on 2,080 × 768 floats (a ViT stage-2 micro-batch's activations).
 */
import { loadNativeAddon } from "../src/backend/kernel_build.js";

const addon = loadNativeAddon();
if (typeof addon === "string") throw new Error(addon);
const rows = 2080, d = 768, n = rows * d;
const wave = (length: number): Float32Array => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37));
const [x, dy, w, b] = [wave(n), wave(n), wave(d), wave(d)];
const [y, mean, rstd, dw, db] = [new Float32Array(n), new Float32Array(rows), new Float32Array(rows), new Float32Array(d), new Float32Array(d)];
const [param, grad, m, v] = [wave(n), wave(n), wave(n), wave(n).map(Math.abs)];
const [outParam, outM, outV] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
// lr, β1, β2, ε, weight decay, bias corrections after step 3.
const hyper = new Float64Array([1e-3, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9 ** 3, 1 - 0.999 ** 3]);
const cases: Record<string, () => void> = {
  "GELU forward": () => addon.activation(0, x, y),
  "GELU backward": () => addon.activationGrad(0, x, dy, y),
  "SiLU forward": () => addon.activation(3, x, y),
  softmax: () => addon.softmax(x, y, rows, d),
  "attention softmax, soft-capped": () => addon.attentionSoftmax(x, null, y, 80, d, 0.125, 50),
  "LayerNorm forward": () => addon.normForward(x, w, b, y, mean, rstd, d, 1e-5, true, 0),
  "LayerNorm backward": () => addon.normBackward(x, w, dy, mean, rstd, y, dw, db, d, true, 0),
  "add, broadcast row": () => addon.binary(0, x, b, y, new Float64Array([rows, d]), new Float64Array([d, 1]), new Float64Array([0, 1])),
  AdamW: () => addon.adamw(param, grad, m, v, outParam, outM, outV, hyper),
};
const isas = addon.info().isas;
const best = new Map<string, number>();
for (let round = 0; round < 60; round++) {
  for (const [name, run] of Object.entries(cases)) {
    for (const isa of isas) {
      addon.selectKernels(isa);
      const started = process.hrtime.bigint();
      run();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      best.set(`${name} ${isa}`, Math.min(best.get(`${name} ${isa}`) ?? Infinity, ms));
    }
  }
}
console.log(`kernel builds ${isas.join(", ")}; ${addon.info().threads} thread(s); best of 60 calls, ms`);
for (const name of Object.keys(cases)) {
  const times = isas.map((isa) => best.get(`${name} ${isa}`)!);
  const ratio = isas.length > 1 ? `  ${isas[0]} / ${isas[isas.length - 1]} = ${(times[0]! / times[times.length - 1]!).toFixed(2)}×` : "";
  console.log(`${name.padEnd(32)}${isas.map((isa, i) => `${isa} ${times[i]!.toFixed(3)}`).join("  ")}${ratio}`);
}
