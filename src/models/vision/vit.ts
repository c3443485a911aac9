/**
 * The vision transformer shared by every tower; the config switches the family quirks.
 *
 *   tokens = [CLS] [registers] patches·W_patch + pos           (pos interpolated to the input grid)
 *   h = [pre-LN] tokens;  hₗ₊₁ = hₗ + γ₁·attn(LN₁ hₗ);  hₗ₊₁ += γ₂·mlp(LN₂ hₗ₊₁)   (γ: LayerScale, DINOv2)
 *   features = hidden state after block L−1 (select layer −2), leading CLS/registers dropped
 */
import * as tf from "@tensorflow/tfjs";
import { Module, ModuleList, Rng, constant, normal, zeros } from "../module.js";
import { Attention, CLIP_ATTENTION_NAMES, multiHeadAttentionConfig } from "../nn/attention.js";
import { matMulWeight } from "../nn/linear.js";
import { Mlp } from "../nn/mlp.js";
import { LayerNorm } from "../nn/norm.js";
import { patchGrid, type VisionConfig } from "./config.js";

/** [B, H, W, C] -> [B, (H/p)·(W/p), C·p·p], each patch flattened channel-major like a Conv2d weight. */
export function patchify(images: tf.Tensor4D, patch: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, w, c] = images.shape;
    if (h % patch !== 0 || w % patch !== 0) throw new Error(`image ${h}x${w} is not a multiple of the patch size ${patch}`);
    const gh = h / patch;
    const gw = w / patch;
    const x = tf.reshape(images, [b * gh, patch, gw, patch, c]);
    const t = tf.transpose(x, [0, 2, 4, 1, 3]); // [b·gh, gw, c, py, px]
    return tf.reshape(t, [b, gh * gw, c * patch * patch]) as tf.Tensor3D;
  });
}

/** Patches to mask: [B, N] with 1 where the patch embedding is replaced by the mask token. */
export interface PatchMask {
  patches: tf.Tensor2D;
  /** [d] or [1, d]; defaults to the tower's own mask_token (DINOv2). */
  token?: tf.Tensor;
}

class VitEmbeddings extends Module {
  readonly cls?: tf.Variable;
  readonly registers?: tf.Variable;
  readonly maskToken?: tf.Variable;
  readonly patchWeight: tf.Variable;
  readonly patchBias?: tf.Variable;
  readonly position: tf.Variable;

  constructor(
    private readonly c: VisionConfig,
    rng: Rng,
  ) {
    super();
    const d = c.hiddenSize;
    const grid = patchGrid(c);
    const positions = grid * grid + (c.classToken ? 1 : 0);
    const dino = c.naming === "dinov2";
    if (c.classToken) this.cls = this.param(dino ? "cls_token" : "class_embedding", dino ? [1, 1, d] : [d], normal(0.02), rng);
    if (dino) this.maskToken = this.param("mask_token", [1, d], zeros, rng);
    if (c.registers > 0) this.registers = this.param("register_tokens", [1, c.registers, d], normal(0.02), rng);
    const patchName = dino ? "patch_embeddings.projection" : "patch_embedding";
    this.patchWeight = this.param(`${patchName}.weight`, [d, c.channels, c.patchSize, c.patchSize], normal(0.02), rng);
    if (c.patchBias) this.patchBias = this.param(`${patchName}.bias`, [d], zeros, rng);
    this.position = dino
      ? this.param("position_embeddings", [1, positions, d], normal(0.02), rng)
      : this.param("position_embedding.weight", [positions, d], normal(0.02), rng);
  }

  /** Position embeddings of the patch grid resized (bilinear) to `grid` × `grid`. */
  private patchPositions(grid: number): tf.Tensor2D {
    const c = this.c;
    const d = c.hiddenSize;
    const base = patchGrid(c);
    const all = tf.reshape(this.position, [-1, d]);
    const patches = c.classToken ? tf.slice(all, [1, 0], [-1, d]) : all;
    if (grid === base) return patches as tf.Tensor2D;
    const resized = tf.image.resizeBilinear(tf.reshape(patches, [1, base, base, d]) as tf.Tensor4D, [grid, grid], false, true);
    return tf.reshape(resized, [grid * grid, d]) as tf.Tensor2D;
  }

  forward(images: tf.Tensor4D, mask?: PatchMask): tf.Tensor3D {
    return tf.tidy(() => {
      const c = this.c;
      const d = c.hiddenSize;
      const [b, h] = images.shape;
      const grid = h / c.patchSize;
      let x = matMulWeight(patchify(images, c.patchSize), tf.reshape(this.patchWeight, [d, -1])) as tf.Tensor3D;
      if (this.patchBias) x = tf.add(x, this.patchBias);
      if (mask) {
        // Masked patches are replaced by the mask token before the position embedding (iBOT / DINOv2).
        const token = mask.token ?? this.maskToken;
        if (!token) throw new Error("patch masking needs a mask token: this tower has none, pass one");
        const m = tf.expandDims(tf.cast(mask.patches, "float32"), 2);
        x = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(m, tf.reshape(token, [1, 1, d])));
      }
      x = tf.add(x, this.patchPositions(grid));
      const lead: tf.Tensor[] = [];
      if (this.cls) {
        const clsPos = tf.slice(tf.reshape(this.position, [-1, d]), [0, 0], [1, d]);
        lead.push(tf.tile(tf.reshape(tf.add(tf.reshape(this.cls, [1, d]), clsPos), [1, 1, d]), [b, 1, 1]));
      }
      // Registers carry no position embedding and sit between CLS and the patches (DINOv2-reg).
      if (this.registers) lead.push(tf.tile(this.registers, [b, 1, 1]));
      return (lead.length ? tf.concat([...lead, x], 1) : x) as tf.Tensor3D;
    });
  }
}

class VitLayer extends Module {
  private readonly attn: Attention;
  private readonly mlp: Mlp;
  private readonly norm1: LayerNorm;
  private readonly norm2: LayerNorm;
  private readonly scale1?: tf.Variable;
  private readonly scale2?: tf.Variable;

  constructor(c: VisionConfig, rng: Rng) {
    super();
    const d = c.hiddenSize;
    const dino = c.naming === "dinov2";
    const attention = multiHeadAttentionConfig(d, c.numHeads, false, dino ? { q: "attention.query", k: "attention.key", v: "attention.value", o: "output.dense" } : CLIP_ATTENTION_NAMES);
    this.norm1 = this.child(dino ? "norm1" : "layer_norm1", new LayerNorm(d, c.normEps, rng));
    this.attn = this.child(dino ? "attention" : "self_attn", new Attention(attention, rng));
    if (c.layerScale) this.scale1 = this.child("layer_scale1", new LayerScale(d, c.layerScaleInit, rng)).lambda;
    this.norm2 = this.child(dino ? "norm2" : "layer_norm2", new LayerNorm(d, c.normEps, rng));
    this.mlp = this.child("mlp", new Mlp(d, c.intermediateSize, c.activation, rng));
    if (c.layerScale) this.scale2 = this.child("layer_scale2", new LayerScale(d, c.layerScaleInit, rng)).lambda;
  }

  forward(h: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      let a: tf.Tensor = this.attn.forward(this.norm1.forward(h) as tf.Tensor3D);
      if (this.scale1) a = tf.mul(a, this.scale1);
      const mid = tf.add(h, a);
      let m = this.mlp.forward(this.norm2.forward(mid));
      if (this.scale2) m = tf.mul(m, this.scale2);
      return tf.add(mid, m) as tf.Tensor3D;
    });
  }
}

class LayerScale extends Module {
  readonly lambda: tf.Variable;
  constructor(dim: number, init: number, rng: Rng) {
    super();
    this.lambda = this.param("lambda1", [dim], constant(init), rng);
  }
}

/** SigLIP's multi-head attention pooling (MAP): a learned probe attends over the tokens. */
class AttentionPoolingHead extends Module {
  private readonly probe: tf.Variable;
  private readonly inProjWeight: tf.Variable;
  private readonly inProjBias: tf.Variable;
  private readonly outProjWeight: tf.Variable;
  private readonly outProjBias: tf.Variable;
  private readonly norm: LayerNorm;
  private readonly mlp: Mlp;
  constructor(
    private readonly c: VisionConfig,
    rng: Rng,
  ) {
    super();
    const d = c.hiddenSize;
    this.probe = this.param("probe", [1, 1, d], normal(0.02), rng);
    this.inProjWeight = this.param("attention.in_proj_weight", [3 * d, d], normal(0.02), rng);
    this.inProjBias = this.param("attention.in_proj_bias", [3 * d], zeros, rng);
    this.outProjWeight = this.param("attention.out_proj.weight", [d, d], normal(0.02), rng);
    this.outProjBias = this.param("attention.out_proj.bias", [d], zeros, rng);
    this.norm = this.child("layernorm", new LayerNorm(d, c.normEps, rng));
    this.mlp = this.child("mlp", new Mlp(d, c.intermediateSize, c.activation, rng));
  }
  /** tokens [B, N, d] -> pooled [B, d]. */
  forward(tokens: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.c;
      const [b, n, d] = tokens.shape;
      const hd = d / c.numHeads;
      const [wq, wk, wv] = tf.split(this.inProjWeight, 3, 0);
      const [bq, bk, bv] = tf.split(this.inProjBias, 3, 0);
      const heads = (x: tf.Tensor, t: number) => tf.transpose(tf.reshape(x, [b, t, c.numHeads, hd]), [0, 2, 1, 3]);
      const q = heads(tf.add(matMulWeight(tf.tile(this.probe, [b, 1, 1]), wq!), bq!), 1);
      const k = heads(tf.add(matMulWeight(tokens, wk!), bk!), n);
      const v = heads(tf.add(matMulWeight(tokens, wv!), bv!), n);
      const attn = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)));
      const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b, 1, d]);
      const out = tf.add(matMulWeight(ctx, this.outProjWeight), this.outProjBias);
      const pooled = tf.add(out, this.mlp.forward(this.norm.forward(out)));
      return tf.reshape(pooled, [b, d]) as tf.Tensor2D;
    });
  }
}

class VitBody extends Module {
  readonly embeddings: VitEmbeddings;
  readonly preNorm?: LayerNorm;
  readonly layers: ModuleList<VitLayer>;
  readonly postNorm: LayerNorm;
  readonly head?: AttentionPoolingHead;
  constructor(c: VisionConfig, rng: Rng) {
    super();
    const dino = c.naming === "dinov2";
    this.embeddings = this.child("embeddings", new VitEmbeddings(c, rng));
    if (c.preLayerNorm) this.preNorm = this.child("pre_layrnorm", new LayerNorm(c.hiddenSize, c.normEps, rng));
    const layers = Array.from({ length: c.numLayers }, () => new VitLayer(c, rng));
    this.layers = this.child(dino ? "encoder.layer" : "encoder.layers", new ModuleList(layers));
    this.postNorm = this.child(dino ? "layernorm" : "post_layernorm", new LayerNorm(c.hiddenSize, c.normEps, rng));
    if (c.attentionPoolingHead) this.head = this.child("head", new AttentionPoolingHead(c, rng));
  }
}

export class VisionTower extends Module {
  private readonly body: VitBody;

  constructor(
    readonly config: VisionConfig,
    seed = 0,
  ) {
    super();
    const rng = new Rng(seed);
    // CLIP and SigLIP nest everything under vision_model.; Dinov2Model has no prefix.
    this.body = this.child(config.naming === "dinov2" ? "" : "vision_model", new VitBody(config, rng));
  }

  /** Hidden states after the first `layers` blocks (0 = the embeddings, after pre-LN for CLIP). */
  hiddenStates(images: tf.Tensor4D, layers = this.config.numLayers, mask?: PatchMask): tf.Tensor3D {
    if (layers < 0 || layers > this.config.numLayers) throw new Error(`layers must be in 0…${this.config.numLayers}, got ${layers}`);
    return tf.tidy(() => {
      let h = this.body.embeddings.forward(images, mask);
      if (this.body.preNorm) h = this.body.preNorm.forward(h) as tf.Tensor3D;
      for (const layer of this.body.layers.items.slice(0, layers)) h = layer.forward(h);
      return h;
    });
  }

  /**
   * LLaVA features: the hidden state selected by `selectLayer` (−2: after block L−1) with the leading
   * CLS / register tokens dropped — [B, grid², d].
   */
  features(images: tf.Tensor4D): tf.Tensor3D {
    const c = this.config;
    const layers = c.numLayers + 1 + c.selectLayer;
    return tf.tidy(() => {
      const h = this.hiddenStates(images, layers);
      return c.dropLeadingTokens > 0 ? (tf.slice(h, [0, c.dropLeadingTokens, 0], [-1, -1, -1]) as tf.Tensor3D) : h;
    });
  }

  /** `features` and `lastHidden` from one forward pass (objectives that train the LLaVA features directly). */
  featuresAndLast(images: tf.Tensor4D): { features: tf.Tensor3D; last: tf.Tensor3D } {
    const c = this.config;
    const select = c.numLayers + 1 + c.selectLayer;
    return tf.tidy(() => {
      let h = this.body.embeddings.forward(images);
      if (this.body.preNorm) h = this.body.preNorm.forward(h) as tf.Tensor3D;
      let selected = h;
      this.body.layers.items.forEach((layer, i) => {
        h = layer.forward(h);
        if (i + 1 === select) selected = h;
      });
      const features = c.dropLeadingTokens > 0 ? (tf.slice(selected, [0, c.dropLeadingTokens, 0], [-1, -1, -1]) as tf.Tensor3D) : selected;
      return { features, last: this.body.postNorm.forward(h) as tf.Tensor3D };
    });
  }

  /** The last block's output after the final LayerNorm, every token (CLS, registers, patches): [B, lead + N, d]. */
  lastHidden(images: tf.Tensor4D, mask?: PatchMask): tf.Tensor3D {
    return tf.tidy(() => this.body.postNorm.forward(this.hiddenStates(images, this.config.numLayers, mask)) as tf.Tensor3D);
  }

  /** Tokens before the patches: CLS and registers. */
  get leadingTokens(): number {
    return (this.config.classToken ? 1 : 0) + this.config.registers;
  }

  /** The pooled embedding of `lastHidden` output: CLS (CLIP, DINOv2), attention pooling (SigLIP), else the mean. */
  pool(last: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      if (this.body.head) return this.body.head.forward(tf.slice(last, [0, this.leadingTokens, 0], [-1, -1, -1]) as tf.Tensor3D);
      if (this.config.classToken) return tf.reshape(tf.slice(last, [0, 0, 0], [-1, 1, -1]), [last.shape[0], -1]) as tf.Tensor2D;
      return tf.mean(last, 1) as tf.Tensor2D;
    });
  }

  /** The image embedding used by pretraining objectives: CLS (CLIP, DINOv2) or attention pooling (SigLIP). */
  pooled(images: tf.Tensor4D, mask?: PatchMask): tf.Tensor2D {
    return tf.tidy(() => this.pool(this.lastHidden(images, mask)));
  }
}

/** (pixels in 0…1 − mean) / std per channel, as each tower's image processor does. */
export function normalizeImages(config: VisionConfig, images01: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(images01, config.imageMean), config.imageStd) as tf.Tensor4D);
}
