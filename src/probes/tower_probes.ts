/**
 * Probes that show what a pretrained tower's features hold, fitted on training scenes and scored on
 * held-out ones: linear probes of scene attributes from the pooled embedding and from the mean of
 * the LLaVA patch features; patch-level probes (is there an object under this patch, and of which
 * colour) from single patch features; reading (the units digit of a sign) from the patch features;
 * and zero-shot image→caption retrieval for text-aligned towers.
 */
import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "../data/dataset.js";
import { denseCaption } from "../data/captions.js";
import { PixelCache } from "../data/pixel_cache.js";
import { patchObjects } from "../data/patch_objects.js";
import { patchGrid } from "../models/vision/config.js";
import type { VisionTower } from "../models/vision/vit.js";
import type { TextSide } from "../train/objectives/objective.js";
import { Random } from "../util/random.js";
import { themeNamed, type Scene } from "../world/scene.js";
import { CATEGORIES, COLOURS, THEMES } from "../world/vocabulary.js";
import { classificationProbe, multiLabelProbe, type ProbeData } from "./linear_probe.js";

export interface TowerProbeScores {
  /** Pooled embedding / mean patch feature → theme (5 classes). */
  themePooled: number;
  themePatch: number;
  /** → number of objects (5 classes). */
  countPooled: number;
  countPatch: number;
  /** → which colours are present (balanced accuracy over 8 labels; chance ½). */
  coloursPooled: number;
  coloursPatch: number;
  /** → which categories are present (balanced accuracy over 12 labels; chance ½). */
  categoriesPooled: number;
  categoriesPatch: number;
  /** One patch feature → object or background under it (balanced accuracy; chance ½). */
  patchObject: number;
  /** One patch feature → colour of the object under it, on patches that cover an object (8 classes). */
  patchColour: number;
  /** One patch feature → category of the object whose centre region covers it (12 classes; chance ~1/12). */
  patchCategory: number;
  /** Mean patch feature → units digit of a sign's number (10 classes; chance 0.1). */
  reading: number;
  /** Image→caption recall@1 among `retrievalPool` held-out images (text-aligned towers only). */
  retrieval?: number;
}

export interface ProbeOptions {
  /** Training scenes used to fit the probes (default 3000). */
  trainImages?: number;
  retrievalPool?: number;
  batchSize?: number;
  progress?: boolean;
}

const hexRgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const PALETTE = COLOURS.map((c) => hexRgb(c.hex));

/** Per patch of the cached image: -1 for background, else the palette index of the object's colour. */
export function patchLabels(raw: Uint8Array, size: number, grid: number, background: [number, number, number], pad: readonly number[]): number[] {
  const patch = size / grid;
  const labels: number[] = [];
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const votes = new Array<number>(PALETTE.length).fill(0);
      let object = 0;
      for (let y = gy * patch; y < (gy + 1) * patch; y++) {
        for (let x = gx * patch; x < (gx + 1) * patch; x++) {
          const i = 3 * (y * size + x);
          const px = [raw[i]!, raw[i + 1]!, raw[i + 2]!];
          const off = (ref: readonly number[]): number => Math.abs(px[0]! - ref[0]!) + Math.abs(px[1]! - ref[1]!) + Math.abs(px[2]! - ref[2]!);
          if (off(background) < 40 || off(pad) < 12 || Math.min(...px) > 225) continue; // background, padding, white plates/stripes
          object++;
          let best = 0;
          PALETTE.forEach((c, k) => {
            if (off(c) < off(PALETTE[best]!)) best = k;
          });
          votes[best]!++;
        }
      }
      labels.push(object >= 0.25 * patch * patch ? votes.indexOf(Math.max(...votes)) : -1);
    }
  }
  return labels;
}

/**
 * Per patch of the padded square image (grid × grid): the category index of the object whose disc,
 * shrunk to 0.8 of its radius, covers the patch centre (the nearest centre where discs overlap), else -1.
 */
export function patchCategories(scene: Scene, grid: number): number[] {
  return patchObjects(scene, grid, 0.8).map((i) => (i < 0 ? -1 : CATEGORIES.findIndex((c) => c.name === scene.objects[i]!.category)));
}

interface Features {
  pooled: ProbeData;
  meanPatch: ProbeData;
  /** [images × grid², d] patch features. */
  patches: Float32Array;
  dim: number;
}

function extract(tower: VisionTower, cache: PixelCache, indices: readonly number[], batchSize: number): Features {
  const d = tower.config.hiddenSize;
  const g2 = patchGrid(tower.config) ** 2;
  const pooled = new Float32Array(indices.length * d);
  const meanPatch = new Float32Array(indices.length * d);
  const patches = new Float32Array(indices.length * g2 * d);
  for (let start = 0; start < indices.length; start += batchSize) {
    const batch = indices.slice(start, start + batchSize);
    const [p, m, f] = tf.tidy(() => {
      const images = cache.batch(batch);
      const feats = tower.features(images);
      return [tower.pooled(images), tf.mean(feats, 1), feats];
    });
    pooled.set(p!.dataSync(), start * d);
    meanPatch.set(m!.dataSync(), start * d);
    patches.set(f!.dataSync(), start * g2 * d);
    tf.dispose([p!, m!, f!]);
  }
  return { pooled: { features: pooled, rows: indices.length, dim: d }, meanPatch: { features: meanPatch, rows: indices.length, dim: d }, patches, dim: d };
}

const presence = (scenes: readonly Scene[], names: readonly string[], of: (s: Scene) => string[]): Float64Array => {
  const y = new Float64Array(scenes.length * names.length);
  scenes.forEach((s, r) => of(s).forEach((n) => (y[r * names.length + names.indexOf(n)] = 1)));
  return y;
};

export async function probeTower(dataset: Dataset, tower: VisionTower, textSide: TextSide | undefined, options: ProbeOptions = {}): Promise<TowerProbeScores> {
  const batchSize = options.batchSize ?? 64;
  const trainScenes = dataset.scenes("train");
  const testScenes = dataset.scenes("test");
  const trainCache = await PixelCache.load(dataset, "train", tower.config, { progress: options.progress });
  const testCache = await PixelCache.load(dataset, "test", tower.config, { progress: options.progress });
  const trainIdx = [...Array(Math.min(options.trainImages ?? 3000, trainScenes.length)).keys()];
  const testIdx = [...Array(testScenes.length).keys()];
  const train = extract(tower, trainCache, trainIdx, batchSize);
  const test = extract(tower, testCache, testIdx, batchSize);
  const trS = trainIdx.map((i) => trainScenes[i]!);
  const teS = testIdx.map((i) => testScenes[i]!);

  const themeOf = (s: Scene): number => THEMES.findIndex((t) => t.name === s.theme);
  const countOf = (s: Scene): number => Math.min(5, s.objects.length) - 1;
  const colours = COLOURS.map((c) => c.name);
  const categories = CATEGORIES.map((c) => c.name);
  const coloursOf = (s: Scene): string[] => [...new Set(s.objects.map((o) => o.colour))];
  const categoriesOf = (s: Scene): string[] => [...new Set(s.objects.map((o) => o.category))];
  const both = (pick: (f: Features) => ProbeData, run: (a: ProbeData, b: ProbeData) => number): number => run(pick(train), pick(test));
  const scores: TowerProbeScores = {
    themePooled: both((f) => f.pooled, (a, b) => classificationProbe(a, trS.map(themeOf), b, teS.map(themeOf), THEMES.length)),
    themePatch: both((f) => f.meanPatch, (a, b) => classificationProbe(a, trS.map(themeOf), b, teS.map(themeOf), THEMES.length)),
    countPooled: both((f) => f.pooled, (a, b) => classificationProbe(a, trS.map(countOf), b, teS.map(countOf), 5)),
    countPatch: both((f) => f.meanPatch, (a, b) => classificationProbe(a, trS.map(countOf), b, teS.map(countOf), 5)),
    coloursPooled: both((f) => f.pooled, (a, b) => multiLabelProbe(a, presence(trS, colours, coloursOf), b, presence(teS, colours, coloursOf), colours.length)),
    coloursPatch: both((f) => f.meanPatch, (a, b) => multiLabelProbe(a, presence(trS, colours, coloursOf), b, presence(teS, colours, coloursOf), colours.length)),
    categoriesPooled: both((f) => f.pooled, (a, b) => multiLabelProbe(a, presence(trS, categories, categoriesOf), b, presence(teS, categories, categoriesOf), categories.length)),
    categoriesPatch: both((f) => f.meanPatch, (a, b) => multiLabelProbe(a, presence(trS, categories, categoriesOf), b, presence(teS, categories, categoriesOf), categories.length)),
    ...patchProbes(tower, train, test, trainCache, testCache, trS, teS, trainIdx, testIdx),
    reading: readingProbe(train, test, trS, teS),
  };
  if (textSide) scores.retrieval = retrieval(tower, textSide, testCache, teS, options.retrievalPool ?? 100);
  return scores;
}

/** Patch-level probes on 6 random patches per image (seeded). */
function patchProbes(
  tower: VisionTower,
  train: Features,
  test: Features,
  trainCache: PixelCache,
  testCache: PixelCache,
  trS: readonly Scene[],
  teS: readonly Scene[],
  trainIdx: readonly number[],
  testIdx: readonly number[],
): { patchObject: number; patchColour: number; patchCategory: number } {
  const grid = patchGrid(tower.config);
  const g2 = grid * grid;
  const d = train.dim;
  const pad = tower.config.imageMean.map((m) => Math.floor(m * 255));
  const sample = (f: Features, cache: PixelCache, scenes: readonly Scene[], idx: readonly number[], seed: string) => {
    const rng = Random.stream(0, "patch-probe", seed);
    const rows: number[] = [];
    const object: number[] = [];
    const colourRows: number[] = [];
    const colour: number[] = [];
    const categoryRows: number[] = [];
    const category: number[] = [];
    idx.forEach((imageIndex, r) => {
      patchCategories(scenes[r]!, grid).forEach((label, p) => {
        if (label < 0) return;
        categoryRows.push(r * g2 + p);
        category.push(label);
      });
      const labels = patchLabels(cache.raw(imageIndex), cache.size, grid, hexRgb(themeNamed(scenes[r]!.theme).background), pad);
      for (const p of rng.sample([...Array(g2).keys()], Math.min(6, g2))) {
        rows.push(r * g2 + p);
        object.push(labels[p]! >= 0 ? 1 : 0);
      }
      labels.forEach((label, p) => {
        if (label < 0) return;
        colourRows.push(r * g2 + p);
        colour.push(label);
      });
    });
    const gather = (which: readonly number[]): ProbeData => {
      const features = new Float32Array(which.length * d);
      which.forEach((row, i) => features.set(f.patches.subarray(row * d, (row + 1) * d), i * d));
      return { features, rows: which.length, dim: d };
    };
    return { data: gather(rows), object, colourData: gather(colourRows), colour, categoryData: gather(categoryRows), category };
  };
  const a = sample(train, trainCache, trS, trainIdx, "train");
  const b = sample(test, testCache, teS, testIdx, "test");
  return {
    patchObject: multiLabelProbe(a.data, Float64Array.from(a.object), b.data, Float64Array.from(b.object), 1),
    patchColour: classificationProbe(a.colourData, a.colour, b.colourData, b.colour, COLOURS.length),
    patchCategory: classificationProbe(a.categoryData, a.category, b.categoryData, b.category, CATEGORIES.length),
  };
}



function readingProbe(train: Features, test: Features, trS: readonly Scene[], teS: readonly Scene[]): number {
  const pick = (f: Features, scenes: readonly Scene[]) => {
    const rows = scenes.flatMap((s, r) => (s.sign?.kind === "number" ? [r] : []));
    const features = new Float32Array(rows.length * f.dim);
    rows.forEach((r, i) => features.set(f.meanPatch.features.subarray(r * f.dim, (r + 1) * f.dim), i * f.dim));
    return { data: { features, rows: rows.length, dim: f.dim }, labels: rows.map((r) => scenes[r]!.sign!.value % 10) };
  };
  const a = pick(train, trS);
  const b = pick(test, teS);
  return classificationProbe(a.data, a.labels, b.data, b.labels, 10, 10);
}

/** Image→text recall@1: each of `pool` held-out images against the dense captions of the same images. */
function retrieval(tower: VisionTower, textSide: TextSide, cache: PixelCache, scenes: readonly Scene[], pool: number): number {
  const n = Math.min(pool, scenes.length);
  const indices = [...Array(n).keys()];
  const right = tf.tidy(() => {
    const images = textSide.embedImages(tower, cache.batch(indices));
    const texts = textSide.embedTexts(indices.map((i) => denseCaption(scenes[i]!)));
    const best = tf.argMax(tf.matMul(images, texts, false, true), 1);
    return tf.sum(tf.cast(tf.equal(best, tf.range(0, n, 1, "int32")), "float32")).dataSync()[0]!;
  });
  return right / n;
}
