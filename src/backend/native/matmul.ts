/** BatchMatMul on the addon's gemm (OpenBLAS sgemm when installed, else its built-in kernel), with broadcast batch dimensions. */
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs";
import type { NativeAddon } from "./addon.js";
import { alloc, broadcastStrides, size, valuesOf, type Args, type Fallback, type NativeKernel } from "./kernel.js";

/** Flat offsets of each broadcast batch entry into an operand with batch shape `own`. */
function batchOffsets(outBatch: number[], own: number[], matrixSize: number): Float64Array {
  const total = size(outBatch);
  const offsets = new Float64Array(total);
  const rank = outBatch.length;
  const strides = broadcastStrides(outBatch, own).map((s) => s * matrixSize);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let off = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const dim = outBatch[d]!;
      off += (rest % dim) * strides[d]!;
      rest = Math.floor(rest / dim);
    }
    offsets[i] = off;
  }
  return offsets;
}

export function matmulKernels(addon: NativeAddon, fallback: Fallback): NativeKernel[] {
  const batchMatMul = (args: Args): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback(tf.BatchMatMul)(args as never) as TensorInfo;
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb) {
      throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${!!transposeA} and transposeB=${!!transposeB} must match.`);
    }
    const outBatch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const out = alloc(args, size(outBatch) * m * n);
    if (out.length > 0) {
      addon.gemm(valuesOf(args.backend, a), valuesOf(args.backend, b), out, m, n, k, !!transposeA, !!transposeB, batchOffsets(outBatch, a.shape.slice(0, -2), m * k), batchOffsets(outBatch, b.shape.slice(0, -2), k * n));
    }
    return args.backend.makeTensorInfo([...outBatch, m, n], "float32", out);
  };

  const kernels: NativeKernel[] = [
    [tf.BatchMatMul, batchMatMul],
  ];
  return kernels;
}
