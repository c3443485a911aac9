import * as tf from "@tensorflow/tfjs";
import { oneHotFloat } from "./ops.js";
import { Module, normal, type Rng } from "../module.js";

/**
 * Token embedding. Forward is a gather; the weight gradient is one_hot(ids)ᵀ · dy, a matmul,
 * because the WebAssembly backend has no UnsortedSegmentSum and cannot differentiate gather.
 */
export class Embedding extends Module {
  readonly weight: tf.Variable;
  private readonly lookup: (weight: tf.Tensor, ids: tf.Tensor) => tf.Tensor;

  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    rng: Rng,
    std = 0.02,
  ) {
    super();
    this.weight = this.param("weight", [numEmbeddings, dim], normal(std), rng);
    this.lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [weight, ids, save] = args as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
      // Tensors the gradient needs must go through save(): anything else may be disposed by then.
      save([ids]);
      const value = tf.reshape(tf.gather(weight, tf.reshape(ids, [-1]) as tf.Tensor1D), [...ids.shape, dim]);
      return {
        value,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const savedIds = saved[0]!;
          const g = tf.reshape(dy as tf.Tensor, [-1, dim]);
          const oneHot = oneHotFloat(tf.reshape(savedIds, [-1]), numEmbeddings);
          return [tf.matMul(oneHot, g, true, false), tf.zerosLike(savedIds)];
        },
      };
    }) as (weight: tf.Tensor, ids: tf.Tensor) => tf.Tensor;
  }

  /** ids [..., T] (int32) -> [..., T, dim]. */
  forward(ids: tf.Tensor): tf.Tensor {
    return this.lookup(this.weight, ids);
  }
}
