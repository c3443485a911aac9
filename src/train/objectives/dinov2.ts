/**
 * DINOv2 self-distillation (Oquab et al. 2023) for the `dinov2` and `dinov2-reg` towers; registers
 * come from the tower's config, the objective is the same.
 *
 *   student θ_s sees every crop (its global crops with iBOT patch masks), teacher θ_t only the
 *   unmasked global crops; θ_t ← m θ_t + (1 − m) θ_s after each step, m cosine from m₀ to 1.
 *   head h(x) = W̄ · ℓ₂(MLP(x)),  W̄ = rows of W scaled to unit norm (weight norm, g = 1)
 *   P_t = softmax((h_t(x) − c) / τ_t),  c ← μ c + (1 − μ) mean_batch h_t(x),  τ_t: 0.04 → 0.07
 *   L_DINO = mean over pairs (i global, v ≠ i) of −Σ_k P_t(x_i)_k log softmax(h_s(x_v) / τ_s)_k
 *   L_iBOT = mean over masked images of the mean over masked patches p of
 *            −Σ_k P_t(x_i)_{p,k} log softmax(h'_s(x̃_i)_p / τ_s)_k   (separate patch head h', own centre)
 *   L_KoLeo = −(1/n) Σ_i log min_{j≠i} ‖z_i − z_j‖ on the ℓ₂-normalised student CLS of each global crop
 *   L = L_DINO + L_iBOT + 0.1 L_KoLeo
 *
 * Centring is DINO's running centre (DINOv2 also offers Sinkhorn–Knopp); weight decay is fixed
 * where DINOv2 ramps it 0.04 → 0.2, and there is no layer-wise learning-rate decay or stochastic
 * depth: the lab towers are 2–8 blocks deep and train for minutes.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../backend/index.js";
import { PixelCache } from "../../data/pixel_cache.js";
import { Module, Rng, normal } from "../../models/module.js";
import { gelu } from "../../models/nn/activations.js";
import { Linear } from "../../models/nn/linear.js";
import type { Preset } from "../../presets.js";
import { patchGrid } from "../../models/vision/config.js";
import { visionConfig } from "../../models/vision/registry.js";
import { VisionTower } from "../../models/vision/vit.js";
import { Random, hashString } from "../../util/random.js";
import { mean } from "../../util/stats.js";
import { moduleState, trainLoop } from "../loop.js";
import { TermLog } from "./contrastive.js";
import { multiCrop, type MultiCropRecipe } from "./crops.js";
import type { TowerObjective, TowerPretrainContext, TowerPretrainResult } from "./objective.js";

export interface DinoHeadConfig {
  /** Width of the MLP's hidden layers (real: 2048). */
  hidden: number;
  /** Width of the ℓ₂-normalised bottleneck (real: 256). */
  bottleneck: number;
  /** Number of prototypes K (real: 65,536). */
  prototypes: number;
}

export interface Dinov2Recipe {
  steps: number;
  batchSize: number;
  /** Source images are cached at the tower's resolution × this, so that local crops keep detail. */
  sourceScale: number;
  /** Multi-crop settings; the global crops are always at the tower's resolution. */
  crops: Omit<MultiCropRecipe, "globalSize">;
  head: DinoHeadConfig;
  patchHead: DinoHeadConfig;
  studentTemperature: number;
  /** Linear warm-up of the teacher temperature from `start` to `end` over the first `warmupFraction` of the steps. */
  teacherTemperature: { start: number; end: number; warmupFraction: number };
  /** Momentum of the running centres. */
  centreMomentum: number;
  /** Teacher EMA momentum, cosine from `start` to `end`. */
  teacherMomentum: { start: number; end: number };
  /** iBOT: the fraction of global crops that are masked, and the range of their mask ratios. */
  mask: { probability: number; ratio: readonly [number, number] };
  weights: { dino: number; ibot: number; koleo: number };
  learningRate: number;
  warmupFraction: number;
  weightDecay: number;
  clipNorm: number;
}

const SHARED = {
  studentTemperature: 0.1,
  centreMomentum: 0.9,
  mask: { probability: 0.5, ratio: [0.1, 0.5] },
  weights: { dino: 1, ibot: 1, koleo: 0.1 },
  warmupFraction: 0.1,
  weightDecay: 0.04,
  clipNorm: 3,
} as const;

/**
 * Crop scales are larger than DINOv2's (0.32–1 global, 0.05–0.32 local): the world's scenes are a
 * few small objects on a plain background, so most small crops show nothing the teacher's view
 * shows, and the student learns to predict the batch average, which shrinks the teacher's spread
 * to the uniform collapse (small, 150 steps of 32: teacher batch mutual information 0.23 nats with
 * DINOv2's scales, 0.83 with these).
 */
const CROPS = {
  globalCrops: 2,
  globalScale: [0.5, 1],
  localScale: [0.2, 0.5],
  ratio: [3 / 4, 4 / 3],
  flipProbability: 0.5,
  jitter: { probability: 0.8, brightness: 0.2, contrast: 0.2, saturation: 0.2 },
} as const;

/**
 * Lab-scale schedules (tiny, small) for runs of hundreds of steps instead of DINOv2's ~10⁵:
 * - teacher momentum from 0.9, not 0.992: the teacher starts with LayerScale 1e-5, i.e. the same
 *   CLS for every image, and at 0.99 it stays so for ~100 steps, long enough for the centre to
 *   flatten every target (small: mutual information 0.00 nats after 100 steps at 0.99; 0.22 at
 *   0.95 vs 0.83 at 0.9 after 150);
 * - teacher temperature 0.04 throughout (DINO's default) instead of warming up to 0.07: at 0.07
 *   the weak early spread of the teacher was not sharpened enough (small, m₀ 0.9, 100 steps of
 *   64: mutual information 0.03 nats at 0.04 → 0.07 vs 0.28 at 0.04).
 * `base` (a GPU, thousands of steps) keeps DINOv2's 0.992 and 0.04 → 0.07 over 30%; it was not run here.
 *
 * `small`: the 40 px tower (patch 8, d 128, 4 blocks) with 24 px local crops (3×3 patches; the
 * real 98/224 rounded up to whole patches) cut from sources cached at 80 px (built once, ~27 s).
 * Measured with the native backend (OpenBLAS, 2 threads) while the 2-core machine was shared
 * (load 7–10): 20 steps took 1.0–1.4 s a step at batch 32 (≈1.05 s of CPU time) and 1.1–2.9 s at
 * batch 64. 250 steps of 32 are ≈290 s of CPU time, a bound on the wall time of an idle machine
 * (plus the pixel cache, once for both towers). The full run took 302 s wall (1.21 s a step, 290 s CPU) at load 10 and ended with
 * the teacher's targets at 3.7 nats of log 256 = 5.5, 0.8 nats of mutual information with the
 * image, iBOT 6.1 → 3.7. Batch 32 rather than 64: the teacher, centre and temperature dynamics
 * need steps more than larger batches.
 */
export const DINOV2_RECIPES: Record<Preset, Dinov2Recipe> = {
  tiny: {
    ...SHARED,
    steps: 60,
    batchSize: 16,
    sourceScale: 2,
    crops: { ...CROPS, localCrops: 2, localSize: 8 },
    head: { hidden: 64, bottleneck: 32, prototypes: 64 },
    patchHead: { hidden: 64, bottleneck: 32, prototypes: 64 },
    teacherTemperature: { start: 0.04, end: 0.04, warmupFraction: 0 },
    teacherMomentum: { start: 0.9, end: 1 },
    learningRate: 2e-3,
  },
  small: {
    ...SHARED,
    steps: 250,
    batchSize: 32,
    sourceScale: 2,
    crops: { ...CROPS, localCrops: 6, localSize: 24 },
    head: { hidden: 256, bottleneck: 64, prototypes: 256 },
    patchHead: { hidden: 256, bottleneck: 64, prototypes: 256 },
    teacherTemperature: { start: 0.04, end: 0.04, warmupFraction: 0 },
    teacherMomentum: { start: 0.9, end: 1 },
    learningRate: 1e-3,
  },
  base: {
    ...SHARED,
    steps: 5000,
    batchSize: 128,
    sourceScale: 2,
    crops: { ...CROPS, localCrops: 8, localSize: 56 },
    head: { hidden: 1024, bottleneck: 128, prototypes: 4096 },
    patchHead: { hidden: 1024, bottleneck: 128, prototypes: 4096 },
    teacherTemperature: { start: 0.04, end: 0.07, warmupFraction: 0.3 },
    teacherMomentum: { start: 0.992, end: 1 },
    learningRate: 1e-3,
  },
};

const l2Normalize = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, -1, true), 1e-12)));

/**
 * DINOHead: MLP (Linear, GELU, Linear, GELU, Linear) to the bottleneck, ℓ₂-normalised, then the
 * weight-normalised prototypes with g fixed at 1 (DINO's norm_last_layer), so logits are cosines.
 */
export class DinoHead extends Module {
  private readonly mlp: Linear[];
  readonly prototypes: tf.Variable;

  constructor(inFeatures: number, c: DinoHeadConfig, rng: Rng) {
    super();
    // The real head's trunc_normal(0.02) on 1024-wide inputs passes the signal with gain 0.02·√1024 ≈ 0.64
    // per layer; at lab widths 0.02 would shrink it to a few percent, and the biases (which AdamW moves
    // by ~lr per step) would swamp it within steps: a constant head, the collapse DINO fears. Same gain here.
    const linear = (n: number, m: number) => new Linear(n, m, rng, { bias: true, std: (0.02 * Math.sqrt(1024)) / Math.sqrt(n) });
    this.mlp = [
      this.child("mlp.0", linear(inFeatures, c.hidden)),
      this.child("mlp.2", linear(c.hidden, c.hidden)),
      this.child("mlp.4", linear(c.hidden, c.bottleneck)),
    ];
    // PyTorch's default Linear init (uniform ±1/√in has std 1/√(3·in)); only the direction matters.
    this.prototypes = this.param("last_layer.weight_v", [c.prototypes, c.bottleneck], normal(1 / Math.sqrt(3 * c.bottleneck)), rng);
  }

  /** [..., in] → logits [..., K] in [−1, 1]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [fc1, fc2, fc3] = this.mlp as [Linear, Linear, Linear];
      const z = l2Normalize(fc3.forward(gelu(fc2.forward(gelu(fc1.forward(x))))));
      const out = z.shape.slice(0, -1);
      const logits = tf.matMul(tf.reshape(z, [-1, z.shape[z.shape.length - 1]!]), l2Normalize(this.prototypes) as tf.Tensor2D, false, true);
      return tf.reshape(logits, [...out, this.prototypes.shape[0]!]);
    });
  }
}

/** The teacher's targets: softmax((logits − centre) / τ_t) over the prototypes. */
export function teacherProbabilities(logits: tf.Tensor, centre: tf.Tensor, temperature: number): tf.Tensor {
  return tf.tidy(() => tf.softmax(tf.div(tf.sub(logits, centre), temperature)));
}

/**
 * L_DINO: the mean over pairs (teacher view i, student view v ≠ i) of the batch-mean cross-entropy
 * −Σ_k P_t,i log softmax(s_v / τ_s). Student view i is the same crop as teacher view i.
 */
export function dinoLoss(teacherProbs: readonly tf.Tensor2D[], studentLogits: readonly tf.Tensor2D[], studentTemperature: number): tf.Scalar {
  return tf.tidy(() => {
    const logProbs = studentLogits.map((s) => tf.logSoftmax(tf.div(s, studentTemperature)));
    const terms: tf.Tensor[] = [];
    teacherProbs.forEach((p, i) => {
      logProbs.forEach((q, v) => {
        if (v !== i) terms.push(tf.mean(tf.neg(tf.sum(tf.mul(p, q), -1))));
      });
    });
    return tf.div(tf.addN(terms), terms.length) as tf.Scalar;
  });
}

/** L_DINO from raw head outputs: centring and sharpening the teacher, then `dinoLoss`. */
export function dinoCrossEntropy(
  teacherLogits: readonly tf.Tensor2D[],
  studentLogits: readonly tf.Tensor2D[],
  centre: tf.Tensor,
  temperatures: { teacher: number; student: number },
): tf.Scalar {
  return tf.tidy(() =>
    dinoLoss(
      teacherLogits.map((t) => teacherProbabilities(t, centre, temperatures.teacher) as tf.Tensor2D),
      studentLogits,
      temperatures.student,
    ),
  );
}

/**
 * L_iBOT over images [M, N, K] and a 0/1 mask [M, N]: each image's mean cross-entropy over its
 * masked patches, averaged over the images that have any (zero when none has).
 */
export function ibotLoss(teacherProbs: tf.Tensor3D, studentLogits: tf.Tensor3D, mask: tf.Tensor2D, studentTemperature: number): tf.Scalar {
  return tf.tidy(() => {
    const ce = tf.neg(tf.sum(tf.mul(teacherProbs, tf.logSoftmax(tf.div(studentLogits, studentTemperature))), -1));
    const perImageCount = tf.sum(mask, -1);
    const perImage = tf.div(tf.sum(tf.mul(ce, mask), -1), tf.maximum(perImageCount, 1));
    const maskedImages = tf.sum(tf.cast(tf.greater(perImageCount, 0), "float32"));
    return tf.div(tf.sum(perImage), tf.maximum(maskedImages, 1)) as tf.Scalar;
  });
}

/** KoLeo (Sablayrolles et al.): −mean_i log(min_{j≠i} ‖z_i − z_j‖ + ε) on ℓ₂-normalised rows of x [n, d]. */
export function koleoLoss(x: tf.Tensor2D, eps = 1e-8): tf.Scalar {
  return tf.tidy(() => {
    const z = l2Normalize(x);
    const n = x.shape[0];
    const similarity = tf.sub(tf.matMul(z, z, false, true), tf.mul(tf.eye(n), 3));
    // On the unit sphere ‖z_i − z_j‖² = 2 − 2 z_i·z_j: the nearest neighbour has the largest dot product.
    const nearest = tf.max(similarity, -1);
    const distance = tf.sqrt(tf.add(tf.relu(tf.sub(2, tf.mul(2, nearest))), eps * eps));
    return tf.neg(tf.mean(tf.log(tf.add(distance, eps)))) as tf.Scalar;
  });
}

/** θ_t ← m θ_t + (1 − m) θ_s for every parameter pair (same module structure). */
export function emaUpdate(teacher: Module, student: Module, momentum: number): void {
  const t = teacher.parameters();
  const s = student.parameters();
  if (t.length !== s.length) throw new Error(`EMA: the teacher has ${t.length} parameters, the student ${s.length}`);
  tf.tidy(() => {
    t.forEach((v, i) => v.assign(tf.add(tf.mul(v, momentum), tf.mul(s[i]!, 1 - momentum))));
  });
}

/** Cosine from `start` (step 0) to `end` (last step). */
export function teacherMomentum(recipe: Pick<Dinov2Recipe, "teacherMomentum">, step: number, steps: number): number {
  const { start, end } = recipe.teacherMomentum;
  const progress = steps > 1 ? step / (steps - 1) : 1;
  return end - ((end - start) * (Math.cos(Math.PI * progress) + 1)) / 2;
}

/** Linear from `start` to `end` over the warm-up, then `end`. */
export function teacherTemperature(recipe: Pick<Dinov2Recipe, "teacherTemperature">, step: number, steps: number): number {
  const { start, end, warmupFraction } = recipe.teacherTemperature;
  const warmup = Math.ceil(warmupFraction * steps);
  return step >= warmup || warmup <= 1 ? end : start + ((end - start) * step) / (warmup - 1);
}

/**
 * BEiT-style block mask of exactly `count` of the grid's patches: rectangles of random area and
 * aspect ratio (0.3…3.3) while they fit, topped up with single patches.
 */
export function blockMask(rng: Random, grid: number, count: number): Uint8Array {
  const mask = new Uint8Array(grid * grid);
  const target = Math.min(count, grid * grid);
  let masked = 0;
  for (let failures = 0; masked < target && failures < 10; ) {
    const remaining = target - masked;
    const area = rng.uniform(Math.min(4, remaining), remaining);
    const aspect = Math.exp(rng.uniform(Math.log(0.3), Math.log(1 / 0.3)));
    const h = Math.round(Math.sqrt(area * aspect));
    const w = Math.round(Math.sqrt(area / aspect));
    if (h < 1 || w < 1 || h > grid || w > grid) {
      failures++;
      continue;
    }
    const top = rng.int(grid - h + 1);
    const left = rng.int(grid - w + 1);
    const cells: number[] = [];
    for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) if (!mask[y * grid + x]) cells.push(y * grid + x);
    if (cells.length === 0 || cells.length > remaining) {
      failures++;
      continue;
    }
    for (const c of cells) mask[c] = 1;
    masked += cells.length;
  }
  const free = rng.shuffle([...mask.keys()].filter((i) => !mask[i]));
  for (const c of free.slice(0, target - masked)) mask[c] = 1;
  return mask;
}

/**
 * iBOT masks for `images` global crops [images, grid²]: round(p · images) of them, chosen at random,
 * get a block mask with a ratio drawn from `ratio`; the rest none.
 */
export function ibotMasks(rng: Random, images: number, grid: number, mask: Dinov2Recipe["mask"]): Float32Array {
  const n = grid * grid;
  const out = new Float32Array(images * n);
  const chosen = rng.sample([...Array(images).keys()], Math.round(mask.probability * images));
  for (const image of chosen) {
    const count = Math.max(1, Math.round(rng.uniform(mask.ratio[0], mask.ratio[1]) * n));
    out.set(blockMask(rng, grid, count), image * n);
  }
  return out;
}

/** Per-step values recorded besides the total loss. */
export const DINO_TERMS = ["dino", "ibot", "koleo", "dino_kl", "teacher_entropy", "teacher_marginal_entropy"] as const;
export type DinoTerm = (typeof DINO_TERMS)[number];

export interface Dinov2PretrainResult extends TowerPretrainResult {
  /** Every recorded term of every step this process ran. */
  history: Record<DinoTerm, number[]>;
  recipe: Dinov2Recipe;
}

const entropy = (p: tf.Tensor): tf.Tensor => tf.tidy(() => tf.neg(tf.sum(tf.mul(p, tf.log(tf.add(p, 1e-12))), -1)));

/** The image indices of step `step`: consecutive slices of a per-epoch permutation of the training split. */
function batchSampler(count: number, batchSize: number, seed: number): (step: number) => number[] {
  const orders = new Map<number, number[]>();
  const order = (epoch: number): number[] => {
    let o = orders.get(epoch);
    if (!o) {
      if (orders.size > 2) orders.clear();
      o = Random.stream(seed, "dinov2-order", epoch).shuffle([...Array(count).keys()]);
      orders.set(epoch, o);
    }
    return o;
  };
  return (step) =>
    Array.from({ length: batchSize }, (_, k) => {
      const position = step * batchSize + k;
      return order(Math.floor(position / count))[position % count]!;
    });
}

/** Self-distillation of a DINOv2 tower; `overrides` replace fields of the preset's recipe (tests, notebooks). */
export async function pretrainDinov2(ctx: TowerPretrainContext, overrides: Partial<Dinov2Recipe> = {}): Promise<Dinov2PretrainResult> {
  if (ctx.family !== "dinov2" && ctx.family !== "dinov2-reg") throw new Error(`the dinov2 objective trains dinov2 or dinov2-reg towers, not "${ctx.family}"`);
  await initBackend();
  const recipe: Dinov2Recipe = { ...DINOV2_RECIPES[ctx.preset], ...overrides };
  const steps = ctx.steps ?? recipe.steps;
  const config = visionConfig(ctx.family, ctx.preset);
  const grid = patchGrid(config);
  const patches = grid * grid;
  if (recipe.crops.localSize % config.patchSize !== 0) throw new Error(`local crops of ${recipe.crops.localSize} px are not a multiple of the patch size ${config.patchSize}`);
  const crops: MultiCropRecipe = { ...recipe.crops, globalSize: config.imageSize };
  const pixels = await PixelCache.load(ctx.dataset, "train", config, { scale: recipe.sourceScale, progress: ctx.progress });
  const batchSize = Math.min(recipe.batchSize, pixels.count);
  const batchIndices = batchSampler(pixels.count, batchSize, ctx.seed);

  const d = config.hiddenSize;
  const student = new VisionTower(config, ctx.seed);
  const dinoHead = new DinoHead(d, recipe.head, new Rng(hashString("dino_head", ctx.seed)));
  const ibotHead = new DinoHead(d, recipe.patchHead, new Rng(hashString("ibot_head", ctx.seed)));
  const teacher = new VisionTower(config, ctx.seed);
  // Same seeds as the student's; the copy below makes them equal in any case.
  const teacherDino = new DinoHead(d, recipe.head, new Rng(hashString("dino_head", ctx.seed)));
  const teacherIbot = new DinoHead(d, recipe.patchHead, new Rng(hashString("ibot_head", ctx.seed)));
  const pairs: [Module, Module][] = [
    [teacher, student],
    [teacherDino, dinoHead],
    [teacherIbot, ibotHead],
  ];
  for (const [t, s] of pairs) {
    t.setTrainable(false);
    emaUpdate(t, s, 0);
  }
  const dinoCentre = tf.variable(tf.zeros([recipe.head.prototypes]), false);
  const ibotCentre = tf.variable(tf.zeros([recipe.patchHead.prototypes]), false);
  const state = moduleState({ student, dino_head: dinoHead, ibot_head: ibotHead, teacher, teacher_dino_head: teacherDino, teacher_ibot_head: teacherIbot });
  state.set("dino_center", dinoCentre);
  state.set("ibot_center", ibotCentre);

  const terms = new TermLog();
  // The batch means of the teacher outputs of the current step, for the centre updates after it.
  let centreTargets: { dino: tf.Tensor; ibot: tf.Tensor } | undefined;
  const G = crops.globalCrops;

  const loss = (step: number): tf.Scalar => {
    const rng = Random.stream(ctx.seed, "dinov2-views", step);
    const source = pixels.batch(batchIndices(step));
    const views = multiCrop(source, crops, rng, config);
    const mask = tf.tensor2d(ibotMasks(rng, G * batchSize, grid, recipe.mask), [G * batchSize, patches]);
    const globals = tf.concat(views.global, 0) as tf.Tensor4D;
    const lead = student.leadingTokens;
    const patchTokens = (last: tf.Tensor3D) => tf.slice(last, [0, lead, 0], [-1, -1, -1]);

    const tau = teacherTemperature(recipe, step, steps);
    const teacherLast = teacher.lastHidden(globals);
    const teacherCls = teacherDino.forward(teacher.pool(teacherLast));
    const teacherPatches = teacherIbot.forward(patchTokens(teacherLast));
    const pCls = teacherProbabilities(teacherCls, dinoCentre, tau);
    const pPatches = teacherProbabilities(teacherPatches, ibotCentre, tau) as tf.Tensor3D;

    const studentLast = student.lastHidden(globals, { patches: mask });
    const studentCls = student.pool(studentLast);
    const studentGlobal = tf.split(dinoHead.forward(studentCls), G, 0) as tf.Tensor2D[];
    const studentLocal = views.local.length ? (tf.split(dinoHead.forward(student.pooled(tf.concat(views.local, 0) as tf.Tensor4D)), views.local.length, 0) as tf.Tensor2D[]) : [];
    const teacherViews = tf.split(pCls, G, 0) as tf.Tensor2D[];

    const dino = dinoLoss(teacherViews, [...studentGlobal, ...studentLocal], recipe.studentTemperature);
    const ibot = ibotLoss(pPatches, ibotHead.forward(patchTokens(studentLast)) as tf.Tensor3D, mask, recipe.studentTemperature);
    const koleo = tf.addN((tf.split(studentCls, G, 0) as tf.Tensor2D[]).map((x) => koleoLoss(x)));
    const w = recipe.weights;
    const total = tf.addN([tf.mul(dino, w.dino), tf.mul(ibot, w.ibot), tf.mul(koleo, w.koleo)]) as tf.Scalar;

    const teacherEntropy = tf.mean(entropy(pCls));
    const maskSum = tf.maximum(tf.sum(mask), 1);
    const record: Record<DinoTerm, tf.Tensor> = {
      dino,
      ibot,
      koleo,
      // Each teacher view meets the same number of student views, so mean CE − mean H(P_t) = mean KL.
      dino_kl: tf.sub(dino, teacherEntropy),
      teacher_entropy: teacherEntropy,
      teacher_marginal_entropy: entropy(tf.mean(pCls, 0)),
    };
    terms.record(record);
    if (centreTargets) tf.dispose([centreTargets.dino, centreTargets.ibot]);
    centreTargets = {
      dino: tf.keep(tf.mean(teacherCls, 0)),
      ibot: tf.keep(tf.div(tf.sum(tf.mul(teacherPatches, tf.expandDims(mask, 2)), [0, 1]), maskSum)),
    };
    return total;
  };

  const afterStep = async (step: number): Promise<void> => {
    await terms.flush();
    const m = teacherMomentum(recipe, step, steps);
    for (const [t, s] of pairs) emaUpdate(t, s, m);
    if (!centreTargets) return;
    const mu = recipe.centreMomentum;
    const { dino, ibot } = centreTargets;
    tf.tidy(() => {
      dinoCentre.assign(tf.add(tf.mul(dinoCentre, mu), tf.mul(dino, 1 - mu)));
      ibotCentre.assign(tf.add(tf.mul(ibotCentre, mu), tf.mul(ibot, 1 - mu)));
    });
    tf.dispose([dino, ibot]);
    centreTargets = undefined;
  };

  let run: Awaited<ReturnType<typeof trainLoop>>;
  try {
    run = await trainLoop({
      label: `${ctx.family} self-distillation`,
      steps,
      schedule: { learningRate: recipe.learningRate, warmupFraction: recipe.warmupFraction },
      weightDecay: recipe.weightDecay,
      clipNorm: recipe.clipNorm,
      state,
      trainable: [student, dinoHead, ibotHead].flatMap((m) => m.trainableParameters()),
      loss,
      afterStep,
      checkpointDir: ctx.checkpointDir,
      progress: ctx.progress,
    });
  } catch (err) {
    for (const m of [student, dinoHead, ibotHead, teacher]) m.dispose();
    throw err;
  } finally {
    if (centreTargets) tf.dispose([centreTargets.dino, centreTargets.ibot]);
    tf.dispose([dinoCentre, ibotCentre]);
    teacherDino.dispose();
    teacherIbot.dispose();
  }

  const history = Object.fromEntries(DINO_TERMS.map((t) => [t, terms.series(t)])) as Record<DinoTerm, number[]>;
  const window = (xs: number[]) => xs.slice(-Math.max(1, Math.min(10, Math.ceil(xs.length / 10))));
  const finalTerms = Object.fromEntries(DINO_TERMS.filter((t) => history[t].length > 0).map((t) => [t, mean(window(history[t]))]));
  return {
    tower: student,
    extras: { dino_head: dinoHead, ibot_head: ibotHead, teacher },
    losses: run.losses,
    finalTerms,
    steps,
    batchSize,
    seconds: run.seconds,
    data:
      `${pixels.count} training images (cached at ${pixels.size} px), ${G} global crops of ${crops.globalSize} px and ` +
      `${crops.localCrops} local crops of ${crops.localSize} px per image, flips and mild colour jitter (no hue, no grayscale)`,
    history,
    recipe,
  };
}

export const dinov2Objective: TowerObjective = {
  name: "dinov2",
  summary:
    "DINOv2 self-distillation: DINO cross-entropy between a centred, sharpened EMA teacher (global crops) and the student (global + local crops) on CLS prototypes, iBOT masked-patch distillation, KoLeo",
  pretrain: (ctx) => pretrainDinov2(ctx),
  recipe: (preset) => DINOV2_RECIPES[preset],
};
