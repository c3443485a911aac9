/**
 * AdamW (decoupled weight decay, bias-corrected moments), as PyTorch's torch.optim.AdamW:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ(1 − lr·λ) − lr · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 * On the native backend each parameter's update is one fused kernel; elsewhere the same formula in ops.
 */
import * as tf from "@tensorflow/tfjs";
import { FUSED_ADAMW, hasKernels } from "../backend/native.js";

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** A non-trainable variable of zeros shaped like `like` (the temporary tensor is released). */
function zeroVariable(like: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

export class AdamW {
  /** Each variable's moments and its own update count `t` (bias correction), as PyTorch keeps per parameter. */
  private readonly moments = new Map<tf.Variable, { m: tf.Variable; v: tf.Variable; t: number }>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly eps: number;
  readonly weightDecay: number;
  learningRate: number;
  step = 0;

  constructor(options: AdamWOptions) {
    this.learningRate = options.learningRate;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0;
  }

  /**
   * Gradients of `loss` with respect to `variables` and one update; returns the loss tensor, which
   * the caller reads (asynchronously on WebGPU) and disposes.
   */
  update(loss: () => tf.Scalar, variables: tf.Variable[]): tf.Scalar {
    const { value, grads } = tf.variableGrads(loss, variables);
    try {
      this.applyGradients(new Map(variables.map((v) => [v, grads[v.name]!])));
      return value;
    } catch (err) {
      value.dispose();
      throw err;
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** `update`, then the loss value, read synchronously (CPU backends). */
  minimize(loss: () => tf.Scalar, variables: tf.Variable[]): number {
    const value = this.update(loss, variables);
    try {
      return value.dataSync()[0]!;
    } finally {
      value.dispose();
    }
  }

  /**
   * One update of the variables in `gradients`. `rateScale` multiplies the learning rate per variable
   * (a parameter group's rate, as a projector trained faster than the LLM); a variable left out of
   * `gradients` (frozen this step) keeps its moments and update count.
   */
  applyGradients(gradients: Map<tf.Variable, tf.Tensor>, rateScale?: ReadonlyMap<tf.Variable, number>): void {
    this.step += 1;
    const fused = hasKernels(FUSED_ADAMW);
    for (const [variable, grad] of gradients) {
      let state = this.moments.get(variable);
      if (!state) {
        state = { m: zeroVariable(variable), v: zeroVariable(variable), t: 0 };
        this.moments.set(variable, state);
      }
      state.t += 1;
      const { m, v, t } = state;
      const lr = this.learningRate * (rateScale?.get(variable) ?? 1);
      const [p2, m2, v2] = tf.tidy(() => {
        if (fused) return tf.engine().runKernel(FUSED_ADAMW, { param: variable, grad, m, v }, { lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: t }) as tf.Tensor[];
        const mNew = tf.add(tf.mul(m, this.beta1), tf.mul(grad, 1 - this.beta1));
        const vNew = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2));
        const mHat = tf.div(mNew, 1 - this.beta1 ** t);
        const vHat = tf.div(vNew, 1 - this.beta2 ** t);
        const decayed = tf.mul(variable, 1 - lr * this.weightDecay);
        return [tf.sub(decayed, tf.mul(lr, tf.div(mHat, tf.add(tf.sqrt(vHat), this.eps)))), mNew, vNew];
      });
      variable.assign(p2!);
      m.assign(m2!);
      v.assign(v2!);
      tf.dispose([p2!, m2!, v2!]);
    }
  }

  /** The moment estimates and update count of a variable (undefined before its first update): for checkpoints. */
  momentsOf(variable: tf.Variable): { m: tf.Variable; v: tf.Variable; t: number } | undefined {
    return this.moments.get(variable);
  }

  /** Restores a variable's moment estimates and update count from a checkpoint. */
  setMoments(variable: tf.Variable, m: tf.Tensor, v: tf.Tensor, t: number): void {
    const state = this.moments.get(variable);
    if (state) {
      state.m.assign(m);
      state.v.assign(v);
      state.t = t;
    } else {
      this.moments.set(variable, { m: tf.variable(m, false), v: tf.variable(v, false), t });
    }
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}
