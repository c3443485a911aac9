/**
 * Fast matmuls on the WebAssembly backend. Its BatchMatMul runs XNNPACK only for a single,
 * untransposed product (~40 GFLOP/s here); transposed operands (every gradient matmul) and batched
 * products fall to a scalar loop (~1-3 GFLOP/s). This kernel transposes operands explicitly first,
 * folds a batch that shares its right operand into the rows of one product, and splits a genuinely
 * batched product into single products, so every product takes the XNNPACK path.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";

interface WasmBackendLike {
  disposeData(dataId: object): void;
}

type Kernel = (inputs: Record<string, TensorInfo>, attrs: NamedAttrMap) => TensorInfo;

function wasmKernel(name: string): KernelConfig {
  const config = tf.getKernel(name, "wasm");
  if (!config) throw new Error(`the WebAssembly backend has no ${name} kernel`);
  return config;
}

function bind(config: KernelConfig, backend: WasmBackendLike): Kernel {
  const func = config.kernelFunc as KernelFunc;
  return (inputs, attrs) => func({ inputs, attrs, backend: backend as never }) as TensorInfo;
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Installs the fast BatchMatMul on the "wasm" backend; returns false if it was already installed. */
export function installFastWasmMatMul(): boolean {
  const original = tf.getKernel(tf.BatchMatMul, "wasm");
  if (!original) throw new Error("the WebAssembly backend is not registered");
  if ((original as KernelConfig & { fast?: boolean }).fast) return false;
  const reshapeKernel = wasmKernel(tf.Reshape);
  const transposeKernel = wasmKernel(tf.Transpose);

  const kernelFunc = ({ inputs, attrs, backend }: { inputs: Record<string, TensorInfo>; attrs?: NamedAttrMap; backend: unknown }): TensorInfo => {
    const b = backend as WasmBackendLike;
    const matmul = bind(original, b);
    const reshape = bind(reshapeKernel, b);
    const transpose = bind(transposeKernel, b);
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    let a = inputs["a"]!;
    let bb = inputs["b"]!;
    try {
      const swapLast = (t: TensorInfo) => {
        const perm = t.shape.map((_, i) => i);
        perm.push(perm.splice(perm.length - 2, 1)[0]!);
        return keep(transpose({ x: t }, { perm }));
      };
      if (transposeA) a = swapLast(a);
      if (transposeB) bb = swapLast(bb);
      const [m, k] = a.shape.slice(-2) as [number, number];
      const n = bb.shape[bb.shape.length - 1]!;
      const kb = bb.shape[bb.shape.length - 2]!;
      if (k !== kb) {
        throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${inputs["a"]!.shape} and ${inputs["b"]!.shape} and transposeA=${!!transposeA} and transposeB=${!!transposeB} must match.`);
      }
      const batchA = size(a.shape.slice(0, -2));
      const batchB = size(bb.shape.slice(0, -2));
      const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), bb.shape.slice(0, -2));
      const outShape = [...outBatch, m, n];
      if (batchB === 1) {
        // x[..., m, k] @ w[k, n]: one product over all rows.
        const rows = keep(reshape({ x: a }, { shape: [batchA * m, k] }));
        const w = keep(reshape({ x: bb }, { shape: [k, n] }));
        const out = keep(matmul({ a: rows, b: w }, { transposeA: false, transposeB: false }));
        return reshape({ x: out }, { shape: outShape });
      }
      // Both operands batched (attention scores and values): XNNPACK would need one operator per
      // product, which costs more than the backend's own batched loop; only the transposes are saved.
      return matmul({ a, b: bb }, { transposeA: false, transposeB: false });
    } finally {
      for (const t of temps) b.disposeData(t.dataId);
    }
  };

  tf.unregisterKernel(tf.BatchMatMul, "wasm");
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as KernelFunc, fast: true } as KernelConfig);
  return true;
}
