/**
 * Multi-crop augmentation (DINO / DINOv2): a few global crops at the tower's resolution and several
 * smaller local crops, each a random resized crop (torchvision's RandomResizedCrop), flipped at
 * random, with a mild colour jitter.
 *
 * Colour is a label in the visual world (questions ask for it), so the jitter only scales
 * brightness, contrast and saturation by a few tens of percent: no hue shift and no grayscale, which
 * DINOv2 uses on natural images but which here would teach the tower that red and green are the same.
 * DINOv2's Gaussian blur and solarisation are left out for the same reason (blur erases the printed
 * text; solarisation inverts colours).
 */
import * as tf from "@tensorflow/tfjs";
import type { VisionConfig } from "../../models/vision/config.js";
import type { Random } from "../../util/random.js";

export interface ColourJitter {
  /** Chance that an image is jittered at all (DINOv2: 0.8). */
  probability: number;
  /** Each factor is drawn from [1 − δ, 1 + δ]. */
  brightness: number;
  contrast: number;
  saturation: number;
}

export interface MultiCropRecipe {
  globalCrops: number;
  localCrops: number;
  /** Side of the global crops: the tower's resolution. */
  globalSize: number;
  /** Side of the local crops: a multiple of the patch size. */
  localSize: number;
  /** Fraction of the source image's area a crop covers. */
  globalScale: readonly [number, number];
  localScale: readonly [number, number];
  /** Aspect ratio (width / height) range of a crop before it is resized to a square. */
  ratio: readonly [number, number];
  flipProbability: number;
  jitter: ColourJitter;
}

/** A crop in normalised source coordinates, as `tf.image.cropAndResize` takes it; x1 > x2 flips it. */
export interface CropBox {
  y1: number;
  x1: number;
  y2: number;
  x2: number;
}

/** Everything random about one view of one image. */
export interface ViewDraw {
  box: CropBox;
  brightness: number;
  contrast: number;
  saturation: number;
}

/** The crops of one batch: views[v] is [B, size, size, 3], normalised like the tower's input. */
export interface MultiCropBatch {
  global: tf.Tensor4D[];
  local: tf.Tensor4D[];
}

/**
 * RandomResizedCrop's box: area fraction s ~ U(scale), log aspect ratio ~ U(log ratio),
 * w = √(s·r), h = √(s/r) (as fractions of the side); ten tries to fit, else the central crop at the
 * nearest allowed aspect ratio.
 */
export function randomResizedCropBox(rng: Random, scale: readonly [number, number], ratio: readonly [number, number]): CropBox {
  for (let attempt = 0; attempt < 10; attempt++) {
    const area = rng.uniform(scale[0], scale[1]);
    const r = Math.exp(rng.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const w = Math.sqrt(area * r);
    const h = Math.sqrt(area / r);
    if (w <= 1 && h <= 1) {
      const y1 = rng.uniform(0, 1 - h);
      const x1 = rng.uniform(0, 1 - w);
      return { y1, x1, y2: y1 + h, x2: x1 + w };
    }
  }
  const r = Math.min(Math.max(1, ratio[0]), ratio[1]);
  const w = r >= 1 ? 1 : r;
  const h = r >= 1 ? 1 / r : 1;
  return { y1: (1 - h) / 2, x1: (1 - w) / 2, y2: (1 + h) / 2, x2: (1 + w) / 2 };
}

/** One view's box, flip and jitter factors. */
export function drawView(rng: Random, recipe: MultiCropRecipe, kind: "global" | "local"): ViewDraw {
  const box = randomResizedCropBox(rng, kind === "global" ? recipe.globalScale : recipe.localScale, recipe.ratio);
  const flipped = rng.chance(recipe.flipProbability) ? { ...box, x1: box.x2, x2: box.x1 } : box;
  const j = recipe.jitter;
  const jitter = rng.chance(j.probability);
  const factor = (delta: number): number => (jitter ? rng.uniform(1 - delta, 1 + delta) : 1);
  return { box: flipped, brightness: factor(j.brightness), contrast: factor(j.contrast), saturation: factor(j.saturation) };
}

/** The draws of a batch: global[v][b] and local[v][b], all from `rng` in a fixed order. */
export function drawMultiCrop(rng: Random, recipe: MultiCropRecipe, batchSize: number): { global: ViewDraw[][]; local: ViewDraw[][] } {
  const views = (count: number, kind: "global" | "local"): ViewDraw[][] =>
    Array.from({ length: count }, () => Array.from({ length: batchSize }, () => drawView(rng, recipe, kind)));
  return { global: views(recipe.globalCrops, "global"), local: views(recipe.localCrops, "local") };
}

/**
 * Brightness, contrast, saturation on pixels in 0…1, in torchvision's order and formulas:
 * x·b; (x − mean gray)·c + mean gray; (x − gray)·s + gray; each clipped to 0…1.
 */
function jitterColours(pixels: tf.Tensor4D, draws: readonly ViewDraw[]): tf.Tensor4D {
  return tf.tidy(() => {
    const n = draws.length;
    const factor = (key: "brightness" | "contrast" | "saturation") => tf.tensor4d(draws.map((d) => d[key]), [n, 1, 1, 1]);
    const luma = tf.tensor1d([0.299, 0.587, 0.114]);
    const gray = (x: tf.Tensor) => tf.sum(tf.mul(x, luma), -1, true);
    let x: tf.Tensor = tf.clipByValue(tf.mul(pixels, factor("brightness")), 0, 1);
    const meanGray = tf.mean(gray(x), [1, 2, 3], true);
    x = tf.clipByValue(tf.add(tf.mul(tf.sub(x, meanGray), factor("contrast")), meanGray), 0, 1);
    const g = gray(x);
    x = tf.clipByValue(tf.add(tf.mul(tf.sub(x, g), factor("saturation")), g), 0, 1);
    return x as tf.Tensor4D;
  });
}

/** Cuts, resizes (bilinear) and jitters the views described by `draws` out of `source`. */
export function renderViews(source: tf.Tensor4D, views: readonly (readonly ViewDraw[])[], size: number, normalisation: Pick<VisionConfig, "imageMean" | "imageStd">): tf.Tensor4D[] {
  if (views.length === 0) return [];
  return tf.tidy(() => {
    const batch = source.shape[0];
    const flat = views.flat();
    if (flat.length !== views.length * batch) throw new Error(`every view needs one draw per image (${batch})`);
    const boxes = tf.tensor2d(
      flat.map(({ box }) => [box.y1, box.x1, box.y2, box.x2]),
      [flat.length, 4],
    );
    const boxInd = tf.tensor1d(
      flat.map((_, i) => i % batch),
      "int32",
    );
    const { imageMean: mean, imageStd: std } = normalisation;
    const pixels = tf.add(tf.mul(source, std), mean) as tf.Tensor4D;
    const crops = tf.image.cropAndResize(pixels, boxes, boxInd, [size, size], "bilinear");
    const jittered = jitterColours(crops, flat);
    const normalised = tf.div(tf.sub(jittered, mean), std) as tf.Tensor4D;
    return tf.split(normalised, views.length, 0) as tf.Tensor4D[];
  });
}

/** The global and local crops of a batch of normalised source images, every random choice from `rng`. */
export function multiCrop(source: tf.Tensor4D, recipe: MultiCropRecipe, rng: Random, normalisation: Pick<VisionConfig, "imageMean" | "imageStd">): MultiCropBatch {
  const draws = drawMultiCrop(rng, recipe, source.shape[0]);
  return {
    global: renderViews(source, draws.global, recipe.globalSize, normalisation),
    local: renderViews(source, draws.local, recipe.localSize, normalisation),
  };
}
