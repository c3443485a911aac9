import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";

/**
 * Compares tf.grads of `f` with central finite differences at a few entries of each input.
 * f must return a scalar; it is evaluated as sum(out · R) by the callers for a random R.
 */
export function gradCheck(f: (...xs: tf.Tensor[]) => tf.Scalar, inputs: tf.Tensor[], options: { eps?: number; tol?: number; probes?: number; names?: string[] } = {}): void {
  const eps = options.eps ?? 1e-2;
  const tol = options.tol ?? 2e-2;
  const probes = options.probes ?? 6;
  const analytic = tf.grads(f)(inputs).map((g) => g.dataSync());
  inputs.forEach((x, i) => {
    const values = x.dataSync().slice();
    const step = Math.max(1, Math.floor(values.length / probes));
    for (let j = 0; j < values.length; j += step) {
      const at = (delta: number) => {
        const copy = values.slice();
        copy[j] = copy[j]! + delta;
        const shifted = inputs.map((y, k) => (k === i ? tf.tensor(copy, y.shape, y.dtype) : y));
        return tf.tidy(() => f(...shifted).dataSync()[0]!);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const got = analytic[i]![j]!;
      assert.ok(
        Math.abs(numeric - got) <= tol * Math.max(1, Math.abs(numeric), Math.abs(got)),
        `${options.names?.[i] ?? `input ${i}`}[${j}]: analytic ${got} vs numeric ${numeric}`,
      );
    }
  });
}

/** sum(y · R) for a fixed random R shaped like y: a scalar whose gradient reaches every output entry. */
export function probeSum(y: tf.Tensor, seed = 7): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, "float32", seed))) as tf.Scalar);
}

/** Gradient check of `forward` with respect to its input x and each variable, perturbing variables in place. */
export function gradCheckModule(
  forward: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor,
  params: tf.Variable[],
  options: { eps?: number; tol?: number; probes?: number; checkInput?: boolean } = {},
): void {
  const eps = options.eps ?? 1e-2;
  const tol = options.tol ?? 2e-2;
  const probes = options.probes ?? 4;
  const loss = () => probeSum(forward(x));
  if (options.checkInput !== false) gradCheck((xi) => probeSum(forward(xi!)), [x], { eps, tol, probes, names: ["x"] });
  const { grads } = tf.variableGrads(loss, params);
  for (const p of params) {
    const analytic = grads[p.name]!.dataSync();
    const values = p.dataSync().slice();
    const step = Math.max(1, Math.floor(values.length / probes));
    for (let j = 0; j < values.length; j += step) {
      const at = (delta: number) => {
        const copy = values.slice();
        copy[j] = copy[j]! + delta;
        p.assign(tf.tensor(copy, p.shape));
        return tf.tidy(() => loss().dataSync()[0]!);
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      p.assign(tf.tensor(values, p.shape));
      const got = analytic[j]!;
      assert.ok(Math.abs(numeric - got) <= tol * Math.max(1, Math.abs(numeric), Math.abs(got)), `${p.name}[${j}]: analytic ${got} vs numeric ${numeric}`);
    }
  }
}
