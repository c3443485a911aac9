/** Activation functions as the real families define them. */
import * as tf from "@tensorflow/tfjs";
import { FUSED_ACTIVATION, FUSED_ACTIVATION_GRAD, FUSED_GATED_ACTIVATION, FUSED_GATED_ACTIVATION_GRAD, hasKernels } from "../../backend/native.js";

export type Activation = "gelu" | "gelu_tanh" | "quick_gelu" | "silu";

/** Exact GELU: x · Φ(x) = 0.5 x (1 + erf(x / √2)). DINOv2. */
export const gelu = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));

/** GELU, tanh approximation: 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). SigLIP, Gemma 2. */
export const geluTanh = (x: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });

/** x · σ(1.702 x). OpenAI CLIP. */
export const quickGelu = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));

/** x · σ(x). LLaMA, Vicuna, Phi. */
export const silu = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.mul(x, tf.sigmoid(x)));

const FUSED_KIND: Record<Activation, number> = { gelu: 0, gelu_tanh: 1, quick_gelu: 2, silu: 3 };

/** One kernel forward and one backward where the backend has them (native); undefined elsewhere. */
function fusedActivation(kind: Activation, x: tf.Tensor): tf.Tensor | undefined {
  if (x.dtype !== "float32" || !hasKernels(FUSED_ACTIVATION, FUSED_ACTIVATION_GRAD)) return undefined;
  const attrs = { kind: FUSED_KIND[kind] };
  const engine = tf.engine();
  const op = tf.customGrad(((xi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xi]);
    return {
      value: engine.runKernel(FUSED_ACTIVATION, { x: xi }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => engine.runKernel(FUSED_ACTIVATION_GRAD, { x: saved[0]!, dy: dy as tf.Tensor }, attrs) as tf.Tensor,
    };
  }) as never) as (x: tf.Tensor) => tf.Tensor;
  return op(x);
}

export function activate(kind: Activation, x: tf.Tensor): tf.Tensor {
  const fused = fusedActivation(kind, x);
  if (fused) return fused;
  switch (kind) {
    case "gelu":
      return gelu(x);
    case "gelu_tanh":
      return geluTanh(x);
    case "quick_gelu":
      return quickGelu(x);
    case "silu":
      return silu(x);
  }
}

/**
 * act(gate) ⊙ up, the gated MLP's middle: one kernel forward and one backward where the backend has
 * them (native; the same bits as the activation and the product apart), else those two ops.
 */
export function gatedActivate(kind: Activation, gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (gate.dtype !== "float32" || !hasKernels(FUSED_GATED_ACTIVATION, FUSED_GATED_ACTIVATION_GRAD)) return tf.mul(activate(kind, gate), up);
  const attrs = { kind: FUSED_KIND[kind] };
  const engine = tf.engine();
  const op = tf.customGrad(((g: tf.Tensor, u: tf.Tensor, save: tf.GradSaveFunc) => {
    save([g, u]);
    return {
      value: engine.runKernel(FUSED_GATED_ACTIVATION, { gate: g, up: u }, attrs) as tf.Tensor,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => engine.runKernel(FUSED_GATED_ACTIVATION_GRAD, { gate: saved[0]!, up: saved[1]!, dy: dy as tf.Tensor }, attrs) as tf.Tensor[],
    };
  }) as never) as (g: tf.Tensor, u: tf.Tensor) => tf.Tensor;
  return op(gate, up);
}
