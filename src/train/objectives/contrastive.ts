/**
 * What the image–text objectives (CLIP, SigLIP, SigLIP 2) share: the two contrastive losses, the
 * recipe shape, the caption mix, the image batches, and the setup of tower + text side.
 */
import * as tf from "@tensorflow/tfjs";
import type { CaptionStyle } from "../../data/captions.js";
import { captionsByScene, PixelCache } from "../../data/pixel_cache.js";
import type { Module } from "../../models/module.js";
import { CaptionTokenizer } from "../../models/text/caption_tokenizer.js";
import { TEXT_PRESETS, textEncoderConfig } from "../../models/text/text_encoder.js";
import { ContrastiveTextSide, l2normalize, textSideConfig, type ContrastiveKind } from "../../models/text/text_side.js";
import type { VisionConfig } from "../../models/vision/config.js";
import { visionConfig } from "../../models/vision/registry.js";
import { VisionTower } from "../../models/vision/vit.js";
import { Random } from "../../util/random.js";
import type { Scene } from "../../world/scene.js";
import { recipeOptimisation, trainLoop, type TrainResult } from "../loop.js";
import type { TowerPretrainContext, TowerPretrainResult } from "./objective.js";
import { CATEGORY_PHRASES, PATCH_PHRASES, PatchPhraseHead, patchPhraseTerm, type PatchPhraseRecipe } from "./patch_phrases.js";

// ---- losses ----------------------------------------------------------------------------------

/** log 100: CLIP clamps its logit scale so that the temperature never drops below 0.01. */
export const MAX_LOG_LOGIT_SCALE = Math.log(100);

/**
 * CLIP's symmetric InfoNCE over a batch of matching pairs (row i of each is pair i):
 *   logits = exp(s) · x yᵀ   (x, y L2-normalised)
 *   L = ½ [ −(1/B) Σᵢ log softmaxⱼ(logits)ᵢᵢ  −(1/B) Σⱼ log softmaxᵢ(logits)ᵢⱼ at i = j ]
 */
export function infoNceLoss(image: tf.Tensor2D, text: tf.Tensor2D, logScale: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const b = image.shape[0];
    const logits = tf.mul(tf.exp(tf.reshape(logScale, [])), tf.matMul(image, text, false, true));
    const eye = tf.eye(b);
    const imageToText = tf.sum(tf.mul(tf.logSoftmax(logits, 1), eye));
    const textToImage = tf.sum(tf.mul(tf.logSoftmax(tf.transpose(logits), 1), eye));
    return tf.div(tf.add(imageToText, textToImage), -2 * b) as tf.Scalar;
  });
}

/**
 * SigLIP's pairwise sigmoid loss (Zhai et al. 2023, eq. 1):
 *   L = −(1/B) Σᵢ Σⱼ log σ(zᵢⱼ (t xᵢ·yⱼ + b)),  t = exp(t′),  zᵢⱼ = +1 if i = j else −1
 * with −log σ(u) = softplus(−u).
 */
export function sigmoidLoss(image: tf.Tensor2D, text: tf.Tensor2D, logScale: tf.Tensor, bias: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const b = image.shape[0];
    const logits = tf.add(tf.mul(tf.exp(tf.reshape(logScale, [])), tf.matMul(image, text, false, true)), tf.reshape(bias, []));
    const z = tf.sub(tf.mul(tf.eye(b), 2), 1);
    return tf.div(tf.sum(tf.softplus(tf.neg(tf.mul(z, logits)))), b) as tf.Scalar;
  });
}

// ---- initialisation --------------------------------------------------------------------------
//
// The towers are built with DINOv2's truncated-normal(0.02) everywhere. CLIP and SigLIP start from
// their own initialisations, which at the lab's small widths matter: with std 0.02 the CLS / MAP
// output barely depends on the image (mean pairwise cosine of CLIP's CLS over a batch: 0.99999),
// and the contrastive loss falls into the constant-embedding saddle within a few steps and stays
// (measured on `tiny`, 60 steps: InfoNCE at log 16 = 2.77 with the built-in init, 2.4 with CLIP's).

type Sampler = (shape: number[], seed: number) => tf.Tensor;

const normalInit = (std: number): Sampler => (shape, seed) => tf.randomNormal(shape, 0, std, "float32", seed);
const xavierUniform: Sampler = (shape, seed) => {
  const { fanIn, fanOut } = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.randomUniform(shape, -limit, limit, "float32", seed);
};
/** JAX / PyTorch lecun_normal: truncated at ±2σ, σ corrected so that the variance is 1 / fan_in. */
const lecunNormal: Sampler = (shape, seed) => tf.truncatedNormal(shape, 0, Math.sqrt(1 / fans(shape).fanIn) / 0.8796256610342398, "float32", seed);

/** PyTorch's fans: [out, in] for a linear weight; [out, in, …receptive field] otherwise. */
function fans(shape: number[]): { fanIn: number; fanOut: number } {
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] ?? 1) * receptive, fanOut: shape[0]! * receptive };
}

/** Blocks of the encoder in `module`'s parameter names (the L of CLIP's depth-scaled init). */
const encoderDepth = (module: Module): number =>
  1 + Math.max(-1, ...module.namedParameters().map(([name]) => Number(/encoder\.layers\.(\d+)\./.exec(name)?.[1] ?? -1)));

function reinitialise(module: Module, seed: number, rule: (name: string, shape: number[]) => Sampler | undefined): void {
  for (const [name, v] of module.namedParameters()) {
    const sample = rule(name, v.shape);
    // A seed per parameter from its name, so that adding a parameter never changes the others.
    if (sample) tf.tidy(() => v.assign(sample(v.shape, Random.stream(seed, "init", name).int(2 ** 31))));
  }
}

/** Hugging Face CLIPPreTrainedModel._init_weights (factor 1): depth-scaled normals; LayerNorms and biases as built. */
export function initClipWeights(module: Module, seed: number): void {
  const layers = Math.max(1, encoderDepth(module));
  reinitialise(module, seed, (name, shape) => {
    if (/class_embedding$/.test(name)) return normalInit(shape[0]! ** -0.5);
    if (/(token_embedding|position_embedding|patch_embedding)\.weight$/.test(name)) return normalInit(0.02);
    if (/self_attn\.[qkv]_proj\.weight$/.test(name)) return normalInit(shape[1]! ** -0.5 * (2 * layers) ** -0.5);
    if (/self_attn\.out_proj\.weight$/.test(name)) return normalInit(shape[1]! ** -0.5);
    if (/mlp\.fc1\.weight$/.test(name)) return normalInit((2 * shape[1]!) ** -0.5);
    if (/mlp\.fc2\.weight$/.test(name)) return normalInit(shape[0]! ** -0.5 * (2 * layers) ** -0.5);
    if (/(visual|text)_projection\.weight$/.test(name)) return normalInit(shape[1]! ** -0.5);
    return undefined;
  });
}

/** Hugging Face SiglipPreTrainedModel._init_weights: Xavier attention and MLPs, LeCun patch and heads, 1/√d positions. */
export function initSiglipWeights(module: Module, seed: number): void {
  reinitialise(module, seed, (name, shape) => {
    if (/(token_embedding|position_embedding)\.weight$/.test(name)) return normalInit(shape[1]! ** -0.5);
    if (/self_attn\.(q|k|v|out)_proj\.weight$/.test(name)) return xavierUniform;
    if (/mlp\.fc[12]\.weight$/.test(name)) return xavierUniform;
    if (/mlp\.fc[12]\.bias$/.test(name)) return normalInit(1e-6);
    if (/head\.probe$/.test(name) || /head\.attention\.in_proj_weight$/.test(name)) return xavierUniform;
    if (/head\.attention\.out_proj\.weight$/.test(name) || /patch_embedding\.weight$/.test(name) || /text_model\.head\.weight$/.test(name)) return lecunNormal;
    return undefined;
  });
}

// ---- recipes ---------------------------------------------------------------------------------

/** Share of each stage-1 caption set when a caption is drawn for an image (weights, summed to 1). */
export type CaptionMix = Record<CaptionStyle, number>;

export interface ContrastiveRecipe {
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupFraction: number;
  weightDecay: number;
  clipNorm: number;
  captionMix: CaptionMix;
  /** The per-object term on the LLaVA patch features (patch_phrases.ts); absent = the caption loss alone. */
  patchPhrases?: PatchPhraseRecipe;
}

/**
 * Dense captions half the time: they name every attribute, the place and the printed letters, which
 * is what teaches the tower to see detail and to read; short and noisy (web-like) captions a quarter
 * each, as the study's other two stage-1 sets.
 */
export const DEFAULT_CAPTION_MIX: CaptionMix = { dense: 0.5, short: 0.25, noisy: 0.25 };

const STYLES: readonly CaptionStyle[] = ["dense", "short", "noisy"];

export const describeMix = (mix: CaptionMix): string => STYLES.map((s) => `${s} ${Math.round(100 * mix[s])}%`).join(", ");

// ---- data ------------------------------------------------------------------------------------

/** Batches that are a function of the step alone: each epoch is a seeded permutation cut into whole batches. */
export class EpochSampler {
  private epoch = -1;
  private order: number[] = [];
  readonly stepsPerEpoch: number;

  constructor(
    private readonly seed: number,
    private readonly count: number,
    readonly batchSize: number,
  ) {
    if (count < batchSize) throw new Error(`a batch of ${batchSize} needs at least as many images, the split has ${count}`);
    this.stepsPerEpoch = Math.floor(count / batchSize);
  }

  indices(step: number): number[] {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    if (epoch !== this.epoch) {
      this.order = Random.stream(this.seed, "epoch", epoch).shuffle([...Array(this.count).keys()]);
      this.epoch = epoch;
    }
    const at = (step % this.stepsPerEpoch) * this.batchSize;
    return this.order.slice(at, at + this.batchSize);
  }
}

/** The training images with their three caption sets and scene graphs, and the caption tokenizer. */
export interface CaptionData {
  pixels: PixelCache;
  /** Scene graph of image i (same order as pixels.sceneIds). */
  scenes: Scene[];
  captions: Record<CaptionStyle, Map<string, string>>;
  tokenizer: CaptionTokenizer;
}

export async function loadCaptionData(ctx: TowerPretrainContext, vision: VisionConfig): Promise<CaptionData> {
  const pixels = await PixelCache.load(ctx.dataset, "train", vision, { progress: ctx.progress });
  const byId = new Map(ctx.dataset.scenes("train").map((s) => [s.id, s]));
  const scenes = pixels.sceneIds.map((id) => byId.get(id)!);
  const captions = { dense: captionsByScene(ctx.dataset, "dense"), short: captionsByScene(ctx.dataset, "short"), noisy: captionsByScene(ctx.dataset, "noisy") };
  for (const style of STYLES) {
    const missing = pixels.sceneIds.find((id) => !captions[style].has(id));
    if (missing) throw new Error(`${ctx.dataset.dir}: the ${style} caption set has no caption for ${missing}`);
  }
  const corpus = STYLES.flatMap((s) => [...captions[s].values()]);
  const tokenizer = CaptionTokenizer.train(corpus, TEXT_PRESETS[ctx.preset].vocabSize);
  return { pixels, scenes, captions, tokenizer };
}

/** The caption set each image of step `step`'s batch draws its caption from. */
export function drawStyles(seed: number, step: number, batch: number, mix: CaptionMix): CaptionStyle[] {
  const rng = Random.stream(seed, "caption-style", step);
  const weights = STYLES.map((s) => mix[s]);
  return Array.from({ length: batch }, () => rng.weighted(STYLES, weights));
}

// ---- setup and run ---------------------------------------------------------------------------

export interface TextAlignedSetup {
  vision: VisionConfig;
  tower: VisionTower;
  textSide: ContrastiveTextSide;
  data: CaptionData;
  sampler: EpochSampler;
  steps: number;
  /** The per-object term's head and recipe, when the recipe has the term. */
  patch?: { head: PatchPhraseHead; recipe: PatchPhraseRecipe };
}

/** The tower, a fresh text side of `kind` sized to it, the data and the sampler of a run. */
export async function setupTextAligned(ctx: TowerPretrainContext, kind: ContrastiveKind, recipe: ContrastiveRecipe, siglipInit: { logitScale?: number; logitBias?: number } = {}): Promise<TextAlignedSetup> {
  const vision = visionConfig(ctx.family, ctx.preset);
  const data = await loadCaptionData(ctx, vision);
  const tower = new VisionTower(vision, ctx.seed);
  // CLIP projects both towers into a space as wide as its text tower; SigLIP's text head maps into the image embedding itself.
  const projection = kind === "clip" ? TEXT_PRESETS[ctx.preset].hidden : vision.hiddenSize;
  const text = textEncoderConfig(kind, ctx.preset, data.tokenizer, projection);
  const textSide = new ContrastiveTextSide(textSideConfig(kind, text, vision.hiddenSize, siglipInit), data.tokenizer, ctx.seed + 1);
  const init = kind === "clip" ? initClipWeights : initSiglipWeights;
  init(tower, ctx.seed);
  init(textSide, ctx.seed + 1);
  const sampler = new EpochSampler(ctx.seed, data.pixels.count, recipe.batchSize);
  const patch = recipe.patchPhrases ? { head: new PatchPhraseHead(vision.hiddenSize, projection, ctx.seed + 4), recipe: recipe.patchPhrases } : undefined;
  return { vision, tower, textSide, data, sampler, steps: ctx.steps ?? recipe.steps, ...(patch ? { patch } : {}) };
}

/**
 * The tower's last hidden state for a batch and, when the recipe has the per-object term, that term
 * on the same pass's LLaVA features (with the text side's scale, and its bias for the sigmoid).
 */
export function towerPass(setup: TextAlignedSetup, images: tf.Tensor4D, indices: readonly number[], sigmoid: boolean): { last: tf.Tensor3D; patch?: tf.Scalar } {
  const { tower, textSide, patch } = setup;
  if (!patch) return { last: tower.lastHidden(images) };
  const { features, last } = tower.featuresAndLast(images);
  const scenes = indices.map((i) => setup.data.scenes[i]!);
  const embed = (phrases: readonly string[]): tf.Tensor2D => l2normalize(textSide.projectTexts(phrases)) as tf.Tensor2D;
  return { last, patch: patchPhraseTerm(patch.recipe, patch.head, features, scenes, embed, textSide.logitScale, sigmoid ? textSide.logitBias : undefined) };
}

/** The modules a run trains and checkpoints: the tower, the text side and, when there, the per-object head. */
export const alignedModules = (setup: TextAlignedSetup): Record<string, Module> => ({ tower: setup.tower, text: setup.textSide, ...(setup.patch ? { patch_head: setup.patch.head } : {}) });

/** One step's images (normalised) and a caption for each, drawn from the mix. */
export function captionBatch(setup: TextAlignedSetup, seed: number, step: number, mix: CaptionMix): { indices: number[]; images: tf.Tensor4D; captions: string[] } {
  const indices = setup.sampler.indices(step);
  const styles = drawStyles(seed, step, indices.length, mix);
  const captions = indices.map((i, k) => setup.data.captions[styles[k]!].get(setup.data.pixels.sceneIds[i]!)!);
  return { indices, images: setup.data.pixels.batch(indices), captions };
}

/**
 * Per-step values of named loss terms, for `finalTerms`. `record` runs inside the loss and keeps
 * the scalars; `flush` (after each step) reads them asynchronously, as the WebGPU backend needs.
 */
export class TermLog {
  private readonly values = new Map<string, number[]>();
  private pending: [string, tf.Tensor][] = [];
  record(terms: Record<string, tf.Tensor>): void {
    for (const [name, t] of Object.entries(terms)) this.pending.push([name, tf.keep(t.clone())]);
  }
  async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = [];
    for (const [name, t] of pending) {
      const list = this.values.get(name) ?? [];
      list.push((await t.data())[0]!);
      this.values.set(name, list);
      t.dispose();
    }
  }
  /** Every recorded value of one term, in step order. */
  series(name: string): number[] {
    return [...(this.values.get(name) ?? [])];
  }
  /** Mean of each term over its last `k` recorded steps. */
  final(k = 10): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, list] of this.values) {
      const tail = list.slice(-k);
      out[name] = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
    }
    return out;
  }
}

/** The shared loop call: AdamW, cosine schedule with warmup, clipping, resumable checkpoints; the term log read after each step. */
export function runTextAligned(
  ctx: TowerPretrainContext,
  label: string,
  recipe: ContrastiveRecipe,
  steps: number,
  state: Map<string, tf.Variable>,
  trainable: tf.Variable[],
  loss: (step: number) => tf.Scalar,
  terms: TermLog,
  afterStep?: (step: number) => void,
): Promise<TrainResult> {
  return trainLoop({
    label,
    steps,
    ...recipeOptimisation(recipe),
    state,
    trainable,
    loss,
    afterStep: async (step) => {
      afterStep?.(step);
      await terms.flush();
    },
    checkpointDir: ctx.checkpointDir,
    progress: ctx.progress,
  });
}

/** What the run trained on, for the result's `data`. */
export function describeData(setup: TextAlignedSetup, recipe: ContrastiveRecipe, extra = ""): string {
  const n = setup.data.pixels.count;
  const pairs = setup.steps * setup.sampler.batchSize;
  return (
    `${n} training images at ${setup.vision.imageSize} px, no augmentation; each image's caption drawn per step from the stage-1 sets ` +
    `(${describeMix(recipe.captionMix)}), ${setup.textSide.config.text_config.contextLength}-token context; ` +
    `${setup.steps} steps × ${setup.sampler.batchSize} = ${pairs} pairs (${(pairs / n).toFixed(2)} epochs)` +
    (recipe.patchPhrases ? `; every patch under an object matched against the ${PATCH_PHRASES.length} colour–category phrases (weight ${recipe.patchPhrases.weight})` : "") +
    (recipe.patchPhrases?.categoryWeight !== undefined ? ` and the ${CATEGORY_PHRASES.length} category phrases (weight ${recipe.patchPhrases.categoryWeight})` : "") +
    extra
  );
}

/** The result of a text-aligned run: the tower and text side, any other trained modules, losses, terms and data. */
export function textAlignedResult(
  setup: TextAlignedSetup,
  recipe: ContrastiveRecipe,
  run: TrainResult,
  terms: TermLog,
  started: number,
  options: { extras?: Record<string, Module>; dataNote?: string } = {},
): TowerPretrainResult {
  return {
    tower: setup.tower,
    textSide: setup.textSide,
    extras: { ...(setup.patch ? { patch_head: setup.patch.head } : {}), ...options.extras },
    losses: run.losses,
    finalTerms: terms.final(),
    steps: setup.steps,
    batchSize: recipe.batchSize,
    seconds: (Date.now() - started) / 1000,
    data: describeData(setup, recipe, options.dataNote),
  };
}

export const trainableOf = (modules: readonly Module[]): tf.Variable[] => modules.flatMap((m) => m.trainableParameters());
