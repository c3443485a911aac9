/**
 * Linear probes: ridge regression onto one-hot targets, solved in closed form,
 * W = (XᵀX + λI)⁻¹ XᵀY on standardised features, predicting the arg-max class (or, for binary
 * multi-label targets, each label above ½). Small and exact: probe widths are a few hundred.
 */

export interface ProbeData {
  /** Row-major features, `rows × dim`. */
  features: Float32Array;
  rows: number;
  dim: number;
}

/** Solves A X = B for symmetric positive-definite A (n × n) and B (n × k) by Cholesky, in place. */
export function solveSpd(a: Float64Array, b: Float64Array, n: number, k: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * n + j]!;
      for (let p = 0; p < j; p++) sum -= l[i * n + p]! * l[j * n + p]!;
      if (i === j) {
        if (!(sum > 0)) throw new Error("solveSpd: matrix is not positive definite");
        l[i * n + i] = Math.sqrt(sum);
      } else l[i * n + j] = sum / l[j * n + j]!;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      let sum = x[i * k + c]!;
      for (let p = 0; p < i; p++) sum -= l[i * n + p]! * x[p * k + c]!;
      x[i * k + c] = sum / l[i * n + i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let sum = x[i * k + c]!;
      for (let p = i + 1; p < n; p++) sum -= l[p * n + i]! * x[p * k + c]!;
      x[i * k + c] = sum / l[i * n + i]!;
    }
  }
  return x;
}

export interface RidgeModel {
  mean: Float64Array;
  scale: Float64Array;
  /** (dim + 1) × outputs, the last row the bias. */
  weights: Float64Array;
  outputs: number;
}

/** Fits ridge regression from `data` to `targets` (rows × outputs). */
export function fitRidge(data: ProbeData, targets: Float64Array, outputs: number, lambda = 1): RidgeModel {
  const { rows, dim, features } = data;
  const mean = new Float64Array(dim);
  const scale = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) mean[c]! += features[r * dim + c]! / rows;
  for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) scale[c]! += (features[r * dim + c]! - mean[c]!) ** 2 / rows;
  for (let c = 0; c < dim; c++) scale[c] = 1 / Math.sqrt(scale[c]! + 1e-8);
  const n = dim + 1;
  const xtx = new Float64Array(n * n);
  const xty = new Float64Array(n * outputs);
  const row = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) row[c] = (features[r * dim + c]! - mean[c]!) * scale[c]!;
    row[dim] = 1;
    for (let i = 0; i < n; i++) {
      const xi = row[i]!;
      if (xi === 0) continue;
      for (let j = 0; j <= i; j++) xtx[i * n + j]! += xi * row[j]!;
      for (let o = 0; o < outputs; o++) xty[i * outputs + o]! += xi * targets[r * outputs + o]!;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) xtx[j * n + i] = xtx[i * n + j]!;
  for (let i = 0; i < dim; i++) xtx[i * n + i]! += lambda; // the bias is not penalised
  xtx[dim * n + dim]! += 1e-8;
  return { mean, scale, weights: solveSpd(xtx, xty, n, outputs), outputs };
}

/** Scores rows × outputs. */
export function predictRidge(model: RidgeModel, data: ProbeData): Float64Array {
  const { rows, dim, features } = data;
  const out = new Float64Array(rows * model.outputs);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < model.outputs; o++) {
      let s = model.weights[dim * model.outputs + o]!;
      for (let c = 0; c < dim; c++) s += (features[r * dim + c]! - model.mean[c]!) * model.scale[c]! * model.weights[c * model.outputs + o]!;
      out[r * model.outputs + o] = s;
    }
  }
  return out;
}

/** One-hot encoding of class labels. */
export function oneHot(labels: readonly number[], classes: number): Float64Array {
  const y = new Float64Array(labels.length * classes);
  labels.forEach((l, i) => (y[i * classes + l] = 1));
  return y;
}

/** Accuracy of a multi-class probe fitted on train and scored on test. */
export function classificationProbe(train: ProbeData, trainLabels: readonly number[], test: ProbeData, testLabels: readonly number[], classes: number, lambda = 1): number {
  const model = fitRidge(train, oneHot(trainLabels, classes), classes, lambda);
  const scores = predictRidge(model, test);
  let right = 0;
  testLabels.forEach((label, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[r * classes + c]! > scores[r * classes + best]!) best = c;
    if (best === label) right++;
  });
  return right / Math.max(1, testLabels.length);
}

/**
 * Balanced accuracy of a binary multi-label probe (targets 0/1, rows × labels): per label the mean
 * of the true-positive and true-negative rates, averaged over labels — chance is ½ however rare a
 * label is.
 */
export function multiLabelProbe(train: ProbeData, trainTargets: Float64Array, test: ProbeData, testTargets: Float64Array, labels: number, lambda = 1): number {
  const model = fitRidge(train, trainTargets, labels, lambda);
  const scores = predictRidge(model, test);
  let total = 0;
  let counted = 0;
  for (let l = 0; l < labels; l++) {
    const hits = [0, 0];
    const counts = [0, 0];
    for (let r = 0; r < test.rows; r++) {
      const truth = testTargets[r * labels + l]! > 0.5 ? 1 : 0;
      counts[truth]!++;
      if ((scores[r * labels + l]! > 0.5 ? 1 : 0) === truth) hits[truth]!++;
    }
    if (counts[0]! === 0 || counts[1]! === 0) continue;
    total += (hits[0]! / counts[0]! + hits[1]! / counts[1]!) / 2;
    counted++;
  }
  return counted > 0 ? total / counted : NaN;
}
