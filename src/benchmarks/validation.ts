/**
 * The validation split: every benchmark analogue asked again, by its own generator, about training
 * scenes the protocol never trains on (the `validationScenes` after its first `trainScenes`). Tuning
 * decisions (steps, learning rates, data sizes) are made on these items, never on the benchmark
 * files, which are asked about the held-out test scenes.
 */
import { imageFile, type Dataset, type LoadedItem } from "../data/dataset.js";
import type { AnyTask } from "../eval/task.js";
import { worldStatistics } from "./generator.js";
import { benchmarkGenerator, getTask } from "./registry.js";

/** The training-split scenes a validation evaluation asks about. */
export interface ValidationScenes {
  /** Index of the first one in the training split (the protocol's `trainScenes`). */
  from: number;
  count: number;
}

/** Keeps validation items apart from the benchmark files' items when a split is generated again. */
const VALIDATION_SEED_OFFSET = 7919;

/**
 * Every benchmark's validation items, by task: as many as its benchmark file holds, or fewer when the
 * scenes run out. The training scenes and their statistics are read once, for all the tasks.
 */
export function validationBenchmarks(dataset: Dataset, scenes: ValidationScenes): (taskName: string) => { task: AnyTask; items: LoadedItem[] } {
  const train = dataset.scenes("train");
  if (scenes.count < 1 || scenes.from + scenes.count > train.length) {
    throw new Error(`${dataset.dir}: validation scenes ${scenes.from}–${scenes.from + scenes.count - 1} are outside the ${train.length} training scenes; generate more training scenes or lower the protocol's trainScenes`);
  }
  const held = train.slice(scenes.from, scenes.from + scenes.count);
  // The world statistics POPE's splits use are the benchmark files' own (all training scenes).
  const stats = worldStatistics(train);
  return (taskName) => {
    const size = dataset.manifest.config.benchmarkSizes[taskName];
    if (size === undefined) throw new Error(`${dataset.dir}/manifest.json: no benchmark size for "${taskName}"`);
    const generated = benchmarkGenerator(taskName).generate({ scenes: held, stats, seed: dataset.manifest.seed + VALIDATION_SEED_OFFSET, allowFewer: true }, size);
    return { task: getTask(taskName), items: generated.map((it) => ({ ...it, image: imageFile(it.sceneId) })) };
  };
}
