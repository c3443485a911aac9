/**
 * The benchmarks of the LLaVA-MORE table, one entry per lmms-eval task (SEED image part only), each
 * with its task (scoring: ./<b>/task.ts) and its world analogue's generator (./<b>/generate.ts), in
 * the README's column order.
 */

import type { AnyTask } from "../eval/task.js";
import { DEFAULT_PROFILE, taskUnder, type AnyProfiledTask, type ScoringProfile } from "../eval/profile.js";
import type { BenchmarkGenerator } from "./generator.js";
import { ai2dGenerator } from "./ai2d/generate.js";
import { ai2d, ai2dProfiles } from "./ai2d/task.js";
import { gqaGenerator } from "./gqa/generate.js";
import { gqa, gqaProfiles } from "./gqa/task.js";
import { mmbenchCnGenerator, mmbenchEnGenerator } from "./mmbench/generate.js";
import { mmbenchCnDev, mmbenchCnDevProfiles, mmbenchEnDev, mmbenchEnDevProfiles } from "./mmbench/task.js";
import { mmeGenerator } from "./mme/generate.js";
import { mme, mmeProfiles } from "./mme/task.js";
import { mmmuGenerator } from "./mmmu/generate.js";
import { mmmuVal, mmmuValProfiles } from "./mmmu/task.js";
import { popeGenerator } from "./pope/generate.js";
import { pope, popeProfiles } from "./pope/task.js";
import { scienceqaGenerator } from "./scienceqa_img/generate.js";
import { scienceqaImg, scienceqaImgProfiles } from "./scienceqa_img/task.js";
import { seedbenchGenerator } from "./seedbench/generate.js";
import { seedbench, seedbenchProfiles } from "./seedbench/task.js";
import { textvqaGenerator } from "./textvqa/generate.js";
import { textvqaVal, textvqaValProfiles } from "./textvqa/task.js";

/** A benchmark: how its items are scored (the vendored profile's task, and every profile's), and how its world analogue is generated. */
export interface Benchmark {
  task: AnyTask;
  profiled: AnyProfiledTask;
  // Each generator's Doc type differs; the registry only needs what is common to them all.
  generator: BenchmarkGenerator<object>;
}

/** In the README's column order. */
export const BENCHMARKS = {
  gqa: { task: gqa, profiled: gqaProfiles, generator: gqaGenerator },
  scienceqa_img: { task: scienceqaImg, profiled: scienceqaImgProfiles, generator: scienceqaGenerator },
  textvqa_val: { task: textvqaVal, profiled: textvqaValProfiles, generator: textvqaGenerator },
  ai2d: { task: ai2d, profiled: ai2dProfiles, generator: ai2dGenerator },
  pope: { task: pope, profiled: popeProfiles, generator: popeGenerator },
  mme: { task: mme, profiled: mmeProfiles, generator: mmeGenerator },
  mmbench_en_dev: { task: mmbenchEnDev, profiled: mmbenchEnDevProfiles, generator: mmbenchEnGenerator },
  mmbench_cn_dev: { task: mmbenchCnDev, profiled: mmbenchCnDevProfiles, generator: mmbenchCnGenerator },
  seedbench: { task: seedbench, profiled: seedbenchProfiles, generator: seedbenchGenerator },
  mmmu_val: { task: mmmuVal, profiled: mmmuValProfiles, generator: mmmuGenerator },
} as const satisfies Record<string, Benchmark>;

export type TaskName = keyof typeof BENCHMARKS;
export const TASK_NAMES = Object.keys(BENCHMARKS) as TaskName[];

/** The tasks by name, each with its own doc and log types. */
export const TASKS = Object.fromEntries(TASK_NAMES.map((name) => [name, BENCHMARKS[name].task])) as { [N in TaskName]: (typeof BENCHMARKS)[N]["task"] };

export function isTaskName(name: string): name is TaskName {
  return Object.hasOwn(TASKS, name);
}

export function getTask(name: string): AnyTask {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}"; expected one of ${TASK_NAMES.join(", ")}`);
  return TASKS[name];
}

/** A task's rule slots and builder (src/eval/profile.ts). */
export function getProfiledTask(name: string): AnyProfiledTask {
  if (!isTaskName(name)) throw new Error(`unknown task "${name}"; expected one of ${TASK_NAMES.join(", ")}`);
  return BENCHMARKS[name].profiled;
}

/** A task under a scoring profile: the registered (vendored) task object itself for the default profile. */
export function taskUnderProfile(name: string, profile: ScoringProfile): AnyTask {
  const plain = profile.lmmsEval === DEFAULT_PROFILE && Object.keys(profile.overrides ?? {}).length === 0;
  return plain ? getTask(name) : taskUnder(getProfiledTask(name), profile);
}

export const BENCHMARK_GENERATORS: readonly BenchmarkGenerator<object>[] = TASK_NAMES.map((name) => BENCHMARKS[name].generator);

export const BENCHMARK_TASKS = BENCHMARK_GENERATORS.map((g) => g.task);

export function benchmarkGenerator(task: string): BenchmarkGenerator<object> {
  const g = BENCHMARK_GENERATORS.find((x) => x.task === task);
  if (!g) throw new Error(`unknown benchmark "${task}"; expected one of ${BENCHMARK_TASKS.join(", ")} (SEED-vid needs video and is not generated)`);
  return g;
}
