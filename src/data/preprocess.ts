/**
 * Image preprocessing per vision tower, as LLaVA's `image_aspect_ratio=pad` path: pad to a square
 * with the tower's mean colour (`expand2square`), bicubic resize to the tower's resolution (or to
 * the largest S2 scale), scale to 0…1 and normalise with the tower family's mean and std. Output is
 * NHWC float32, what `VisionTower.features` and `s2Features` take.
 */
import * as tf from "@tensorflow/tfjs";
import type { VisionConfig } from "../models/vision/config.js";
import { resizeImage, type RawImage } from "../world/render.js";

export type TowerImageSpec = Pick<VisionConfig, "imageSize" | "imageMean" | "imageStd">;

/** The mean colour as 8-bit RGB, as LLaVA computes it: int(mean · 255) per channel. */
export const meanColour = (spec: TowerImageSpec): [number, number, number] => spec.imageMean.map((m) => Math.floor(m * 255)) as [number, number, number];

/** Where `padToSquare` puts a width × height image: the square's side and the image's offsets in it. */
export function squarePlacement(width: number, height: number): { side: number; left: number; top: number } {
  const side = Math.max(width, height);
  return { side, left: Math.floor((side - width) / 2), top: Math.floor((side - height) / 2) };
}

/** Centre the image on a square canvas of its long side, filled with `fill`. */
export function padToSquare(image: RawImage, fill: readonly [number, number, number]): RawImage {
  if (image.width === image.height) return image;
  const { side, left, top } = squarePlacement(image.width, image.height);
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < side * side; i++) data.set(fill, 3 * i);
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * image.width * 3, (y + 1) * image.width * 3), ((top + y) * side + left) * 3);
  }
  return { data, width: side, height: side, channels: 3 };
}

/** The image padded with the tower's mean colour and bicubic-resized to size × size, still 8-bit. */
export function squareForTower(image: RawImage, spec: TowerImageSpec, size: number): Promise<RawImage> {
  return resizeImage(padToSquare(image, meanColour(spec)), size, size);
}

/** Writes (x/255 − mean) / std of interleaved RGB bytes into `out` from `offset`. */
export function normalizePixels(bytes: Uint8Array, spec: TowerImageSpec, out: Float32Array, offset = 0): void {
  const scale = [0, 1, 2].map((c) => 1 / (255 * spec.imageStd[c]!));
  const shift = [0, 1, 2].map((c) => -spec.imageMean[c]! / spec.imageStd[c]!);
  for (let i = 0; i < bytes.length; i++) out[offset + i] = bytes[i]! * scale[i % 3]! + shift[i % 3]!;
}

/** Pixels of one image ready for the tower: [S, S, 3] normalised, S = imageSize · scale. */
export async function preprocessImage(image: RawImage, spec: TowerImageSpec, scale = 1): Promise<Float32Array> {
  const size = spec.imageSize * scale;
  const resized = await squareForTower(image, spec, size);
  const out = new Float32Array(size * size * 3);
  normalizePixels(resized.data, spec, out);
  return out;
}

/**
 * A batch [B, S, S, 3]. With `s2Scales`, images are resized to the largest scale (the S2 path of
 * LLaVA-MORE sets the processor's size to the largest scale); `s2Features` makes the other scales.
 */
export async function preprocessBatch(images: readonly RawImage[], spec: TowerImageSpec, options: { s2Scales?: readonly number[] } = {}): Promise<tf.Tensor4D> {
  const scale = options.s2Scales ? Math.max(...options.s2Scales) : 1;
  const size = spec.imageSize * scale;
  const pixels = await Promise.all(images.map((im) => preprocessImage(im, spec, scale)));
  const batch = new Float32Array(images.length * size * size * 3);
  pixels.forEach((p, i) => batch.set(p, i * p.length));
  return tf.tensor4d(batch, [images.length, size, size, 3]);
}

/** The k×k base-size tiles of an [S, S, 3] image (S = k · base), row-major: what S2 feeds the tower at scale k. */
export function s2Tiles(pixels: Float32Array, size: number, k: number): Float32Array[] {
  if (size % k !== 0) throw new Error(`s2Tiles: image size ${size} is not a multiple of ${k}`);
  const base = size / k;
  const tiles: Float32Array[] = [];
  for (let ty = 0; ty < k; ty++) {
    for (let tx = 0; tx < k; tx++) {
      const tile = new Float32Array(base * base * 3);
      for (let y = 0; y < base; y++) tile.set(pixels.subarray(((ty * base + y) * size + tx * base) * 3, ((ty * base + y) * size + tx * base + base) * 3), y * base * 3);
      tiles.push(tile);
    }
  }
  return tiles;
}
