/**
 * A minimal module system over TF.js variables: each module owns named parameters and child
 * modules, and `namedParameters()` yields Hugging Face style dotted names
 * (`model.layers.0.self_attn.q_proj.weight`) that checkpoints use unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import { Random } from "../util/random.js";

/** Deterministic seeds for parameter initialisation: the data generator's mulberry32 stream. */
export class Rng extends Random {
  /** An integer seed for one TF.js random op. */
  seed(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}

export type Init = { kind: "zeros" } | { kind: "ones" } | { kind: "constant"; value: number } | { kind: "normal"; std: number } | { kind: "uniform"; bound: number };
export const zeros: Init = { kind: "zeros" };
export const ones: Init = { kind: "ones" };
export const normal = (std: number): Init => ({ kind: "normal", std });
export const constant = (value: number): Init => ({ kind: "constant", value });
/** U(−bound, bound). */
export const uniform = (bound: number): Init => ({ kind: "uniform", bound });

export abstract class Module {
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  protected param(name: string, shape: number[], init: Init, rng: Rng): tf.Variable {
    if (this.ownParams.has(name)) throw new Error(`parameter "${name}" defined twice`);
    const value = tf.tidy(() => {
      switch (init.kind) {
        case "zeros":
          return tf.zeros(shape);
        case "ones":
          return tf.ones(shape);
        case "constant":
          return tf.fill(shape, init.value);
        case "normal":
          return tf.truncatedNormal(shape, 0, init.std, "float32", rng.seed());
        case "uniform":
          return tf.randomUniform(shape, -init.bound, init.bound, "float32", rng.seed());
      }
    });
    const v = tf.variable(value, true);
    value.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  protected child<M extends Module>(name: string, module: M): M {
    if (this.children.has(name)) throw new Error(`child module "${name}" defined twice`);
    this.children.set(name, module);
    return module;
  }

  /** Every parameter with its full dotted name, in definition order. */
  namedParameters(prefix = ""): [string, tf.Variable][] {
    const out: [string, tf.Variable][] = [];
    for (const [name, v] of this.ownParams) out.push([`${prefix}${name}`, v]);
    // A child named "" adds no name segment (a wrapper that Hugging Face names do not show).
    for (const [name, c] of this.children) out.push(...c.namedParameters(name === "" ? prefix : `${prefix}${name}.`));
    return out;
  }

  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  parameterCount(): number {
    return this.parameters().reduce((n, v) => n + v.size, 0);
  }

  trainableParameters(): tf.Variable[] {
    return this.parameters().filter((v) => v.trainable);
  }

  /** Freezes (false) or unfreezes (true) every parameter of this module. */
  setTrainable(trainable: boolean): void {
    for (const v of this.parameters()) v.trainable = trainable;
  }

  dispose(): void {
    for (const v of this.parameters()) v.dispose();
  }
}

/** A list of modules named 0, 1, 2, … as in PyTorch's ModuleList. */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.child(String(i), m));
  }
}
