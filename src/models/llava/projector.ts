/** Vision-to-language projectors of LLaVA: `linear`, `mlp{N}x_gelu` (default mlp2x_gelu), `identity`. */
import * as tf from "@tensorflow/tfjs";
import { Module, Rng, uniform } from "../module.js";
import { activate } from "../nn/activations.js";
import { Linear } from "../nn/linear.js";

export type ProjectorType = "linear" | "identity" | `mlp${number}x_gelu`;

/**
 * How the projector's layers start: `normal` N(0, 0.02²) weights and zero biases (this library's
 * default, which makes image tokens start ~4× smaller than text embeddings); `pytorch` as LLaVA's
 * nn.Linear layers do: kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in), for weights and biases.
 */
export const PROJECTOR_INITS = ["normal", "pytorch"] as const;
export type ProjectorInit = (typeof PROJECTOR_INITS)[number];

/** Number of linear layers of a projector type, or throws on an unknown type. */
export function projectorDepth(type: string): number {
  if (type === "linear") return 1;
  if (type === "identity") return 0;
  const m = /^mlp(\d+)x_gelu$/.exec(type);
  if (!m || Number(m[1]) < 1) throw new Error(`unknown projector "${type}"; expected linear, identity or mlp<N>x_gelu (e.g. mlp2x_gelu)`);
  return Number(m[1]);
}

/**
 * Linear(d_vis → d_llm), then (GELU, Linear(d_llm → d_llm)) N−1 times. Parameters are named as the
 * indices of LLaVA's nn.Sequential (0, 2, 4, …; GELUs take the odd indices), or plain weight/bias for
 * `linear`.
 */
export class Projector extends Module {
  private readonly layers: Linear[] = [];
  constructor(
    readonly type: ProjectorType,
    readonly visionDim: number,
    readonly llmDim: number,
    seed = 0,
    readonly init: ProjectorInit = "normal",
  ) {
    super();
    const depth = projectorDepth(type);
    if (depth === 0 && visionDim !== llmDim) throw new Error(`identity projector needs equal widths, got vision ${visionDim} and LLM ${llmDim}`);
    const rng = new Rng(seed);
    for (let i = 0; i < depth; i++) {
      const fanIn = i === 0 ? visionDim : llmDim;
      const pytorch = uniform(1 / Math.sqrt(fanIn));
      const layer = new Linear(fanIn, llmDim, rng, init === "pytorch" ? { bias: true, init: pytorch, biasInit: pytorch } : { bias: true });
      this.layers.push(type === "linear" ? this.child("", layer) : this.child(String(2 * i), layer));
    }
  }

  /** [B, N, d_vis] -> [B, N, d_llm]. */
  forward(features: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let x: tf.Tensor = features;
      this.layers.forEach((layer, i) => {
        if (i > 0) x = activate("gelu", x);
        x = layer.forward(x);
      });
      return x as tf.Tensor3D;
    });
  }
}
