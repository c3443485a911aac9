/**
 * The "native" backend: TF.js's CPU backend (tensors in plain typed arrays) with its hot kernels
 * replaced by the N-API addon in native/ (OpenBLAS sgemm when installed, else a built-in vectorised
 * kernel; both cores). The addon reads and writes the backend's own arrays: nothing is copied.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs";
import type { NativeAddon } from "./native/addon.js";
import { NativeBackend } from "./native/backend.js";
import type { Fallback } from "./native/kernel.js";
import { FUSED_ACTIVATION, FUSED_ATTENTION_SOFTMAX, FUSED_GATED_ACTIVATION, FUSED_LINEAR, FUSED_NORM, fusedKernels } from "./native/fused.js";
import { FUSED_ADAMW, optimizerKernels } from "./native/optimizer.js";
import { attentionKernels, FUSED_ATTENTION } from "./native/attention.js";
import { FUSED_CAUSAL_LM_LOSS, lossKernels } from "./native/loss.js";
import { matmulKernels } from "./native/matmul.js";
import { softmaxKernels } from "./native/softmax.js";
import { elementwiseKernels } from "./native/elementwise.js";
import { copyKernels } from "./native/copy.js";
import { reduceKernels } from "./native/reduce.js";

export type { NativeAddon } from "./native/addon.js";
export { NativeBackend } from "./native/backend.js";
export { FUSED_ACTIVATION, FUSED_ACTIVATION_GRAD, FUSED_GATED_ACTIVATION, FUSED_GATED_ACTIVATION_GRAD, FUSED_ATTENTION_SOFTMAX, FUSED_ATTENTION_SOFTMAX_GRAD, FUSED_LINEAR, FUSED_LINEAR_GRAD, FUSED_NORM, FUSED_NORM_GRAD } from "./native/fused.js";
export { FUSED_ADAMW } from "./native/optimizer.js";
export { FUSED_ATTENTION, FUSED_ATTENTION_GRAD, bitChangingFusionsAllowed, type FusedAttentionAttrs } from "./native/attention.js";
export { FUSED_CAUSAL_LM_LOSS, FUSED_CAUSAL_LM_LOSS_GRAD } from "./native/loss.js";

/** Whether the active backend has every one of these (fused) kernels. */
export const hasKernels = (...names: string[]): boolean => {
  const backend = tf.getBackend();
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
};

export { hasAvx2Fma, loadNativeAddon, NATIVE_ADDON_PATH, pinBlasKernels } from "./kernel_build.js";

/** Every native kernel, group by group (native/), in the order they are registered. */
function nativeKernels(addon: NativeAddon, fallback: Fallback): KernelConfig[] {
  const kernels = [
    ...fusedKernels(addon),
    ...optimizerKernels(addon),
    ...attentionKernels(addon),
    ...lossKernels(addon),
    ...matmulKernels(addon, fallback),
    ...softmaxKernels(addon, fallback),
    ...elementwiseKernels(addon, fallback),
    ...copyKernels(addon, fallback),
    ...reduceKernels(addon, fallback),
  ];
  return kernels.map(([kernelName, f]) => ({ kernelName, backendName: "native", kernelFunc: f as unknown as KernelFunc }));
}

/** A CPU backend's first write prints TF.js's banner recommending tfjs-node; this turns it off. */
function quietCpuBackend<T>(backend: T): T {
  (backend as unknown as { firstUse: boolean }).firstUse = false;
  return backend;
}

/** Registers the "native" backend once: every CPU kernel, with the addon's kernels on top. */
export function registerNativeBackend(addon: NativeAddon): void {
  if (tf.findBackendFactory("native")) return;
  tf.registerBackend(
    "native",
    () => new NativeBackend(),
    3,
  );
  const cpu = new Map(tf.getKernelsForBackend("cpu").map((k) => [k.kernelName, k]));
  const fallback = (name: string): KernelFunc => {
    const k = cpu.get(name);
    if (!k) throw new Error(`the CPU backend has no ${name} kernel`);
    return k.kernelFunc;
  };
  const native = nativeKernels(addon, fallback);
  const replaced = new Set(native.map((k) => k.kernelName));
  for (const k of cpu.values()) if (!replaced.has(k.kernelName)) tf.registerKernel({ ...k, backendName: "native" });
  for (const k of native) tf.registerKernel(k);
}

/**
 * Runs every native kernel on small fixed inputs on the native and on the CPU backend and returns
 * the first disagreement beyond 1e-4 relative, or undefined. Leaves the CPU backend active.
 */
export async function nativeSelfCheck(): Promise<string | undefined> {
  const fill = (shape: number[], phase: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + phase)), shape);
  const engine = () => tf.engine();
  const cases: [string, () => tf.Tensor[]][] = [
    [tf.BatchMatMul, () => [tf.matMul(fill([2, 5, 4], 1), fill([2, 3, 4], 2), false, true), tf.matMul(fill([4, 5], 3), fill([4, 3], 4), true, false)]],
    [tf.Softmax, () => [tf.softmax(fill([3, 7], 5))]],
    ["binary ops", () => [tf.add(fill([2, 3, 4], 6), fill([4], 7)), tf.sub(fill([3, 1], 8), fill([1, 4], 9)), tf.mul(fill([5], 1), fill([5], 2)), tf.div(fill([4], 3), tf.add(fill([4], 4), 2)), tf.maximum(fill([4], 5), fill([4], 6)), tf.minimum(fill([4], 7), fill([4], 8)), tf.squaredDifference(fill([4], 9), fill([4], 1))]],
    ["unary ops", () => { const x = fill([9], 2); const p = tf.add(tf.abs(x), 0.1); return [tf.neg(x), tf.exp(x), tf.log(p), tf.sqrt(p), tf.rsqrt(p), tf.square(x), tf.sigmoid(x), tf.tanh(x), tf.erf(x), tf.abs(x), tf.relu(x)]; }],
    ["copies", () => { const x = fill([2, 3, 4], 3); return [tf.slice(x, [0, 1, 1], [2, 2, 2]), ...tf.split(x, [1, 3], 2), tf.transpose(x, [2, 0, 1]), tf.pad(x, [[1, 0], [0, 1], [0, 0]], 0.5), tf.concat([x, x], 1), tf.gather(x, tf.tensor1d([2, 0, 2], "int32"), 1)]; }],
    ["reductions", () => { const x = fill([2, 3, 4], 4); return [tf.sum(x, 0), tf.sum(x, -1), tf.mean(x, [1, 2]), tf.max(x, 1), tf.min(x, 0)]; }],
    [FUSED_NORM, () => engine().runKernel(FUSED_NORM, { x: fill([3, 6], 5), w: fill([6], 6), b: fill([6], 7) }, { eps: 1e-5, center: true, offset: 0 }) as tf.Tensor[]],
    [FUSED_ACTIVATION, () => [0, 1, 2, 3].map((kind) => engine().runKernel(FUSED_ACTIVATION, { x: fill([8], kind) }, { kind }) as tf.Tensor)],
    [FUSED_ATTENTION_SOFTMAX, () => [engine().runKernel(FUSED_ATTENTION_SOFTMAX, { scores: fill([2, 3, 3], 6), mask: tf.tensor2d([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3]) }, { scale: 0.5, cap: 2 }) as tf.Tensor]],
    [FUSED_ATTENTION, () => engine().runKernel(FUSED_ATTENTION, { q: fill([1, 3, 4], 1), k: fill([1, 3, 2], 2), v: fill([1, 3, 2], 3) }, { numHeads: 2, numKvHeads: 1, headDim: 2, rotary: 0, causal: true, window: 0, scale: 0.5, cap: 2 }) as tf.Tensor[]],
    [FUSED_GATED_ACTIVATION, () => [engine().runKernel(FUSED_GATED_ACTIVATION, { gate: fill([9], 1), up: fill([9], 2) }, { kind: 3 }) as tf.Tensor]],
    [FUSED_CAUSAL_LM_LOSS, () => [(engine().runKernel(FUSED_CAUSAL_LM_LOSS, { logits: fill([2, 3, 5], 3), labels: tf.tensor2d([0, 4, -100, 1, 2, 3], [2, 3], "int32") }, { ignore: -100 }) as tf.Tensor[])[0]!]],
    [FUSED_LINEAR, () => [engine().runKernel(FUSED_LINEAR, { x: fill([4, 5], 7), w: fill([3, 5], 8), b: fill([3], 9) }, {}) as tf.Tensor]],
    [FUSED_ADAMW, () => engine().runKernel(FUSED_ADAMW, { param: fill([6], 1), grad: fill([6], 2), m: fill([6], 3), v: tf.abs(fill([6], 4)) }, { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, step: 3 }) as tf.Tensor[]],
  ];
  // Fused kernels exist only on the native backend: their reference is the same formula in ops.
  const reference: Record<string, () => tf.Tensor[]> = {
    [FUSED_NORM]: () => {
      const [x, w, b] = [fill([3, 6], 5), fill([6], 6), fill([6], 7)];
      const { mean, variance } = tf.moments(x, -1, true);
      const rstd = tf.rsqrt(tf.add(variance, 1e-5));
      return [tf.add(tf.mul(tf.mul(tf.sub(x, mean), rstd), w), b), tf.reshape(mean, [3]), tf.reshape(rstd, [3])];
    },
    [FUSED_ACTIVATION]: () =>
      [0, 1, 2, 3].map((kind) => {
        const x = fill([8], kind);
        if (kind === 0) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
        if (kind === 1) return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3)))))));
        return tf.mul(x, tf.sigmoid(tf.mul(x, kind === 2 ? 1.702 : 1)));
      }),
    [FUSED_ATTENTION_SOFTMAX]: () => [tf.softmax(tf.add(tf.mul(tf.tanh(tf.div(tf.mul(fill([2, 3, 3], 6), 0.5), 2)), 2), tf.tensor2d([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3])))],
    [FUSED_ATTENTION]: () => {
      // Two query heads over one key-value head, causal, soft-capped.
      const q = tf.transpose(tf.reshape(fill([1, 3, 4], 1), [1, 3, 2, 2]), [0, 2, 1, 3]);
      const [k, v] = [fill([1, 3, 2], 2), fill([1, 3, 2], 3)].map((t) => tf.concat([tf.reshape(t, [1, 1, 3, 2]), tf.reshape(t, [1, 1, 3, 2])], 1));
      const mask = tf.tensor2d([0, -1e9, -1e9, 0, 0, -1e9, 0, 0, 0], [3, 3]);
      const probs = tf.softmax(tf.add(tf.mul(tf.tanh(tf.div(tf.mul(tf.matMul(q, k!, false, true), 0.5), 2)), 2), mask));
      return [tf.reshape(tf.transpose(tf.matMul(probs, v!), [0, 2, 1, 3]), [1, 3, 4]), probs];
    },
    [FUSED_GATED_ACTIVATION]: () => [tf.mul(tf.mul(fill([9], 1), tf.sigmoid(fill([9], 1))), fill([9], 2))],
    // Positions 0 and 1 of each sequence predict labels 1 and 2: (4, −100) and (2, 3); three count.
    [FUSED_CAUSAL_LM_LOSS]: () => {
      const logProbs = tf.logSoftmax(tf.reshape(tf.slice(fill([2, 3, 5], 3), [0, 0, 0], [2, 2, 5]), [4, 5]));
      const picked = tf.sum(tf.mul(logProbs, tf.oneHot(tf.tensor1d([4, 0, 2, 3], "int32"), 5)), -1);
      return [tf.neg(tf.div(tf.sum(tf.mul(picked, tf.tensor1d([1, 0, 1, 1]))), 3))];
    },
    [FUSED_LINEAR]: () => [tf.add(tf.matMul(fill([4, 5], 7), fill([3, 5], 8), false, true), fill([3], 9))],
    [FUSED_ADAMW]: () => {
      const [p, g, m, v] = [fill([6], 1), fill([6], 2), fill([6], 3), tf.abs(fill([6], 4))];
      const m2 = tf.add(tf.mul(m, 0.9), tf.mul(g, 0.1));
      const v2 = tf.add(tf.mul(v, 0.99), tf.mul(tf.square(g), 0.01));
      const update = tf.div(tf.div(m2, 1 - 0.9 ** 3), tf.add(tf.sqrt(tf.div(v2, 1 - 0.99 ** 3)), 1e-8));
      return [tf.sub(tf.mul(p, 1 - 0.01 * 0.1), tf.mul(0.01, update)), m2, v2];
    },
  };
  const run = (f: () => tf.Tensor[]) => tf.tidy(() => f().map((t) => Array.from(t.dataSync())));
  for (const [name, f] of cases) {
    await tf.setBackend("native");
    const got = run(f);
    await tf.setBackend("cpu");
    quietCpuBackend(tf.backend());
    const want = run(reference[name] ?? f);
    for (let i = 0; i < want.length; i++) {
      for (let j = 0; j < want[i]!.length; j++) {
        const [g, w] = [got[i]?.[j] ?? NaN, want[i]![j]!];
        if (!(Math.abs(g - w) <= 1e-4 * Math.max(1, Math.abs(w)))) return `native kernel ${name} disagrees with the CPU backend (output ${i}[${j}]: ${g} vs ${w})`;
      }
    }
  }
  return undefined;
}
