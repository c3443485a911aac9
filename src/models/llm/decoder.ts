/**
 * The decoder-only causal LM shared by every family; the config switches the family quirks.
 *
 *   h₀ = embed(ids) [· √d for Gemma]
 *   hₗ₊₁ = hₗ + [post_attn_norm] attn(input_norm(hₗ))               (Gemma: the bracketed norm)
 *   hₗ₊₁ = hₗ₊₁ + [post_ff_norm] mlp(pre_ff_norm or post_attention_layernorm(hₗ₊₁))
 *   logits = lm_head(norm(h_L)) [→ cap · tanh(logits / cap) for Gemma]
 */
import * as tf from "@tensorflow/tfjs";
import { bitChangingFusionsAllowed, FUSED_CAUSAL_LM_LOSS, FUSED_CAUSAL_LM_LOSS_GRAD, hasKernels } from "../../backend/native.js";
import { oneHotFloat } from "../nn/ops.js";
import { Module, ModuleList, Rng } from "../module.js";
import { Attention, type LayerCache } from "../nn/attention.js";
import { Embedding } from "../nn/embedding.js";
import { Linear, matMulWeight } from "../nn/linear.js";
import { GatedMlp } from "../nn/mlp.js";
import { makeNorm, type LayerNorm, type RMSNorm } from "../nn/norm.js";
import { ropeInverseFrequencies, ropeTables } from "../nn/rope.js";
import type { LlmConfig } from "./config.js";

export const IGNORE_INDEX = -100;

/** Keys and values of every layer, grown by each call during generation. */
export class KVCache {
  readonly layers: { layer?: LayerCache }[];
  constructor(numLayers: number) {
    this.layers = Array.from({ length: numLayers }, () => ({}));
  }
  get length(): number {
    return this.layers[0]?.layer?.k.shape[2] ?? 0;
  }
  dispose(): void {
    for (const l of this.layers) {
      l.layer?.k.dispose();
      l.layer?.v.dispose();
      l.layer = undefined;
    }
  }
}

class DecoderLayer extends Module {
  readonly selfAttn: Attention;
  readonly mlp: GatedMlp;
  readonly inputNorm: LayerNorm | RMSNorm;
  readonly postAttentionNorm: LayerNorm | RMSNorm;
  readonly preFeedforwardNorm?: LayerNorm | RMSNorm;
  readonly postFeedforwardNorm?: LayerNorm | RMSNorm;

  constructor(c: LlmConfig, index: number, rng: Rng) {
    super();
    const norm = () => makeNorm(c.norm, c.hiddenSize, c.normEps, rng);
    this.selfAttn = this.child(
      "self_attn",
      new Attention(
        {
          hidden: c.hiddenSize,
          numHeads: c.numHeads,
          numKvHeads: c.numKvHeads,
          headDim: c.headDim,
          qkvBias: false,
          outBias: false,
          fusedQkv: c.fusedQkv,
          causal: true,
          // Gemma 2 alternates: even layers local (sliding window), odd layers global.
          slidingWindow: c.slidingWindow !== undefined && index % 2 === 0 ? c.slidingWindow : undefined,
          softcap: c.attnSoftcap,
          scale: c.attentionScale,
        },
        rng,
      ),
    );
    this.mlp = this.child("mlp", new GatedMlp(c.hiddenSize, c.intermediateSize, c.mlpActivation, rng, { fused: c.fusedGateUp, std: c.initStd }));
    this.inputNorm = this.child("input_layernorm", norm());
    this.postAttentionNorm = this.child("post_attention_layernorm", norm());
    if (c.sandwichNorms) {
      this.preFeedforwardNorm = this.child("pre_feedforward_layernorm", norm());
      this.postFeedforwardNorm = this.child("post_feedforward_layernorm", norm());
    }
  }

  forward(h: tf.Tensor3D, rope: { cos: tf.Tensor2D; sin: tf.Tensor2D }, cache?: { layer?: LayerCache }, keyMask?: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const attn = this.selfAttn.forward(this.inputNorm.forward(h) as tf.Tensor3D, { rope, cache, keyMask });
      if (this.preFeedforwardNorm && this.postFeedforwardNorm) {
        const mid = tf.add(h, this.postAttentionNorm.forward(attn));
        return tf.add(mid, this.postFeedforwardNorm.forward(this.mlp.forward(this.preFeedforwardNorm.forward(mid)))) as tf.Tensor3D;
      }
      const mid = tf.add(h, attn);
      return tf.add(mid, this.mlp.forward(this.postAttentionNorm.forward(mid))) as tf.Tensor3D;
    });
  }
}

class DecoderModel extends Module {
  readonly embedTokens: Embedding;
  readonly layers: ModuleList<DecoderLayer>;
  readonly norm: LayerNorm | RMSNorm;
  constructor(c: LlmConfig, rng: Rng) {
    super();
    this.embedTokens = this.child("embed_tokens", new Embedding(c.vocabSize, c.hiddenSize, rng, c.initStd));
    this.layers = this.child("layers", new ModuleList(Array.from({ length: c.numLayers }, (_, i) => new DecoderLayer(c, i, rng))));
    this.norm = this.child("norm", makeNorm(c.norm, c.hiddenSize, c.normEps, rng));
  }
}

export interface ForwardOptions {
  cache?: KVCache;
  /** [B, T_total] 1 for tokens, 0 for padding (padding on the right needs no mask for a causal LM). */
  keyMask?: tf.Tensor2D;
}

export class CausalLM extends Module {
  readonly model: DecoderModel;
  readonly lmHead?: Linear;
  private readonly inverseFrequencies: Float32Array;

  constructor(
    readonly config: LlmConfig,
    seed = 0,
  ) {
    super();
    const rng = new Rng(seed);
    this.model = this.child("model", new DecoderModel(config, rng));
    if (!config.tieEmbeddings) this.lmHead = this.child("lm_head", new Linear(config.hiddenSize, config.vocabSize, rng, { std: config.initStd }));
    this.inverseFrequencies = ropeInverseFrequencies({ theta: config.ropeTheta, rotaryDim: config.rotaryDim, scaling: config.ropeScaling });
  }

  /** Token embeddings [B, T, d] (before Gemma's √d scaling, which forwardEmbeddings applies). */
  embed(ids: tf.Tensor2D): tf.Tensor3D {
    return this.model.embedTokens.forward(ids) as tf.Tensor3D;
  }

  /** Logits [B, T, V] from input embeddings [B, T, d]. */
  forwardEmbeddings(embeddings: tf.Tensor3D, options: ForwardOptions = {}): tf.Tensor3D {
    const c = this.config;
    const [, t] = embeddings.shape;
    const offset = options.cache?.length ?? 0;
    if (offset + t > c.maxPositions) throw new Error(`sequence of ${offset + t} tokens exceeds maxPositions ${c.maxPositions}`);
    return tf.tidy(() => {
      const rope = ropeTables(this.inverseFrequencies, offset, t);
      let h = c.scaleEmbeddings ? (tf.mul(embeddings, Math.sqrt(c.hiddenSize)) as tf.Tensor3D) : embeddings;
      this.model.layers.items.forEach((layer, i) => {
        h = layer.forward(h, rope, options.cache?.layers[i], options.keyMask);
      });
      h = this.model.norm.forward(h) as tf.Tensor3D;
      let logits = this.lmHead ? this.lmHead.forward(h) : matMulWeight(h, this.model.embedTokens.weight);
      if (c.finalSoftcap !== undefined) logits = tf.mul(tf.tanh(tf.div(logits, c.finalSoftcap)), c.finalSoftcap);
      return logits as tf.Tensor3D;
    });
  }

  forward(ids: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.forwardEmbeddings(this.embed(ids), options));
  }

  /**
   * Greedy decoding from one prompt; stops at a stop token (included) or after maxNewTokens.
   * Asynchronous: each token is read back with `await data()` (WebGPU cannot read synchronously in Node).
   */
  async generate(prompt: number[], options: GenerateOptions): Promise<number[]> {
    if (prompt.length === 0) throw new Error("generate: the prompt is empty");
    const prefix = tf.tidy(() => this.embed(tf.tensor2d([prompt], [1, prompt.length], "int32")));
    try {
      return await this.generateFromEmbeddings(prefix, options);
    } finally {
      prefix.dispose();
    }
  }

  /**
   * Greedy decoding after a prefix of input embeddings [1, P, d] (text, or image and text in LLaVA).
   * With the KV cache (default) each step feeds only the new token; without it the whole sequence
   * is fed again, which is the reference the cache is tested against. Each token is read back
   * asynchronously; the caller must keep `prefix` alive until the promise settles.
   */
  async generateFromEmbeddings(prefix: tf.Tensor3D, options: GenerateOptions): Promise<number[]> {
    const cache = options.useCache === false ? undefined : new KVCache(this.config.numLayers);
    const stop = new Set(options.stopTokens ?? []);
    const generated: number[] = [];
    try {
      for (let i = 0; i < options.maxNewTokens; i++) {
        const best = tf.tidy(() => {
          let input: tf.Tensor3D;
          if (cache && i > 0) input = this.embed(tf.tensor2d([[generated[i - 1]!]], [1, 1], "int32"));
          else if (generated.length === 0) input = prefix;
          else input = tf.concat([prefix, this.embed(tf.tensor2d([generated], [1, generated.length], "int32"))], 1) as tf.Tensor3D;
          const logits = this.forwardEmbeddings(input, { cache });
          const last = tf.slice(logits, [0, logits.shape[1] - 1, 0], [1, 1, -1]);
          return tf.argMax(tf.reshape(last, [-1]));
        });
        const next = (await readTokens(best))[0]!;
        generated.push(next);
        if (stop.has(next)) break;
      }
    } finally {
      cache?.dispose();
    }
    return generated;
  }

  /**
   * Greedy decoding of several prompts at once: each prompt left-padded to the longest, with a
   * key mask over the padding. Gives each row what `generate` gives it alone.
   */
  async generateBatch(prompts: number[][], options: GenerateOptions): Promise<number[][]> {
    if (prompts.length === 0) throw new Error("generateBatch: no prompts");
    prompts.forEach((p, r) => {
      if (p.length === 0) throw new Error(`generateBatch: prompt ${r} is empty`);
    });
    const t = Math.max(...prompts.map((p) => p.length));
    const ids = prompts.map((p) => [...Array<number>(t - p.length).fill(0), ...p]);
    const mask = prompts.map((p) => [...Array<number>(t - p.length).fill(0), ...Array<number>(p.length).fill(1)]);
    const keyMask = tf.tensor2d(mask, [prompts.length, t], "float32");
    // Padding positions get zero embeddings, as LlavaModel's left padding does.
    const prefix = tf.tidy(() => tf.mul(this.embed(tf.tensor2d(ids, [prompts.length, t], "int32")), tf.expandDims(keyMask, 2)) as tf.Tensor3D);
    try {
      return await this.generateBatchFromEmbeddings(prefix, keyMask, options);
    } finally {
      prefix.dispose();
      keyMask.dispose();
    }
  }

  /**
   * Greedy decoding of B rows in lockstep after LEFT-padded prefixes of input embeddings [B, P, d];
   * `keyMask` [B, P] is 1 on real positions and 0 on the padding. The mask is extended by ones for
   * each generated token. Padding on the left changes no real position's result: RoPE is relative,
   * and the causal and sliding-window masks depend only on position differences. A row ends at its
   * first stop token (kept) or after maxNewTokens; rows that ended keep being decoded, their tokens
   * discarded, until every row has ended. With `useCache: false` every step feeds the whole
   * sequence again, as `generateFromEmbeddings` does. Values are read back asynchronously; the
   * caller must keep `prefix` and `keyMask` alive until the promise settles.
   */
  async generateBatchFromEmbeddings(prefix: tf.Tensor3D, keyMask: tf.Tensor2D, options: GenerateOptions): Promise<number[][]> {
    const [b, p] = prefix.shape;
    if (keyMask.shape.length !== 2 || keyMask.shape[0] !== b || keyMask.shape[1] !== p) {
      throw new Error(`generateBatchFromEmbeddings: keyMask of shape [${keyMask.shape}] for a prefix of shape [${prefix.shape}]`);
    }
    // Left padding: every row is 0 … 0 1 … 1 with at least one 1 (its last position is real).
    const maskRows = await keyMask.array();
    maskRows.forEach((row, r) => {
      const first = row.findIndex((m) => m !== 0);
      if (first < 0 || row.some((m, j) => (j < first ? m !== 0 : m !== 1))) {
        throw new Error(`generateBatchFromEmbeddings: row ${r} of the key mask is not left padding (0 … 0 1 … 1 with at least one 1)`);
      }
    });
    const cache = options.useCache === false ? undefined : new KVCache(this.config.numLayers);
    const stop = new Set(options.stopTokens ?? []);
    const outputs: number[][] = Array.from({ length: b }, () => []);
    const done: boolean[] = Array<boolean>(b).fill(false);
    // steps[i][r]: the token decoded for row r at step i (also for rows that have ended).
    const steps: number[][] = [];
    try {
      for (let i = 0; i < options.maxNewTokens && done.includes(false); i++) {
        const best = tf.tidy(() => {
          let input: tf.Tensor3D;
          if (cache && i > 0) input = this.embed(tf.tensor2d(steps[i - 1]!.map((id) => [id]), [b, 1], "int32"));
          else if (i === 0) input = prefix;
          else {
            const soFar = Array.from({ length: b }, (_, r) => steps.map((s) => s[r]!));
            input = tf.concat([prefix, this.embed(tf.tensor2d(soFar, [b, i], "int32"))], 1) as tf.Tensor3D;
          }
          const base = tf.cast(keyMask, "float32");
          const mask = i === 0 ? base : (tf.concat([base, tf.ones([b, i])], 1) as tf.Tensor2D);
          const logits = this.forwardEmbeddings(input, { cache, keyMask: mask });
          const last = tf.reshape(tf.slice(logits, [0, logits.shape[1] - 1, 0], [b, 1, -1]), [b, -1]);
          return tf.argMax(last, -1);
        });
        const next = await readTokens(best);
        steps.push(next);
        next.forEach((id, r) => {
          if (done[r]) return;
          outputs[r]!.push(id);
          if (stop.has(id)) done[r] = true;
        });
      }
    } finally {
      cache?.dispose();
    }
    return outputs;
  }
}

/** The int32 token ids of `ids`, read back asynchronously; `ids` is disposed. */
async function readTokens(ids: tf.Tensor): Promise<number[]> {
  try {
    return Array.from(await ids.data());
  } finally {
    ids.dispose();
  }
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** Token ids that end generation (kept in the output). */
  stopTokens?: number[];
  /** Use the KV cache (default true). */
  useCache?: boolean;
}

/**
 * Mean next-token cross-entropy: logits at position t predict labels at t + 1; labels equal to
 * IGNORE_INDEX (−100) carry no loss. Returns a scalar.
 */
export function causalLmLoss(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  if (logits.dtype === "float32" && bitChangingFusionsAllowed() && hasKernels(FUSED_CAUSAL_LM_LOSS, FUSED_CAUSAL_LM_LOSS_GRAD)) return fusedCausalLmLoss(logits, labels);
  return tf.tidy(() => {
    const [b, t, v] = logits.shape;
    const predicting = tf.reshape(tf.slice(logits, [0, 0, 0], [b, t - 1, v]), [-1, v]);
    const targets = tf.reshape(tf.slice(labels, [0, 1], [b, t - 1]), [-1]);
    const weights = tf.cast(tf.notEqual(targets, IGNORE_INDEX), "float32");
    const safeTargets = tf.cast(tf.mul(targets, tf.cast(weights, "int32")), "int32");
    // tf.logSoftmax has a custom gradient (dy − softmax · Σdy): no gradient through the row max.
    const logProbs = tf.logSoftmax(predicting);
    const picked = tf.sum(tf.mul(logProbs, oneHotFloat(safeTargets, v)), -1);
    const count = tf.maximum(tf.sum(weights), 1);
    return tf.neg(tf.div(tf.sum(tf.mul(picked, weights)), count)) as tf.Scalar;
  });
}

/**
 * causalLmLoss as one kernel each way (native backend, outside portable-bits mode: it sums in another
 * order): no shifted copy of the logits, no log-probabilities or one-hot tensors.
 */
function fusedCausalLmLoss(logits: tf.Tensor3D, labels: tf.Tensor2D): tf.Scalar {
  const engine = tf.engine();
  const attrs = { ignore: IGNORE_INDEX };
  return tf.tidy(() => {
    const ids = labels.dtype === "int32" ? labels : tf.cast(labels, "int32");
    const op = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
      const [loss, lse] = engine.runKernel(FUSED_CAUSAL_LM_LOSS, { logits: x, labels: ids }, attrs) as tf.Tensor[];
      save([x, ids, lse!]);
      return {
        value: loss!,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => engine.runKernel(FUSED_CAUSAL_LM_LOSS_GRAD, { logits: saved[0]!, labels: saved[1]!, lse: saved[2]!, dy: dy as tf.Tensor }, attrs) as tf.Tensor,
      };
    }) as never) as (x: tf.Tensor) => tf.Scalar;
    return op(logits);
  });
}
