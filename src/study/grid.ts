/**
 * Study grids as data: a grid is a list of blocks, each the product LLM × tower × resolution ×
 * stage-1 caption set × seed, and expands into pairings (one training run each). LLMs are zoo
 * entries, which fix family and size (gemma2-2b and gemma2-9b are the size ladder of one family).
 */
import type { KernelMode } from "../backend/kernel_build.js";
import type { CaptionStyle } from "../data/captions.js";
import type { LlmFamily, LlmSize } from "../models/llm/config.js";
import type { VisionFamily } from "../models/vision/config.js";
import type { ResolutionSpec } from "../models/vision/resolution.js";
import { ZOO_LLMS, type ZooLlmName } from "../train/llm_recipes.js";
import { runId, type PairingSpec } from "../analysis/run_record.js";

export interface GridBlock {
  llms: readonly ZooLlmName[];
  towers: readonly VisionFamily[];
  resolutions?: readonly ResolutionSpec[];
  captions?: readonly CaptionStyle[];
}

export interface StudyGrid {
  name: string;
  title: string;
  blocks: readonly GridBlock[];
  seeds: readonly number[];
  /**
   * The kernel build its runs must be computed with (src/backend/kernel_build.ts): the study runner
   * starts its workers in that mode, and only results of that build count for the grid. Absent: the
   * build of the process that runs it.
   */
  kernels?: KernelMode;
}

export function zooLlm(name: ZooLlmName): { name: ZooLlmName; family: LlmFamily; size: LlmSize } {
  const entry = ZOO_LLMS.find((z) => z.name === name);
  if (!entry) throw new Error(`unknown LLM "${name}"; expected one of ${ZOO_LLMS.map((z) => z.name).join(", ")}`);
  return entry;
}

/** Every pairing of a grid, blocks in order, duplicates (same run id) dropped. */
export function expandGrid(grid: StudyGrid): PairingSpec[] {
  const out = new Map<string, PairingSpec>();
  for (const block of grid.blocks) {
    for (const llm of block.llms)
      for (const tower of block.towers)
        for (const resolution of block.resolutions ?? [{}])
          for (const captions of block.captions ?? ["short"])
            for (const seed of grid.seeds) {
              const p: PairingSpec = { llm, tower, resolution, captions, seed };
              out.set(runId(p), p);
            }
  }
  return [...out.values()];
}
