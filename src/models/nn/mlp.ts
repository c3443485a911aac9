import * as tf from "@tensorflow/tfjs";
import { Module, type Rng } from "../module.js";
import { activate, gatedActivate, type Activation } from "./activations.js";
import { Linear } from "./linear.js";

/**
 * Gated MLP: down(act(gate(x)) ⊙ up(x)). SwiGLU (act = SiLU: LLaMA, Vicuna, Phi) or GeGLU-tanh
 * (Gemma 2). `fused` stores gate and up as one gate_up_proj, as Phi-3 does.
 */
export class GatedMlp extends Module {
  private readonly gate?: Linear;
  private readonly up?: Linear;
  private readonly gateUp?: Linear;
  private readonly down: Linear;

  constructor(
    hidden: number,
    private readonly intermediate: number,
    private readonly activation: Activation,
    rng: Rng,
    options: { fused?: boolean; std?: number } = {},
  ) {
    super();
    const std = options.std;
    if (options.fused) {
      this.gateUp = this.child("gate_up_proj", new Linear(hidden, 2 * intermediate, rng, { std }));
    } else {
      this.gate = this.child("gate_proj", new Linear(hidden, intermediate, rng, { std }));
      this.up = this.child("up_proj", new Linear(hidden, intermediate, rng, { std }));
    }
    this.down = this.child("down_proj", new Linear(intermediate, hidden, rng, { std }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let gate: tf.Tensor;
      let up: tf.Tensor;
      if (this.gateUp) {
        [gate, up] = tf.split(this.gateUp.forward(x), [this.intermediate, this.intermediate], -1) as [tf.Tensor, tf.Tensor];
      } else {
        gate = this.gate!.forward(x);
        up = this.up!.forward(x);
      }
      return this.down.forward(gatedActivate(this.activation, gate, up));
    });
  }
}

/** Two-layer MLP: fc2(act(fc1(x))). Vision transformers (GELU, GELU-tanh, quick-GELU). */
export class Mlp extends Module {
  private readonly fc1: Linear;
  private readonly fc2: Linear;
  constructor(
    hidden: number,
    intermediate: number,
    private readonly activation: Activation,
    rng: Rng,
    names: [string, string] = ["fc1", "fc2"],
  ) {
    super();
    this.fc1 = this.child(names[0], new Linear(hidden, intermediate, rng, { bias: true }));
    this.fc2 = this.child(names[1], new Linear(intermediate, hidden, rng, { bias: true }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(activate(this.activation, this.fc1.forward(x))));
  }
}
