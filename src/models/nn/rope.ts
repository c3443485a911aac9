/** Rotary position embeddings (RoPE) as in Hugging Face: rotate-half form, partial rotary, llama3 scaling. */
import * as tf from "@tensorflow/tfjs";

/** The "llama3" rope_scaling of LLaMA-3.1 (and R1-Distill-Llama). */
export interface Llama3RopeScaling {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

export interface RopeConfig {
  theta: number;
  /** Dimensions of each head that rotate (head_dim · partial_rotary_factor); the rest pass through. */
  rotaryDim: number;
  scaling?: Llama3RopeScaling;
}

/** inv_freq[i] = θ^(−2i / d), then the llama3 rescaling of long wavelengths when configured. */
export function ropeInverseFrequencies(config: RopeConfig): Float32Array {
  const d = config.rotaryDim;
  if (d % 2 !== 0 || d <= 0) throw new Error(`rotaryDim must be a positive even number, got ${d}`);
  const inv = new Float32Array(d / 2);
  for (let i = 0; i < d / 2; i++) inv[i] = 1 / Math.pow(config.theta, (2 * i) / d);
  const s = config.scaling;
  if (!s) return inv;
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) return f;
    if (wavelen > lowFreqWavelen) return f / s.factor;
    const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** cos and sin tables [T, rotaryDim] for positions offset … offset + T − 1. */
export function ropeTables(inverseFrequencies: Float32Array, offset: number, length: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = inverseFrequencies.length;
  const cos = new Float32Array(length * half * 2);
  const sin = new Float32Array(length * half * 2);
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = (offset + t) * inverseFrequencies[i]!;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[t * 2 * half + i] = cos[t * 2 * half + half + i] = c;
      sin[t * 2 * half + i] = sin[t * 2 * half + half + i] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [length, 2 * half]), sin: tf.tensor2d(sin, [length, 2 * half]) };
}

/** x·cos + rotate_half(x)·sin on the first rotaryDim channels of x [B, H, T, head_dim]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, t, hd] = x.shape;
    const rd = cos.shape[1];
    const rot = rd === hd ? x : tf.slice(x, [0, 0, 0, 0], [b, h, t, rd]);
    const first = tf.slice(rot, [0, 0, 0, 0], [b, h, t, rd / 2]);
    const second = tf.slice(rot, [0, 0, 0, rd / 2], [b, h, t, rd / 2]);
    const rotated = tf.concat([tf.neg(second), first], 3);
    const out = tf.add(tf.mul(rot, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
    return rd === hd ? out : (tf.concat([out, tf.slice(x, [0, 0, 0, rd], [b, h, t, hd - rd])], 3) as tf.Tensor4D);
  });
}
