import { test } from "node:test";
import assert from "node:assert/strict";
import sharp from "sharp";
import { meanColour, padToSquare, preprocessBatch, preprocessImage, s2Tiles } from "../src/data/preprocess.js";
import { visionConfig } from "../src/models/vision/registry.js";
import { decodeImage, type RawImage } from "../src/world/render.js";
import { initBackend } from "../src/backend/index.js";

const solid = (width: number, height: number, rgb: [number, number, number]): RawImage => {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, 3 * i);
  return { data, width, height, channels: 3 };
};

test("pad to square with the tower's mean colour, as LLaVA's expand2square", () => {
  const clip = visionConfig("clip", "small");
  assert.deepEqual(meanColour(clip), [122, 116, 104]);
  assert.deepEqual(meanColour(visionConfig("siglip", "small")), [127, 127, 127]);
  assert.deepEqual(meanColour(visionConfig("dinov2", "small")), [123, 116, 103]);
  const wide = solid(4, 2, [10, 20, 30]);
  const square = padToSquare(wide, [1, 2, 3]);
  assert.equal(square.width, 4);
  assert.equal(square.height, 4);
  // Rows 0 and 3 are padding, rows 1 and 2 the image (centred).
  assert.deepEqual([...square.data.subarray(0, 3)], [1, 2, 3]);
  assert.deepEqual([...square.data.subarray(4 * 3, 4 * 3 + 3)], [10, 20, 30]);
  assert.deepEqual([...square.data.subarray(3 * 4 * 3, 3 * 4 * 3 + 3)], [1, 2, 3]);
});

test("normalisation per tower family: (x/255 - mean) / std", async () => {
  for (const family of ["clip", "siglip", "dinov2"] as const) {
    const spec = visionConfig(family, "tiny");
    const pixels = await preprocessImage(solid(30, 30, [200, 100, 50]), spec);
    assert.equal(pixels.length, spec.imageSize * spec.imageSize * 3);
    [200, 100, 50].forEach((v, c) => assert.ok(Math.abs(pixels[c]! - (v / 255 - spec.imageMean[c]!) / spec.imageStd[c]!) < 1e-5, `${family} channel ${c}`));
  }
});

test("batches for the towers, S2 at the largest scale, and S2 tiles that reassemble the image", async () => {
  await initBackend();
  const spec = visionConfig("clip", "tiny");
  const image = solid(40, 30, [0, 128, 255]);
  const batch = await preprocessBatch([image, image], spec);
  assert.deepEqual(batch.shape, [2, spec.imageSize, spec.imageSize, 3]);
  const s2 = await preprocessBatch([image], spec, { s2Scales: [1, 2, 3] });
  assert.deepEqual(s2.shape, [1, 3 * spec.imageSize, 3 * spec.imageSize, 3]);
  batch.dispose();
  s2.dispose();
  const size = 6;
  const pixels = Float32Array.from({ length: size * size * 3 }, (_, i) => i);
  const tiles = s2Tiles(pixels, size, 2);
  assert.equal(tiles.length, 4);
  // Tile 1 (top right) starts at column 3 of row 0.
  assert.equal(tiles[1]![0], 3 * 3);
  assert.equal(tiles[2]![0], 3 * size * 3);
  assert.throws(() => s2Tiles(pixels, size, 4), /not a multiple of 4/);
});

test("real images: any file sharp reads decodes to RGB", async () => {
  const png = await sharp({ create: { width: 5, height: 3, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
  const raw = await decodeImage(png);
  assert.equal(raw.channels, 3);
  assert.deepEqual([...raw.data.subarray(0, 3)], [255, 0, 0]);
  await assert.rejects(decodeImage(Buffer.from("not an image")), /unsupported image format|Input buffer/);
});
