import * as tf from "@tensorflow/tfjs";
import { FUSED_NORM, FUSED_NORM_GRAD, hasKernels } from "../../backend/native.js";
import { Module, ones, zeros, type Rng } from "../module.js";

interface NormSpec {
  eps: number;
  /** Subtract the row mean (LayerNorm) or not (RMSNorm). */
  center: boolean;
  /** Added to the weight: 1 for Gemma's (1 + w) RMSNorm, else 0. */
  offset: number;
}

/** The normalisation as one kernel and one gradient kernel, where the backend has them (native). */
function fusedNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined, spec: NormSpec): tf.Tensor | undefined {
  if (!hasKernels(FUSED_NORM, FUSED_NORM_GRAD)) return undefined;
  const engine = tf.engine();
  const forward = (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = inputs.pop() as tf.GradSaveFunc;
    const [xi, wi, bi] = inputs as tf.Tensor[];
    const [y, mean, rstd] = engine.runKernel(FUSED_NORM, { x: xi!, w: wi!, ...(bi ? { b: bi } : {}) }, { ...spec }) as tf.Tensor[];
    save([xi!, wi!, mean!, rstd!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sw, sm, sr] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return engine.runKernel(FUSED_NORM_GRAD, { x: sx, w: sw, dy: dy as tf.Tensor, mean: sm, rstd: sr }, { ...spec }) as tf.Tensor[];
      },
    };
  };
  const op = tf.customGrad(forward as never) as (...xs: tf.Tensor[]) => tf.Tensor;
  return b ? op(x, w, b) : op(x, w);
}

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
    const fused = fusedNorm(x, this.weight, this.bias, { eps: this.eps, center: true, offset: 0 });
    if (fused) return fused;
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
    const fused = fusedNorm(x, this.weight, undefined, { eps: this.eps, center: false, offset: this.offset });
    if (fused) return fused;
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
