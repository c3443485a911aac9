/**
 * Tables about the lab tier's data: what a generated dataset holds, how legible printed text is at
 * each tower resolution, and the image-blind baselines of every benchmark.
 */
import type { DatasetManifest } from "../data/dataset.js";
import { DEFAULT_S2_SCALES } from "../models/vision/s2.js";
import { VISION_FAMILIES, type VisionFamily } from "../models/vision/config.js";
import { visionConfig } from "../models/vision/registry.js";
import type { Preset } from "../models/presets.js";
import { BASELINES, type Baseline } from "../eval/baselines.js";
import type { LegibilityResult } from "../world/legibility.js";
import type { TableView } from "./render.js";

export function datasetSizeView(manifest: DatasetManifest): TableView {
  const parts = ["images", "scenes", "text", "stage1", "stage2", "benchmarks"];
  const rows = Object.entries(manifest.counts).map(([part, n]) => [part, n] as (string | number)[]);
  return {
    name: "dataset_sizes",
    title: `Dataset ${manifest.preset}, seed ${manifest.seed}`,
    columns: ["part", "items"],
    rows,
    notes: [`On disk: ${parts.map((p) => `${p} ${((manifest.bytes[p] ?? 0) / 1e6).toFixed(1)} MB`).join(", ")}; generated in ${manifest.seconds.toFixed(1)} s.`],
  };
}

/** The image resolutions of a preset's towers, single scale and with S2 (largest scale), by tower. */
export function towerResolutions(preset: Preset): { tower: VisionFamily; s2: boolean; resolution: number }[] {
  const largest = Math.max(...DEFAULT_S2_SCALES);
  return VISION_FAMILIES.flatMap((tower) => {
    const size = visionConfig(tower, preset).imageSize;
    return [
      { tower, s2: false, resolution: size },
      { tower, s2: true, resolution: size * largest },
    ];
  });
}

export function legibilityView(preset: Preset, results: readonly LegibilityResult[]): TableView {
  const byResolution = new Map(results.map((r) => [r.resolution, r]));
  const rows = towerResolutions(preset)
    .filter((t) => byResolution.has(t.resolution))
    .sort((a, b) => a.resolution - b.resolution || a.tower.localeCompare(b.tower))
    .map((t) => {
      const r = byResolution.get(t.resolution)!;
      return [t.tower + (t.s2 ? " + S2" : ""), t.resolution, r.glyphPixels, 100 * r.accuracy, 100 * r.accuracy ** 2];
    });
  return {
    name: "legibility",
    title: `Printed-text legibility by tower resolution (${preset} preset)`,
    columns: ["tower", "pixels", "glyph height (px)", "character accuracy %", "two-character label %"],
    rows,
    decimals: [undefined, 0, 1, 0, 0],
    notes: ["Nearest-centroid reader over resized glyph windows; chance is 3% per character. Label accuracy assumes independent characters."],
  };
}

export function baselineView(rows: readonly { column: string; scores: Record<Baseline, number> }[]): TableView {
  return {
    name: "baselines",
    title: "Image-blind baselines (README units: % except MME-P /2000, MME-C /800)",
    columns: ["benchmark", ...BASELINES],
    rows: rows.map((r) => [r.column, ...BASELINES.map((b) => r.scores[b])]),
    decimals: [undefined, ...BASELINES.map(() => 1)],
  };
}
