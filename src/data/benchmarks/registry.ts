/** The benchmark analogues by lmms-eval task name, in the README's column order. */
import { ai2dGenerator } from "../../benchmarks/ai2d/generate.js";
import type { BenchmarkGenerator } from "../../benchmarks/generator.js";
import { gqaGenerator } from "../../benchmarks/gqa/generate.js";
import { mmbenchCnGenerator, mmbenchEnGenerator } from "../../benchmarks/mmbench/generate.js";
import { mmeGenerator } from "../../benchmarks/mme/generate.js";
import { mmmuGenerator } from "../../benchmarks/mmmu/generate.js";
import { popeGenerator } from "../../benchmarks/pope/generate.js";
import { scienceqaGenerator } from "../../benchmarks/scienceqa_img/generate.js";
import { seedbenchGenerator } from "../../benchmarks/seedbench/generate.js";
import { textvqaGenerator } from "../../benchmarks/textvqa/generate.js";

// Each generator's Doc type differs; the registry only needs what is common to them all.
export const BENCHMARK_GENERATORS: readonly BenchmarkGenerator<object>[] = [
  gqaGenerator,
  scienceqaGenerator,
  textvqaGenerator,
  ai2dGenerator,
  popeGenerator,
  mmeGenerator,
  mmbenchEnGenerator,
  mmbenchCnGenerator,
  seedbenchGenerator,
  mmmuGenerator,
];

export const BENCHMARK_TASKS = BENCHMARK_GENERATORS.map((g) => g.task);

export function benchmarkGenerator(task: string): BenchmarkGenerator<object> {
  const g = BENCHMARK_GENERATORS.find((x) => x.task === task);
  if (!g) throw new Error(`unknown benchmark "${task}"; expected one of ${BENCHMARK_TASKS.join(", ")} (SEED-vid needs video and is not generated)`);
  return g;
}
