/**
 * Tables about the lab tier's data: what a generated dataset holds, how legible printed text is at
 * each tower resolution, and the image-blind baselines of every benchmark.
 */
import { join } from "node:path";
import type { Dataset, DatasetManifest } from "../data/dataset.js";
import { CAPTION_STYLES } from "../data/captions.js";
import { INSTRUCTION_KINDS, MIXTURE } from "../data/instructions.js";
import { TEXT_KINDS, TEXT_MIX } from "../data/text_corpus.js";
import { readJsonFile } from "../util/jsonl.js";
import { S2_SCALES } from "../models/vision/resolution.js";
import { VISION_FAMILIES, type VisionFamily } from "../models/vision/config.js";
import { visionConfig } from "../models/vision/registry.js";
import type { Preset } from "../presets.js";
import { BASELINES, type Baseline } from "../benchmarks/baselines.js";
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
  const largest = Math.max(...S2_SCALES);
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

/** Configured and realised shares of the text corpus and the stage-2 mixture. */
export function corpusMixView(dataset: Dataset): TableView {
  const share = (items: readonly { kind: string }[], kind: string): number => (100 * items.filter((d) => d.kind === kind).length) / Math.max(1, items.length);
  const text = dataset.text("pretrain");
  const stage2 = readJsonFile(join(dataset.dir, "stage2", "mixture.json")) as { kind: string }[];
  return {
    name: "corpus_mix",
    title: "Corpus proportions: configured vs generated (%)",
    columns: ["corpus", "kind", "configured", "generated"],
    rows: [
      ...TEXT_KINDS.map((k) => ["LLM text", k, 100 * TEXT_MIX[k], share(text, k)]),
      ...INSTRUCTION_KINDS.map((k) => ["stage 2", k, 100 * MIXTURE[k], share(stage2, k)]),
    ],
    decimals: [undefined, undefined, 1, 1],
  };
}

/** Markdown with one example of each text kind, caption style and stage-2 kind. */
export function corpusSamples(dataset: Dataset): string {
  const text = dataset.text("pretrain");
  const lines: string[] = ["**LLM text corpus**", ""];
  for (const k of TEXT_KINDS) {
    const doc = text.find((d) => d.kind === k);
    if (doc) lines.push(`- *${k}*: ${doc.text ?? (doc.turns ?? []).map((t) => `${t.role}: ${t.content}`).join(" / ")}`);
  }
  const reasoning = dataset.text("reasoning")[0];
  if (reasoning) lines.push(`- *reasoning trace* (r1-distill-llama): ${(reasoning.turns ?? []).map((t) => `${t.role}: ${t.content.replace(/\n/g, " ")}`).join(" / ")}`);
  lines.push("", "**Stage-1 captions of the first training scene**", "");
  for (const style of CAPTION_STYLES) lines.push(`- *${style}*: ${dataset.stage1(style).samples[0]!.conversations[1]!.value}`);
  lines.push("", "**Stage-2 mixture**", "");
  const stage2 = readJsonFile(join(dataset.dir, "stage2", "mixture.json")) as { kind: string; conversations: { from: string; value: string }[] }[];
  for (const k of INSTRUCTION_KINDS) {
    const s = stage2.find((x) => x.kind === k);
    if (s) lines.push(`- *${k}*: ${s.conversations.map((t) => `${t.from}: ${t.value.replace(/\n/g, " ⏎ ")}`).join(" / ")}`);
  }
  return lines.join("\n");
}
