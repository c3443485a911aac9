import * as tf from "@tensorflow/tfjs";
import { FUSED_LINEAR, FUSED_LINEAR_GRAD, hasKernels } from "../../backend/native.js";
import { Module, normal, zeros, type Init, type Rng } from "../module.js";

/** x2d [rows, in] · wᵀ (+ b) as one kernel, and its three gradients as one, where the backend has them. */
function fusedLinear(x2d: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor | undefined {
  if (x2d.dtype !== "float32" || !hasKernels(FUSED_LINEAR, FUSED_LINEAR_GRAD)) return undefined;
  const engine = tf.engine();
  const op = tf.customGrad(((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = inputs.pop() as tf.GradSaveFunc;
    const [x, w, b] = inputs as tf.Tensor[];
    save([x!, w!]);
    return {
      value: engine.runKernel(FUSED_LINEAR, { x: x!, w: w!, ...(b ? { b } : {}) }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        engine.runKernel(FUSED_LINEAR_GRAD, { x: saved[0]!, w: saved[1]!, dy: dy as tf.Tensor }, { bias: b !== undefined }) as tf.Tensor[],
    };
  }) as never) as (...xs: tf.Tensor[]) => tf.Tensor;
  return bias ? op(x2d, weight, bias) : op(x2d, weight);
}

/**
 * x [..., in] · Wᵀ with W [out, in], computed on x flattened to 2-D: TF.js cannot take the gradient
 * of a rank-3 × rank-2 BatchMatMul (it does not sum the broadcast weight's gradient over the batch).
 */
export function matMulWeight(x: tf.Tensor, weight: tf.Tensor, bias?: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    const x2d = tf.reshape(x, [-1, inDim]);
    let out = fusedLinear(x2d, weight, bias);
    if (!out) {
      out = tf.matMul(x2d, weight as tf.Tensor2D, false, true);
      if (bias) out = tf.add(out, bias);
    }
    return tf.reshape(out, [...x.shape.slice(0, -1), weight.shape[0]!]);
  });
}

/** y = x Wᵀ + b, with W stored as [out, in] like PyTorch (so checkpoints need no transpose). */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    options: { bias?: boolean; std?: number; init?: Init; biasInit?: Init } = {},
  ) {
    super();
    this.weight = this.param("weight", [outFeatures, inFeatures], options.init ?? normal(options.std ?? 0.02), rng);
    this.bias = options.bias ? this.param("bias", [outFeatures], options.biasInit ?? zeros, rng) : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return matMulWeight(x, this.weight, this.bias);
  }
}
