/**
 * `npx tsx bench/attention_kernels.ts [OTHER_ADDON]`: the fused attention kernels alone at the bench's
 * issue shapes (ViT: 32 × 65 tokens, 4 heads of 48, no RoPE; decoder: 16 × 96, 4 heads of 64, causal,
 * RoPE on all 64), forward and backward, the median of 7 rounds of 20 calls, on the addon's thread
 * count. With the path of another built addon (a copy of native/build/Release/llava_native.node from
 * another commit), both run in this process, interleaved round by round, so they meet the same load.
 */
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { NativeAddon } from "../src/backend/native/addon.js";
import { loadNativeAddon } from "../src/backend/kernel_build.js";

const current = loadNativeAddon();
if (typeof current === "string") throw new Error(current);
const builds: [string, NativeAddon][] = [["this build", current]];
if (process.argv[2]) {
  const other = createRequire(import.meta.url)(resolve(process.argv[2])) as NativeAddon;
  other.selectKernels(current.info().isa);
  builds.unshift([process.argv[2], other]);
}

const SHAPES = [
  { name: "ViT", batch: 32, seq: 65, heads: 4, headDim: 48, rotary: 0, causal: 0 },
  { name: "decoder", batch: 16, seq: 96, heads: 4, headDim: 64, rotary: 64, causal: 1 },
];
let seed = 12345;
const fill = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 4 - 2);

for (const s of SHAPES) {
  const width = s.batch * s.seq * s.heads * s.headDim;
  const [q, k, v, dctx] = [fill(width), fill(width), fill(width), fill(width)];
  const [cos, sin] = s.rotary ? [fill(s.seq * s.rotary), fill(s.seq * s.rotary)] : [null, null];
  const [ctx, dq, dk, dv] = [new Float32Array(width), new Float32Array(width), new Float32Array(width), new Float32Array(width)];
  const probs = new Float32Array(s.batch * s.heads * s.seq * s.seq);
  // An older addon reads the first eight dims; the ninth (q, k, v packed in one array) is 0 here.
  const dims = Float64Array.from([s.batch, s.seq, s.heads, s.heads, s.headDim, s.rotary, s.causal, 0, 0]);
  const scale = 1 / Math.sqrt(s.headDim);
  const rounds = new Map(builds.map(([label]) => [label, { forward: [] as number[], backward: [] as number[] }]));
  const timed = (f: () => void) => {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) f();
    return (performance.now() - t0) / 20;
  };
  for (let round = -1; round < 7; round++) {
    for (const [label, addon] of builds) {
      const forward = timed(() => addon.attentionForward(q, k, v, cos, sin, null, ctx, probs, dims, scale, 0));
      const backward = timed(() => addon.attentionBackward(q, k, v, cos, sin, probs, dctx, dq, dk, dv, dims, scale, 0));
      if (round >= 0) rounds.get(label)!.forward.push(forward), rounds.get(label)!.backward.push(backward);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!.toFixed(3);
  for (const [label, r] of rounds) console.log(`${s.name.padEnd(8)} ${label.padEnd(40)} forward ${median(r.forward)} ms   backward ${median(r.backward)} ms`);
}
