/** Activation functions as the real families define them. */
import * as tf from "@tensorflow/tfjs";

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

export function activate(kind: Activation, x: tf.Tensor): tf.Tensor {
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
