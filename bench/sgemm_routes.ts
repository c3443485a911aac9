/**
 * `npx tsx bench/sgemm_routes.ts`: the products of the bench's issue-shape rows (decoder d256, ffn 688,
 * vocab 512 on 16 × 96 tokens; ViT d192, mlp 768 on 32 × 65 tokens; attention's 64 products of
 * 96 × 96 × 64) in the portable bits, through every sgemm route the addon has ("openblas": OpenBLAS's
 * Haswell kernels, "haswell-order/<isa>": the same bits from native/src/haswell_gemm.h), switched in
 * one process and interleaved call by call so the routes meet the same machine load. Each route's
 * bits are checked against OpenBLAS's. GFLOP/s of the median of 15 calls (robust to a shared machine's
 * load), on the addon's threads.
 */
import { kernelModeEnv, loadNativeAddon } from "../src/backend/kernel_build.js";

Object.assign(process.env, kernelModeEnv("portable"));
delete process.env["OPENBLAS_CORETYPE"];
const addon = loadNativeAddon();
if (typeof addon === "string") throw new Error(addon);
const info = addon.info();
if (info.blasCore !== "Haswell") throw new Error(`OpenBLAS runs its ${info.blasCore} kernels, not Haswell: nothing to compare`);
const routes = ["openblas", ...info.isas.map((isa) => `haswell-order/${isa}`)];

// [name, batch, m, n, k, transA, transB]: forward x·wᵀ, dx = dy·w, dw = dyᵀ·x per linear layer shape.
type Product = [string, number, number, number, number, boolean, boolean];
const linear = (label: string, rows: number, inW: number, outW: number): Product[] => [
  [`${label} forward`, 1, rows, outW, inW, false, true],
  [`${label} dx`, 1, rows, inW, outW, false, false],
  [`${label} dw`, 1, outW, inW, rows, true, false],
];
const products: Product[] = [
  ...linear("decoder q/k/v/o 256→256", 1536, 256, 256),
  ...linear("decoder gate/up 256→688", 1536, 256, 688),
  ...linear("decoder down 688→256", 1536, 688, 256),
  ...linear("decoder head 256→512", 1536, 256, 512),
  ["decoder attention q·kᵀ (64 heads)", 64, 96, 96, 64, false, true],
  ["decoder attention p·v (64 heads)", 64, 96, 64, 96, false, false],
  ...linear("ViT q/k/v/o 192→192", 2080, 192, 192),
  ...linear("ViT mlp 192→768", 2080, 192, 768),
  ...linear("ViT mlp 768→192", 2080, 768, 192),
  ["1024³", 1, 1024, 1024, 1024, false, false],
];

const wave = (length: number, f: number): Float32Array => Float32Array.from({ length }, (_, i) => Math.sin(i * f) * 2);
console.log(`sgemm routes ${routes.join(", ")}; OpenBLAS ${info.blasCore}; ${info.threads} thread(s); median of 15 calls, GFLOP/s`);
for (const [name, batch, m, n, k, ta, tb] of products) {
  const a = wave(batch * m * k, 0.37), b = wave(batch * k * n, 0.11);
  const ao = Float64Array.from({ length: batch }, (_, i) => i * m * k), bo = Float64Array.from({ length: batch }, (_, i) => i * k * n);
  const outs = routes.map(() => new Float32Array(batch * m * n));
  const times = routes.map((): number[] => []);
  for (let round = 0; round < 15; round++) {
    routes.forEach((route, r) => {
      addon.setSgemm(route);
      const started = process.hrtime.bigint();
      addon.gemm(a, b, outs[r]!, m, n, k, ta, tb, ao, bo);
      times[r]!.push(Number(process.hrtime.bigint() - started) / 1e6);
    });
  }
  const median = times.map((t) => t.sort((x, y) => x - y)[Math.floor(t.length / 2)]!);
  const want = new Uint32Array(outs[0]!.buffer);
  const same = outs.map((o) => new Uint32Array(o.buffer).every((v, i) => v === want[i]));
  const gflops = median.map((ms) => (2 * batch * m * n * k) / ms / 1e6);
  const cells = routes.map((route, r) => `${route} ${gflops[r]!.toFixed(1)}${same[r] ? "" : " (OTHER BITS)"}`);
  console.log(`${name.padEnd(36)}${batch > 1 ? `${batch} × ` : ""}${m}×${n}×${k}  ${cells.join("  ")}  fastest haswell-order / openblas = ${(Math.max(...gflops.slice(1)) / gflops[0]!).toFixed(2)}×`);
}
addon.setSgemm(info.sgemm);
