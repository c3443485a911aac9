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
  alignedModules,
  captionBatch,
  DEFAULT_CAPTION_MIX,
  infoNceLoss,
  MAX_LOG_LOGIT_SCALE,
  runTextAligned,
  setupTextAligned,
  TermLog,
  textAlignedResult,
  towerPass,
  trainableOf,
  type ContrastiveRecipe,
} from "./contrastive.js";
import type { TowerObjective, TowerPretrainResult } from "./objective.js";

/**
 * The per-object term (patch_phrases.ts) matches each patch under an object against the colour–category
 * phrases through the same text tower, so the LLaVA features carry what lies under them (issue 30;
 * docs/zoo.md, "Patch features that carry the objects"); `tiny` has it, `small` and `base` not yet.
 *
 * `small`: 120 steps × 64, captions only — the recipe the archived runs' CLIP was built with, kept
 * until the study is re-run (a new recipe changes the entry's build key, and every CLIP run's with it).
 * It leaves the category under a patch at 25.8% (majority 10.2%), and 600 or 3,000 such steps at
 * 28–29% (docs/calibration.md, "Where binding fails"): length alone does not teach shape. With the
 * per-object term (`patchPhrases`, on at `tiny` so the tests train it), 240 steps (534 s on the shared
 * 2-core machine, load ~9) lift colour under a patch 74.5% → 84.0% and caption retrieval 6% → 48%,
 * the category only to 27.0%: a network supervised on the category needed ~2,000 steps for 87%
 * (docs/zoo.md, "Patch features that carry the objects").
 * lr 3e-4: at 1e-3 both towers collapse to constant embeddings within 5 steps (loss at log 64); at
 * 3e-4 the image embeddings separate by step 20.
 */
export const CLIP_RECIPES: Record<Preset, ContrastiveRecipe> = {
  tiny: { steps: 60, batchSize: 16, learningRate: 1e-3, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX, patchPhrases: { weight: 1 } },
  small: { steps: 120, batchSize: 64, learningRate: 3e-4, warmupFraction: 0.1, weightDecay: 0.1, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX },
  base: { steps: 3000, batchSize: 256, learningRate: 5e-4, warmupFraction: 0.05, weightDecay: 0.2, clipNorm: 1, captionMix: DEFAULT_CAPTION_MIX },
};

export const clipObjective: TowerObjective = {
  name: "clip",
  summary:
    "symmetric InfoNCE between L2-normalised projected CLS and end-of-text embeddings, learned temperature (init 1/0.07, logit scale ≤ 100); with the recipe's per-object term, each patch under an object against the colour–category phrases (softmax, same text tower and scale)",

  recipe: (preset) => CLIP_RECIPES[preset],

  async pretrain(ctx): Promise<TowerPretrainResult> {
    const started = Date.now();
    const recipe = CLIP_RECIPES[ctx.preset];
    const setup = await setupTextAligned(ctx, "clip", recipe);
    const { tower, textSide } = setup;
    const terms = new TermLog();
    const loss = (step: number): tf.Scalar =>
      tf.tidy(() => {
        const { indices, images, captions } = captionBatch(setup, ctx.seed, step, recipe.captionMix);
        const { last, patch } = towerPass(setup, images, indices, false);
        const x = l2normalize(textSide.projectImage(tower.pool(last)));
        const y = l2normalize(textSide.projectTexts(captions));
        const l = infoNceLoss(x, y, textSide.logitScale);
        if (!patch) {
          terms.record({ infonce: l });
          return l;
        }
        terms.record({ infonce: l, patch });
        return tf.add(l, patch) as tf.Scalar;
      });
    // OpenAI CLIP clamps the parameter itself (not just its use), so momentum cannot carry it past the cap.
    const clamp = (): void => tf.tidy(() => void textSide.logitScale.assign(tf.clipByValue(textSide.logitScale, 0, MAX_LOG_LOGIT_SCALE)));
    const run = await runTextAligned(ctx, `clip ${ctx.family} ${ctx.preset}`, recipe, setup.steps, moduleState(alignedModules(setup)), trainableOf(Object.values(alignedModules(setup))), loss, terms, clamp);
    return textAlignedResult(setup, recipe, run, terms, started);
  },

  loadTextSide: (dir) => loadTextSide(dir, "clip"),
};
