/**
 * The haswell-order sgemm (native/src/haswell_gemm.h) against OpenBLAS 0.3.21's Haswell kernels, bit
 * for bit, in a process started with the portable bits (LLAVA_MORE_PORTABLE_BITS=1, which pins
 * OpenBLAS to Haswell): every route the addon has, on random shapes with all four transposes, edge
 * sizes and the bench's and lab's product shapes, each output poisoned with NaN first.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { kernelModeEnv, loadNativeAddon } from "../src/backend/kernel_build.js";
import { projectPath } from "../src/util/paths.js";
import { requireTool } from "./helpers.js";
import { digestWithThreads } from "./native_agree.js";

const KERNEL_BUILD = JSON.stringify(projectPath("src", "backend", "kernel_build.ts"));
const addon = loadNativeAddon();
const info = typeof addon === "string" ? undefined : addon.info();
const skip = requireTool(info !== undefined && info.blas === "openblas" && info.isas.includes("avx2"), "needs the native addon with OpenBLAS on an AVX2 CPU");

// Runs `body` (module code with `addon`, `gemm(route, m, n, k, ta, tb, seed, batch?)` returning the
// output's bits, and `print`) in a child process with the portable bits.
function inPortableChild(body: string, env: NodeJS.ProcessEnv = {}): string {
  const script = `
    import { loadNativeAddon } from ${KERNEL_BUILD};
    const addon = loadNativeAddon();
    if (typeof addon === "string") throw new Error(addon);
    const values = (n, seed) => {
      let s = seed >>> 0 || 1;
      const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      return Float32Array.from({ length: n }, () => (2 * next() - 1) * 2 ** Math.floor(9 * next() - 4));
    };
    const gemm = (route, m, n, k, ta, tb, seed, batch = 1) => {
      addon.setSgemm(route);
      const a = values(batch * m * k, seed), b = values(batch * k * n, seed + 1);
      const out = new Float32Array(batch * m * n).fill(NaN);
      const offsets = (size) => Float64Array.from({ length: batch }, (_, i) => i * size);
      addon.gemm(a, b, out, m, n, k, ta, tb, offsets(m * k), offsets(k * n));
      return new Uint32Array(out.buffer);
    };
    const print = (x) => process.stdout.write(typeof x === "string" ? x : JSON.stringify(x));
    ${body}`;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    cwd: projectPath(),
    env: { ...kernelModeEnv("portable"), ...env },
    maxBuffer: 1 << 26,
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

test("haswell-order sgemm: the bits of OpenBLAS's Haswell sgemm on random shapes, all transposes, edge and lab shapes", { skip, timeout: 600_000 }, () => {
  const out = inPortableChild(`
    const info = addon.info();
    const routes = ["haswell-order/avx2", ...(info.isas.includes("avx512") ? ["haswell-order/avx512"] : [])];
    let s = 12345;
    const rand = (n) => 1 + ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % n);
    const shapes = [];
    // Edges of the kernel's blocking: 1, the unrolls (2, 4, 8, 12, 16), the block limits (320, 640) and around them.
    const edges = [1, 2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 319, 320, 321, 639, 640, 641];
    for (let i = 0; i < 120; i++) shapes.push([edges[rand(edges.length) - 1], edges[rand(edges.length) - 1], edges[rand(edges.length) - 1], rand(2) === 1, rand(2) === 1]);
    for (let i = 0; i < 200; i++) shapes.push([rand(i % 5 === 0 ? 1100 : 300), rand(i % 7 === 0 ? 1100 : 300), rand(i % 3 === 0 ? 1300 : 300), rand(2) === 1, rand(2) === 1]);
    // The bench's issue shapes (decoder 16 x 96 tokens, d256, ffn 688, vocab 512; ViT 32 x 65 tokens,
    // d192, mlp 768) and the small LLM presets on 8 x 128 tokens (llama3 small: d256, k/v 64, ffn 896,
    // vocab 2052; gemma2 small: d128, ffn 512, vocab 4096): forward x·wᵀ, dx = dy·w, dw = dyᵀ·x.
    for (const [rows, widths] of [[1536, [[256, 256], [256, 688], [688, 256], [256, 512]]], [2080, [[192, 192], [192, 768], [768, 192]]], [1024, [[256, 64], [256, 896], [896, 256], [256, 2052], [128, 512], [512, 128], [128, 4096]]]]) {
      for (const [inW, outW] of widths) shapes.push([rows, outW, inW, false, true], [rows, inW, outW, false, false], [outW, inW, rows, true, false]);
    }
    const mismatches = [];
    let checked = 0;
    shapes.forEach(([m, n, k, ta, tb], i) => {
      const want = gemm("openblas", m, n, k, ta, tb, 7 + i);
      for (const route of routes) {
        const got = gemm(route, m, n, k, ta, tb, 7 + i);
        let differ = 0;
        for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) differ++;
        if (differ > 0) mismatches.push(route + " " + m + "x" + n + "x" + k + (ta ? " Aᵀ" : "") + (tb ? " Bᵀ" : "") + ": " + differ + " of " + want.length);
        checked++;
      }
    });
    // Batched products (attention's, 64 heads of 96 x 96 x 64) take the same route per product.
    for (const [m, n, k, ta, tb] of [[96, 96, 64, false, true], [96, 64, 96, false, false], [96, 64, 96, true, false]]) {
      const want = gemm("openblas", m, n, k, ta, tb, 99, 64);
      for (const route of routes) {
        const got = gemm(route, m, n, k, ta, tb, 99, 64);
        if (got.some((v, j) => v !== want[j])) mismatches.push(route + " batched " + m + "x" + n + "x" + k);
        checked++;
      }
    }
    print({ blasCore: info.blasCore, routes, checked, mismatches });`);
  const result = JSON.parse(out) as { blasCore: string; routes: string[]; checked: number; mismatches: string[] };
  assert.equal(result.blasCore, "Haswell", "the portable bits pin OpenBLAS to Haswell");
  assert.ok(result.checked >= 350 * result.routes.length, `${result.checked} products checked over ${result.routes.length} route(s)`);
  assert.deepEqual(result.mismatches, [], "every product bit for bit as OpenBLAS Haswell's");
});

test("haswell-order sgemm: the default route, its choice, and the same bits on 1 and 2 threads", { skip, timeout: 120_000 }, () => {
  const chosen = JSON.parse(inPortableChild(`print({ info: addon.info(), bad: (() => { try { addon.setSgemm("nope"); return ""; } catch (e) { return e.message; } })() });`)) as {
    info: { sgemm: string; isas: string[] };
    bad: string;
  };
  // On a CPU with AVX-512 the AVX-512 build stands in for OpenBLAS (faster there); with AVX2 alone OpenBLAS stays.
  assert.equal(chosen.info.sgemm, chosen.info.isas.includes("avx512") ? "haswell-order/avx512" : "openblas");
  assert.match(chosen.bad, /setSgemm: no route "nope"; this addon has openblas, haswell-order\/avx2/);
  const kept = inPortableChild(`print(addon.info().sgemm);`, { LLAVA_MORE_SGEMM: "openblas" });
  assert.equal(kept, "openblas", "LLAVA_MORE_SGEMM=openblas keeps OpenBLAS");

  // The pool splits a product into blocks of rows cut by its shape alone.
  const script = `
    import { createHash } from "node:crypto";
    import { loadNativeAddon } from ${KERNEL_BUILD};
    const addon = loadNativeAddon();
    if (typeof addon === "string") throw new Error(addon);
    const route = addon.info().isas.includes("avx512") ? "haswell-order/avx512" : "haswell-order/avx2";
    addon.setSgemm(route);
    const hash = createHash("sha256");
    for (const [m, n, k, ta, tb] of [[1536, 688, 256, false, true], [1536, 256, 688, false, false], [688, 256, 1536, true, false], [100, 64, 257, false, true]]) {
      const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37) * 3), b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
      const out = new Float32Array(m * n).fill(NaN);
      addon.gemm(a, b, out, m, n, k, ta, tb, new Float64Array([0]), new Float64Array([0]));
      if (out.some(Number.isNaN)) throw new Error("unwritten output");
      hash.update(new Uint8Array(out.buffer));
    }
    process.stdout.write(addon.info().threads + " " + hash.digest("hex"));`;
  assert.equal(digestWithThreads(script, 1, kernelModeEnv("portable")), digestWithThreads(script, 2, kernelModeEnv("portable")));
});
