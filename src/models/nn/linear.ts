import * as tf from "@tensorflow/tfjs";
import { Module, normal, zeros, type Rng } from "../module.js";

/**
 * x [..., in] · Wᵀ with W [out, in], computed on x flattened to 2-D: TF.js cannot take the gradient
 * of a rank-3 × rank-2 BatchMatMul (it does not sum the broadcast weight's gradient over the batch).
 */
export function matMulWeight(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inDim = x.shape[x.shape.length - 1]!;
    const out = tf.matMul(tf.reshape(x, [-1, inDim]), weight as tf.Tensor2D, false, true);
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
    options: { bias?: boolean; std?: number } = {},
  ) {
    super();
    this.weight = this.param("weight", [outFeatures, inFeatures], normal(options.std ?? 0.02), rng);
    this.bias = options.bias ? this.param("bias", [outFeatures], zeros, rng) : undefined;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = matMulWeight(x, this.weight);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}
