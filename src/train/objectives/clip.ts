/**
 * CLIP pretraining (Radford et al. 2021): the tower's CLS embedding and the caption's end-of-text
 * embedding, each projected and L2-normalised, matched by a symmetric InfoNCE loss with a learned
 * temperature (log-scale initialised at log(1/0.07), clamped to at most log 100 after every step).
 */
import * as tf from "@tensorflow/tfjs";
import type { Preset } from "../../presets.js";
import { l2normalize, loadTextSide } from "../../models/text/text_side.js";
import { moduleState } from "../loop.js";
import {
  captionBatch,
  DEFAULT_CAPTION_MIX,
  infoNceLoss,
  MAX_LOG_LOGIT_SCALE,
  runTextAligned,
  setupTextAligned,
  TermLog,
  textAlignedResult,
  trainableOf,
  type ContrastiveRecipe,
} from "./contrastive.js";
import type { TowerObjective, TowerPretrainResult } from "./objective.js";

/**
 * `small`: 120 steps × 64. Measured on the shared 2-core machine (native backend, OpenBLAS), a step
 * costs ~2.2 CPU-seconds (vision forward + backward ~1.05 s at 64 px / 65 tokens, text tower ~0.75 s)
 * and set-up ~5 s, so 120 steps stay within the 5-minute budget per tower even with a single
 * effective core. lr 3e-4: at 1e-3 both towers collapse to constant embeddings within 5 steps (loss
 * at log 64); at 3e-4 the image embeddings separate by step 20.
 */
export const CLIP_RECIPES: Record<Preset, ContrastiveRecipe> = {
  tiny: { steps: 60, batchSize: 16, learningRate: 1e-3, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX },
  small: { steps: 120, batchSize: 64, learningRate: 3e-4, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX },
  base: { steps: 3000, batchSize: 256, learningRate: 5e-4, warmupFraction: 0.05, weightDecay: 0.2, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX },
};

export const clipObjective: TowerObjective = {
  name: "clip",
  summary: "symmetric InfoNCE between L2-normalised projected CLS and end-of-text embeddings, learned temperature (init 1/0.07, logit scale ≤ 100)",

  recipe: (preset) => CLIP_RECIPES[preset],

  async pretrain(ctx): Promise<TowerPretrainResult> {
    const started = Date.now();
    const recipe = CLIP_RECIPES[ctx.preset];
    const setup = await setupTextAligned(ctx, "clip", recipe);
    const { tower, textSide } = setup;
    const terms = new TermLog();
    const loss = (step: number): tf.Scalar =>
      tf.tidy(() => {
        const { images, captions } = captionBatch(setup, ctx.seed, step, recipe.captionMix);
        const x = l2normalize(textSide.projectImage(tower.pooled(images)));
        const y = l2normalize(textSide.projectTexts(captions));
        const l = infoNceLoss(x, y, textSide.logitScale);
        terms.record({ infonce: l });
        return l;
      });
    // OpenAI CLIP clamps the parameter itself (not just its use), so momentum cannot carry it past the cap.
    const clamp = (): void => tf.tidy(() => void textSide.logitScale.assign(tf.clipByValue(textSide.logitScale, 0, MAX_LOG_LOGIT_SCALE)));
    const run = await runTextAligned(ctx, `clip ${ctx.family} ${ctx.preset}`, recipe, setup.steps, moduleState({ tower, text: textSide }), trainableOf([tower, textSide]), loss, terms, clamp);
    return textAlignedResult(setup, recipe, run, terms, started);
  },

  loadTextSide: (dir) => loadTextSide(dir, "clip"),
};
