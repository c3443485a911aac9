/**
 * Tower input resolution, in one place: a resolution is a multiple of the tower's own side (rounded
 * to whole patches), optionally with S2's scales on top. The CLI parses `--resolution 1x+S2` here,
 * run ids print it with `resolutionLabel`, and `towerFeatures` runs the tower at it.
 */
import type * as tf from "@tensorflow/tfjs";
import { patchGrid, type VisionConfig } from "./config.js";
import { s2Features } from "./s2.js";
import type { VisionTower } from "./vit.js";

/** Tower input: a multiple of the tower's own side (rounded to whole patches), optionally with S2 scales 1×, 2×, 3×. */
export interface ResolutionSpec {
  /** Multiplier on the tower's native input side; default 1. */
  scale?: number;
  /** Multi-scale S2 input on top of that side (scales 1, 2, 3): same token count, 3× feature width. */
  s2?: boolean;
}

export const S2_SCALES: readonly number[] = [1, 2, 3];

/** "1x", "1.5x", "1x+S2". */
export function resolutionLabel(spec: ResolutionSpec): string {
  return `${spec.scale ?? 1}x${spec.s2 ? "+S2" : ""}`;
}

/** The inverse of resolutionLabel, with an error that says what is expected. */
export function parseResolution(label: string): ResolutionSpec {
  const m = /^(\d+(?:\.\d+)?)x(\+S2)?$/i.exec(label.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`resolution "${label}": expected a multiple of the tower's side such as 1x, 0.75x, 1.5x, optionally with +S2 (e.g. 1x+S2)`);
  return Number(m[1]) === 1 && !m[2] ? {} : { ...(Number(m[1]) !== 1 ? { scale: Number(m[1]) } : {}), ...(m[2] ? { s2: true } : {}) };
}

/** Input side in pixels for a tower config: native side × scale, rounded to whole patches (at least one). */
export function inputSide(config: Pick<VisionConfig, "imageSize" | "patchSize">, spec: ResolutionSpec): number {
  const patches = Math.max(1, Math.round((config.imageSize * (spec.scale ?? 1)) / config.patchSize));
  return patches * config.patchSize;
}

/** Image tokens the LLM sees for a tower config at a resolution (S2 keeps the base token count). */
export function imageTokens(config: VisionConfig, spec: ResolutionSpec): number {
  const grid = patchGrid(config, inputSide(config, spec));
  return grid * grid;
}

/** The side of the images `towerFeatures` takes, in multiples of `inputSide`: S2's largest scale with S2, else 1. */
export function pixelScale(spec: ResolutionSpec): number {
  return spec.s2 === true ? Math.max(...S2_SCALES) : 1;
}

/**
 * The tower's features of normalised images [B, S, S, C] at a resolution, S = inputSide × pixelScale:
 * the tower's own [B, tokens, d] at a single scale, S2's [B, tokens, d·scales] with S2.
 */
export function towerFeatures(tower: VisionTower, images: tf.Tensor4D, spec: ResolutionSpec): tf.Tensor3D {
  return spec.s2 === true ? s2Features(tower, images, S2_SCALES, inputSide(tower.config, spec)) : tower.features(images);
}

/**
 * About how many bytes extracting a tower's features at a resolution holds at once: every scene's
 * pixels at the side `towerFeatures` takes (one byte a channel, as the pixel cache keeps them), plus
 * one batch's float pixels and, per S2 tile, its attention scores (heads × tokens², float32). An
 * estimate to refuse what cannot fit, not a measurement.
 */
export function resolutionMemoryBytes(config: VisionConfig, spec: ResolutionSpec, scenes: number, batch = 64): number {
  const side = inputSide(config, spec) * pixelScale(spec);
  const tiles = spec.s2 === true ? S2_SCALES.reduce((n, k) => n + k * k, 0) : 1;
  const tokens = (inputSide(config, spec) / config.patchSize) ** 2;
  const pixels = side * side * config.channels;
  return scenes * pixels + batch * (pixels * 4 + tiles * config.numHeads * tokens * tokens * 4);
}

/**
 * Refuses a resolution the tower cannot take: a side below one patch, or an estimated memory
 * (`resolutionMemoryBytes`) beyond `memoryBytes`. The error names the limit and the largest scale
 * that fits.
 */
export function checkResolution(config: VisionConfig, spec: ResolutionSpec, scenes: number, memoryBytes: number, tower = "the tower"): void {
  const label = resolutionLabel(spec);
  const scale = spec.scale ?? 1;
  if (Math.round((config.imageSize * scale) / config.patchSize) < 1) {
    const smallest = config.patchSize / config.imageSize;
    throw new Error(`resolution ${label}: ${tower}'s input would be ${(config.imageSize * scale).toFixed(1)} px, less than one ${config.patchSize} px patch; the smallest it takes is ${smallest}x (${config.patchSize} px)`);
  }
  const need = resolutionMemoryBytes(config, spec, scenes);
  if (need <= memoryBytes) return;
  let fits = scale;
  while (fits > 0.05 && resolutionMemoryBytes(config, { ...spec, scale: fits }, scenes) > memoryBytes) fits = Math.round((fits - 0.05) * 100) / 100;
  const gb = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  throw new Error(
    `resolution ${label}: ${tower} at ${inputSide(config, spec) * pixelScale(spec)} px would hold about ${gb(need)} (the pixels of ${scenes} scenes and one batch's attention), ` +
      `more than this machine's ${gb(memoryBytes)} of memory; the largest scale that fits is about ${fits}x`,
  );
}
