import * as tf from "@tensorflow/tfjs";
import { Module, ones, zeros, type Rng } from "../module.js";

/** LayerNorm: (x − μ) / √(σ² + ε) · w + b over the last axis. ViTs. */
export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    dim: number,
    readonly eps: number,
    rng: Rng,
  ) {
    super();
    this.weight = this.param("weight", [dim], ones, rng);
    this.bias = this.param("bias", [dim], zeros, rng);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.eps))), this.weight), this.bias);
    });
  }
}

/**
 * RMSNorm: x / √(mean(x²) + ε) · w (LLaMA); with `offset` 1 the scale is (1 + w) and w starts at
 * zero (Gemma).
 */
export class RMSNorm extends Module {
  readonly weight: tf.Variable;
  constructor(
    dim: number,
    readonly eps: number,
    rng: Rng,
    readonly offset: 0 | 1 = 0,
  ) {
    super();
    this.weight = this.param("weight", [dim], offset === 1 ? zeros : ones, rng);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const normed = tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), this.eps)));
      return tf.mul(normed, this.offset === 1 ? tf.add(this.weight, 1) : this.weight);
    });
  }
}

export type NormKind = "layernorm" | "rmsnorm" | "rmsnorm_gemma";

export function makeNorm(kind: NormKind, dim: number, eps: number, rng: Rng): LayerNorm | RMSNorm {
  switch (kind) {
    case "layernorm":
      return new LayerNorm(dim, eps, rng);
    case "rmsnorm":
      return new RMSNorm(dim, eps, rng, 0);
    case "rmsnorm_gemma":
      return new RMSNorm(dim, eps, rng, 1);
  }
}
