/**
 * Dataset presets: how many scenes, documents and benchmark items each model preset generates.
 * `tiny` is for tests (seconds), `small` for the notebooks and the lab study (about a minute on
 * two cores), `base` for a patient machine.
 */
import type { Preset } from "../presets.js";
import type { WorldConfig } from "../world/scene.js";
import { WORLD_PRESETS } from "../world/presets.js";

export interface DatasetPreset {
  world: WorldConfig;
  trainScenes: number;
  testScenes: number;
  textDocuments: number;
  reasoningDocuments: number;
  stage2Samples: number;
  /** Items per benchmark task (MMBench: questions, each asked once per rotation; MME: questions). */
  benchmarkSizes: Record<string, number>;
}

const benchmarks = (scale: number): Record<string, number> => scaled({
  gqa: 60 * scale,
  scienceqa_img: 30 * scale,
  textvqa_val: 30 * scale,
  ai2d: 15 * scale,
  pope: 90 * scale,
  mme: 56 * scale,
  mmbench_en_dev: 20 * scale,
  mmbench_cn_dev: 20 * scale,
  seedbench: 40 * scale,
  mmmu_val: 20 * scale,
});

export const DATASET_PRESETS: Record<Preset, DatasetPreset> = {
  tiny: { world: WORLD_PRESETS.tiny, trainScenes: 120, testScenes: 240, textDocuments: 400, reasoningDocuments: 60, stage2Samples: 300, benchmarkSizes: benchmarks(0.2) },
  small: { world: WORLD_PRESETS.small, trainScenes: 12000, testScenes: 1500, textDocuments: 40000, reasoningDocuments: 4000, stage2Samples: 30000, benchmarkSizes: benchmarks(10) },
  base: { world: WORLD_PRESETS.base, trainScenes: 60000, testScenes: 5000, textDocuments: 200000, reasoningDocuments: 20000, stage2Samples: 150000, benchmarkSizes: benchmarks(30) },
};

function scaled(sizes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(sizes).map(([task, n]) => [task, Math.max(2, Math.round(n))]));
}

/** The preset notebooks use: $LLAVA_MORE_PRESET (tests set "tiny"), else `small`. */
export function notebookPreset(): Preset {
  const value = process.env["LLAVA_MORE_PRESET"] ?? "small";
  if (!(value in DATASET_PRESETS)) throw new Error(`LLAVA_MORE_PRESET: expected one of ${Object.keys(DATASET_PRESETS).join(", ")}, got "${value}"`);
  return value as Preset;
}

/** Training steps notebooks override recipes with: a few at `tiny` (tests), the recipes' own otherwise. */
export const notebookSteps = (preset: Preset): number | undefined => (preset === "tiny" ? 3 : undefined);
