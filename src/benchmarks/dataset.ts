/**
 * The generated dataset with its benchmark files: data's generation (src/data/dataset.ts) given every
 * registered benchmark's generator, each asked about the held-out scenes with the training scenes'
 * statistics (what POPE's splits need).
 */
import { join } from "node:path";
import { generateDatasetWith, imageFile, type BenchmarkFilesWriter, type DatasetManifest, type GenerateOptions } from "../data/dataset.js";
import { DATASET_SCALES, withBenchmarkSizes, type DatasetPreset } from "../data/presets.js";
import type { Preset } from "../presets.js";
import { writeJsonl } from "../util/jsonl.js";
import { worldStatistics } from "./generator.js";
import { BENCHMARK_GENERATORS } from "./registry.js";

/** The dataset presets, each with every registered benchmark's size (its `itemsPerScale` at the preset's scale). */
export const DATASET_PRESETS: Record<Preset, DatasetPreset> = Object.fromEntries(
  Object.entries(DATASET_SCALES).map(([preset, scale]) => [preset, withBenchmarkSizes(scale, Object.fromEntries(BENCHMARK_GENERATORS.map((g) => [g.task, g.itemsPerScale])))]),
) as Record<Preset, DatasetPreset>;

/** Writes `<task>.jsonl` for every registered benchmark the preset sizes, in the registry's order. */
export const writeBenchmarkFiles: BenchmarkFilesWriter = (dir, { train, test }, config, seed) => {
  const counts: Record<string, number> = {};
  const stats = worldStatistics(train);
  for (const generator of BENCHMARK_GENERATORS) {
    const size = config.benchmarkSizes[generator.task];
    if (size === undefined) continue;
    const items = generator.generate({ scenes: test, stats, seed }, size);
    writeJsonl(
      join(dir, `${generator.task}.jsonl`),
      items.map((it) => ({ image: imageFile(it.sceneId), doc: it.doc, target: it.target, ...(it.answerText !== undefined ? { answerText: it.answerText } : {}) })),
    );
    counts[generator.task] = items.length;
  }
  return counts;
};

/** Generates (or reuses) the dataset of `options.preset` (default `small`) and returns its manifest and folder. */
export function generateDataset(options: GenerateOptions = {}): Promise<{ dir: string; manifest: DatasetManifest; cached: boolean }> {
  const preset = options.preset ?? "small";
  return generateDatasetWith(writeBenchmarkFiles, { ...options, preset, config: options.config ?? DATASET_PRESETS[preset] });
}
