/**
 * The per-object term of the image–text towers (issue 30): every patch under an object is matched,
 * through the tower's own text encoder, against the phrases of all colour–category pairs ("a red
 * star", "a blue ring", …) — a region–phrase alignment in the manner of RegionCLIP (Zhong et al.
 * 2022) and SPARC (Bica et al. 2024), with CLIP's softmax or SigLIP's sigmoid as the tower's family
 * has it. The image-level caption loss is unchanged beside it; this term is what makes the LLaVA
 * features (the selected layer's patch tokens) carry the colour and the category of the object under
 * them: captions alone could be matched from the theme and the colours present (docs/zoo.md).
 *
 *   softmax (CLIP):  L = −(1/M) Σ_p log softmax_k(s · u_p·v_k)[k_p]
 *   sigmoid (SigLIP): L = −(1/M) Σ_p Σ_k log σ(z_pk (t · u_p·v_k + b)),  z_pk = +1 at k = k_p, else −1
 * over the M patches whose centre lies on an object's disc (the scene graph's geometry, as LocCa's
 * boxes), u_p the L2-normalised head(patch feature), v_k the L2-normalised phrase embeddings.
 */
import * as tf from "@tensorflow/tfjs";
import { patchObjects } from "../../data/patch_objects.js";
import { withArticle } from "../../data/language.js";
import { Module, Rng } from "../../models/module.js";
import { Linear } from "../../models/nn/linear.js";
import { LayerNorm } from "../../models/nn/norm.js";
import type { Scene } from "../../world/scene.js";
import { CATEGORIES, COLOURS } from "../../world/vocabulary.js";

/** The term's weight beside the caption loss; absent from a recipe = no term. */
export interface PatchPhraseRecipe {
  weight: number;
  /**
   * A second term at this weight: each patch under an object against the category phrases alone ("a
   * star"), the same head, scale and form. The colour–category term teaches the colour in a few hundred
   * steps and the shape slowly (category under a patch 44% after 2,000 steps, docs/zoo.md); this one
   * asks for the shape only. Absent: no second term.
   */
  categoryWeight?: number;
}

/** Every colour–category phrase, colour-major: "a red star", … (the classes the patches are matched against). */
export const PATCH_PHRASES: readonly string[] = COLOURS.flatMap((colour) => CATEGORIES.map((category) => withArticle(`${colour.name} ${category.name}`)));

/** Every category's phrase: "a star", "an arrow", … (the classes of the category term). */
export const CATEGORY_PHRASES: readonly string[] = CATEGORIES.map((category) => withArticle(category.name));

/** The index in PATCH_PHRASES of an object's phrase. */
export function phraseIndex(o: { colour: string; category: string }): number {
  const colour = COLOURS.findIndex((c) => c.name === o.colour);
  const category = CATEGORIES.findIndex((c) => c.name === o.category);
  if (colour < 0 || category < 0) throw new Error(`no phrase for a ${o.colour} ${o.category}: unknown ${colour < 0 ? "colour" : "category"}`);
  return colour * CATEGORIES.length + category;
}

/**
 * The phrase of the object under each patch of a batch (flattened image-major, B · grid²), -1 where
 * no object's full disc covers the patch centre.
 */
export function patchPhraseTargets(scenes: readonly Scene[], grid: number): number[] {
  return scenes.flatMap((scene) => patchObjects(scene, grid).map((object) => (object < 0 ? -1 : phraseIndex(scene.objects[object]!))));
}

/** The category (index in CATEGORY_PHRASES) of a phrase target, -1 kept. */
export const categoryOfTarget = (target: number): number => (target < 0 ? -1 : target % CATEGORIES.length);

/** LayerNorm + linear map of a patch feature into the image–text space (CLIP's visual projection, for patches). */
export class PatchPhraseHead extends Module {
  private readonly norm: LayerNorm;
  private readonly proj: Linear;
  constructor(hidden: number, embed: number, seed: number) {
    super();
    const rng = new Rng(seed);
    this.norm = this.child("layernorm", new LayerNorm(hidden, 1e-5, rng));
    this.proj = this.child("projection", new Linear(hidden, embed, rng, { std: hidden ** -0.5 }));
  }
  forward(patches: tf.Tensor2D): tf.Tensor2D {
    return this.proj.forward(this.norm.forward(patches)) as tf.Tensor2D;
  }
}

/**
 * The term on normalised patch embeddings [R, e] and phrase embeddings [K, e], over the rows whose
 * target is not -1: CLIP's softmax over the phrases with scale exp(logScale), or SigLIP's sigmoid with
 * exp(logScale) and `bias`. Rows are masked rather than gathered: a gather's gradient costs ~60 s a
 * step on the native backend, the masked rows a few milliseconds.
 */
export function patchPhraseLoss(patches: tf.Tensor2D, phrases: tf.Tensor2D, targets: readonly number[], logScale: tf.Tensor, bias?: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const k = phrases.shape[0];
    const m = targets.filter((t) => t >= 0).length;
    if (m === 0) return tf.scalar(0);
    const onehot = new Float32Array(targets.length * k);
    const rowMask = new Float32Array(targets.length);
    targets.forEach((t, r) => {
      if (t < 0) return;
      onehot[r * k + t] = 1;
      rowMask[r] = 1;
    });
    const y = tf.tensor2d(onehot, [targets.length, k]);
    const logits = tf.mul(tf.exp(tf.reshape(logScale, [])), tf.matMul(patches, phrases, false, true));
    if (!bias) return tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits, 1), y))), m) as tf.Scalar;
    const z = tf.sub(tf.mul(y, 2), 1);
    const perRow = tf.sum(tf.softplus(tf.neg(tf.mul(z, tf.add(logits, tf.reshape(bias, []))))), 1);
    return tf.div(tf.sum(tf.mul(perRow, tf.tensor1d(rowMask))), m) as tf.Scalar;
  });
}

/**
 * The per-object term of `recipe` for one batch, weighted: weight × the colour–category term, plus
 * categoryWeight × the category term when the recipe has one. `features` are the LLaVA patch
 * features [B, grid², d] of `scenes`' images; `embed` gives L2-normalised text embeddings of phrases.
 */
export function patchPhraseTerm(
  recipe: PatchPhraseRecipe,
  head: PatchPhraseHead,
  features: tf.Tensor3D,
  scenes: readonly Scene[],
  embed: (phrases: readonly string[]) => tf.Tensor2D,
  logScale: tf.Tensor,
  bias?: tf.Tensor,
): tf.Scalar {
  return tf.tidy(() => {
    const [b, n, d] = features.shape;
    const targets = patchPhraseTargets(scenes, Math.round(Math.sqrt(n)));
    if (targets.every((t) => t < 0)) return tf.scalar(0);
    const u = head.forward(tf.reshape(features, [b * n, d]) as tf.Tensor2D);
    const unit = tf.div(u, tf.sqrt(tf.add(tf.sum(tf.square(u), -1, true), 1e-12))) as tf.Tensor2D;
    const phrases = tf.mul(patchPhraseLoss(unit, embed(PATCH_PHRASES), targets, logScale, bias), recipe.weight) as tf.Scalar;
    if (recipe.categoryWeight === undefined) return phrases;
    const category = patchPhraseLoss(unit, embed(CATEGORY_PHRASES), targets.map(categoryOfTarget), logScale, bias);
    return tf.add(phrases, tf.mul(category, recipe.categoryWeight)) as tf.Scalar;
  });
}
