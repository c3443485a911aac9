/** The benchmark analogues by lmms-eval task name, in the README's column order. */
import { ai2dGenerator } from "./ai2d.js";
import type { BenchmarkGenerator } from "./generator.js";
import { gqaGenerator } from "./gqa.js";
import { mmbenchCnGenerator, mmbenchEnGenerator } from "./mmbench.js";
import { mmeGenerator } from "./mme.js";
import { mmmuGenerator } from "./mmmu.js";
import { popeGenerator } from "./pope.js";
import { scienceqaGenerator } from "./scienceqa_img.js";
import { seedbenchGenerator } from "./seedbench.js";
import { textvqaGenerator } from "./textvqa.js";

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
