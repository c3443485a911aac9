/**
 * A text-only legibility probe: can printed characters still be told apart after the image is
 * resized to a tower's resolution? For each character of the label alphabet it renders plates at
 * random sub-cell offsets on random theme backgrounds, exactly as scenes print them, resizes them
 * with the preprocessing resize, and classifies held-out renders by the nearest class centroid of
 * training renders. An ideal pixel reader: if it cannot read a character, a tower cannot either.
 */
import { Random } from "../util/random.js";
import { GLYPH_COLUMNS, GLYPH_ROWS } from "./font.js";
import { plateSvg, resizeImage, svgToRaw, type RawImage } from "./render.js";
import type { WorldConfig } from "./scene.js";
import { LABEL_ALPHABET, THEMES } from "./vocabulary.js";

export interface LegibilityResult {
  /** Image resolution (long side) the scene was resized to. */
  resolution: number;
  /** Glyph height in pixels at that resolution. */
  glyphPixels: number;
  /** Held-out character accuracy of the nearest-centroid reader (chance = 1 / alphabet size). */
  accuracy: number;
}

export interface LegibilityOptions {
  resolutions: readonly number[];
  trainPerCharacter?: number;
  testPerCharacter?: number;
  seed?: number;
}

/** One character on its plate, in a canvas a quarter of the native size, at a random offset. */
function probeSvg(ch: string, world: WorldConfig, rng: Random): { svg: string; side: number; glyphX: number; glyphY: number; cell: number } {
  const side = world.nativeSize / 4;
  const cell = (world.textHeight * world.nativeSize) / GLYPH_ROWS;
  const background = rng.pick(THEMES).background;
  const cx = side / 2 + rng.uniform(-cell, cell);
  const cy = side / 2 + rng.uniform(-cell, cell);
  return {
    side,
    cell,
    glyphX: cx - (GLYPH_COLUMNS + 2) * cell / 2 + cell,
    glyphY: cy - (GLYPH_ROWS + 2) * cell / 2 + cell,
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}"><rect width="${side}" height="${side}" fill="${background}"/>${plateSvg(ch, cx, cy, cell)}</svg>`,
  };
}

/**
 * The grey levels of the pixel window that holds the glyph (the reader knows where the text is, up
 * to the sub-pixel offset that resizing leaves), mean-removed and unit-norm.
 */
function glyphWindow(image: RawImage, x: number, y: number, width: number, height: number): Float64Array {
  const n = width * height;
  const g = new Float64Array(n);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const px = Math.min(image.width - 1, Math.max(0, x + c));
      const py = Math.min(image.height - 1, Math.max(0, y + r));
      const i = py * image.width + px;
      g[r * width + c] = (image.data[3 * i]! + image.data[3 * i + 1]! + image.data[3 * i + 2]!) / 765;
    }
  }
  const mean = g.reduce((a, b) => a + b, 0) / n;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    g[i]! -= mean;
    norm += g[i]! ** 2;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < n; i++) g[i]! *= scale;
  return g;
}

export async function legibilityProbe(world: WorldConfig, options: LegibilityOptions): Promise<LegibilityResult[]> {
  const trainN = options.trainPerCharacter ?? 8;
  const testN = options.testPerCharacter ?? 8;
  const rng = Random.stream(options.seed ?? 0, "legibility");
  const chars = [...LABEL_ALPHABET];
  const renders: { ch: number; train: boolean; image: RawImage; side: number; glyphX: number; glyphY: number; cell: number }[] = [];
  for (let c = 0; c < chars.length; c++) {
    for (let t = 0; t < trainN + testN; t++) {
      const { svg, ...where } = probeSvg(chars[c]!, world, rng);
      renders.push({ ch: c, train: t < trainN, image: await svgToRaw(svg), ...where });
    }
  }
  const results: LegibilityResult[] = [];
  for (const resolution of options.resolutions) {
    const scale = resolution / world.nativeSize;
    const vectors = await Promise.all(
      renders.map(async (r) => {
        const size = Math.max(1, Math.round(r.side * scale));
        const small = await resizeImage(r.image, size, size);
        const width = Math.ceil(GLYPH_COLUMNS * r.cell * scale) + 2;
        const height = Math.ceil(GLYPH_ROWS * r.cell * scale) + 2;
        return glyphWindow(small, Math.floor(r.glyphX * scale) - 1, Math.floor(r.glyphY * scale) - 1, width, height);
      }),
    );
    const dim = vectors[0]!.length;
    const centroids = chars.map(() => new Float64Array(dim));
    renders.forEach((r, i) => {
      if (!r.train) return;
      const v = vectors[i]!;
      const c = centroids[r.ch]!;
      for (let k = 0; k < dim; k++) c[k]! += v[k]! / trainN;
    });
    let right = 0;
    let total = 0;
    renders.forEach((r, i) => {
      if (r.train) return;
      const v = vectors[i]!;
      let best = -1;
      let bestDistance = Infinity;
      centroids.forEach((c, j) => {
        let d = 0;
        for (let k = 0; k < dim; k++) d += (v[k]! - c[k]!) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = j;
        }
      });
      total++;
      if (best === r.ch) right++;
    });
    results.push({ resolution, glyphPixels: world.textHeight * resolution, accuracy: right / total });
  }
  return results;
}
