import * as tf from "@tensorflow/tfjs";

/**
 * one_hot(ids, depth) as float32. Built as int32 and cast: the WebAssembly backend's OneHot with a
 * float32 dtype writes integer bit patterns into the float buffer (1 reads as 1.4e-45).
 */
export function oneHotFloat(ids: tf.Tensor, depth: number): tf.Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(tf.cast(ids, "int32") as tf.Tensor1D, depth), "float32"));
}
