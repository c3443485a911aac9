/**
 * SigLIP pretraining (Zhai et al. 2023): the attention-pooling (MAP) embedding of the image and the
 * caption's last-token embedding, L2-normalised, scored pair by pair with the sigmoid loss
 *   L = −(1/B) Σᵢⱼ log σ(zᵢⱼ (t xᵢ·yⱼ + b)),  zᵢᵢ = 1, zᵢⱼ = −1 (i ≠ j),  t = exp(t′)
 * with t′ and b initialised at the start of small logits and the prior log-odds of a matching pair
 * (the paper's log 10 and −10 at its scale; see SiglipRecipe for the lab's values and why).
 */
import * as tf from "@tensorflow/tfjs";
import type { Preset } from "../../presets.js";
import { l2normalize, loadTextSide } from "../../models/text/text_side.js";
import { moduleState } from "../loop.js";
import { alignedModules, captionBatch, DEFAULT_CAPTION_MIX, runTextAligned, setupTextAligned, sigmoidLoss, TermLog, textAlignedResult, towerPass, trainableOf, type ContrastiveRecipe } from "./contrastive.js";
import type { TowerObjective, TowerPretrainResult } from "./objective.js";

export interface SiglipRecipe extends ContrastiveRecipe {
  /** Initial t′ (t = exp t′). */
  logitScaleInit: number;
  /** Initial b. */
  logitBiasInit: number;
}

/**
 * The paper starts at t′ = log 10, b = −10 for a batch of 32k and ~1000-wide towers, where random
 * initial logits are small and b = −10 ≈ −log(32k − 1) is the prior log-odds of a matching pair.
 * Neither holds at lab scale, and both, measured on `small` (B = 64, 40 steps), drive the towers to
 * constant embeddings within 10–20 steps: with b = −10 every cosine is pushed up together until the
 * loss sits at the prior's 5.15; with b at the prior but t = 10, the image embeddings' mean
 * pairwise cosine still goes from 0.95 to 0.99+ and stays (the tower learns to ignore its input
 * before the text side means anything). Starting at t = 1 and b = −log(B − 1) keeps the start at the
 * prior with small logits: the image cosines fall to 0.24 by step 30 and matching pairs separate.
 * t′ and b are learned as in the paper, but at this learning rate and length they move < 0.1.
 */
export const priorLogitBias = (batchSize: number): number => -Math.log(batchSize - 1);

const labInit = (r: ContrastiveRecipe): SiglipRecipe => ({ ...r, logitScaleInit: 0, logitBiasInit: priorLogitBias(r.batchSize) });

/**
 * `small`: 80 steps × 64. Measured on the shared 2-core machine (native backend, OpenBLAS), a step
 * costs ~3.5 CPU-seconds (vision forward + backward ~2 s at 72 px / 81 tokens, text tower ~0.9 s at
 * the fixed 64-token context) and set-up ~5 s, so 80 steps stay within the 5-minute budget per tower
 * even with a single effective core. lr 5e-4: the largest tried that did not collapse.
 */
export const SIGLIP_RECIPES: Record<Preset, SiglipRecipe> = {
  tiny: labInit({ steps: 60, batchSize: 16, learningRate: 1e-3, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX }),
  small: labInit({ steps: 80, batchSize: 64, learningRate: 5e-4, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX }),
  base: labInit({ steps: 3000, batchSize: 256, learningRate: 5e-4, warmupFraction: 0.05, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX }),
};

export const siglipObjective: TowerObjective = {
  name: "siglip",
  summary: "pairwise sigmoid loss −(1/B)Σᵢⱼ log σ(zᵢⱼ(t·xᵢ·yⱼ + b)) between the MAP-pooled image and last-token text embeddings, t = exp(t′), b learned (lab init t = 1, b = −log(B − 1))",

  recipe: (preset) => SIGLIP_RECIPES[preset],

  async pretrain(ctx): Promise<TowerPretrainResult> {
    const started = Date.now();
    const recipe = SIGLIP_RECIPES[ctx.preset];
    const setup = await setupTextAligned(ctx, "siglip", recipe, { logitScale: recipe.logitScaleInit, logitBias: recipe.logitBiasInit });
    const { tower, textSide } = setup;
    const terms = new TermLog();
    const loss = (step: number): tf.Scalar =>
      tf.tidy(() => {
        const { indices, images, captions } = captionBatch(setup, ctx.seed, step, recipe.captionMix);
        const { last, patch } = towerPass(setup, images, indices, true);
        const x = l2normalize(textSide.projectImage(tower.pool(last)));
        const y = l2normalize(textSide.projectTexts(captions));
        const l = sigmoidLoss(x, y, textSide.logitScale, textSide.logitBias!);
        if (!patch) {
          terms.record({ sigmoid: l });
          return l;
        }
        terms.record({ sigmoid: l, patch });
        return tf.add(l, patch) as tf.Scalar;
      });
    const run = await runTextAligned(ctx, `siglip ${ctx.family} ${ctx.preset}`, recipe, setup.steps, moduleState(alignedModules(setup)), trainableOf(Object.values(alignedModules(setup))), loss, terms);
    return textAlignedResult(setup, recipe, run, terms, started);
  },

  loadTextSide: (dir) => loadTextSide(dir, "siglip"),
};
