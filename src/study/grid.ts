/**
 * Study grids as data: a grid is a list of blocks, each the product LLM × tower × resolution ×
 * stage-1 caption set × seed, and expands into pairings (one training run each). LLMs are zoo
 * entries, which fix family and size (gemma2-2b and gemma2-9b are the size ladder of one family).
 */
import type { CaptionStyle } from "../data/captions.js";
import type { LlmFamily, LlmSize } from "../models/llm/config.js";
import { patchGrid, type VisionConfig, type VisionFamily } from "../models/vision/config.js";
import { ZOO_LLMS, type ZooLlmName } from "../train/llm_recipes.js";

/** Tower input: a multiple of the tower's own side (rounded to whole patches), optionally with S2 scales 1×, 2×, 3×. */
export interface ResolutionSpec {
  /** Multiplier on the tower's native input side; default 1. */
  scale?: number;
  /** Multi-scale S2 input on top of that side (scales 1, 2, 3): same token count, 3× feature width. */
  s2?: boolean;
}

export const S2_SCALES: readonly number[] = [1, 2, 3];

export interface PairingSpec {
  llm: ZooLlmName;
  tower: VisionFamily;
  resolution: ResolutionSpec;
  /** Stage-1 caption set (LCS-558K's analogue is `short`). */
  captions: CaptionStyle;
  seed: number;
}

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
}

/** "1x", "1.5x", "1x+S2". */
export function resolutionLabel(spec: ResolutionSpec): string {
  return `${spec.scale ?? 1}x${spec.s2 ? "+S2" : ""}`;
}

/** The inverse of resolutionLabel, with an error that says what is expected. */
export function parseResolution(label: string): ResolutionSpec {
  const m = /^(\d+(?:\.\d+)?)x(\+S2)?$/i.exec(label.trim());
  if (!m || Number(m[1]) <= 0) throw new Error(`resolution "${label}": expected a multiple of the tower's side such as 1x, 0.75x, 1.5x, optionally with +S2 (e.g. 1x+S2)`);
  return Number(m[1]) === 1 && !m[2] ? {} : { ...(Number(m[1]) !== 1 ? { scale: Number(m[1]) } : {}), ...(m[2] ? { s2: true } : {}) };
}

/** Input side in pixels for a tower config: native side × scale, rounded to whole patches (at least one). */
export function inputSide(config: Pick<VisionConfig, "imageSize" | "patchSize">, spec: ResolutionSpec): number {
  const patches = Math.max(1, Math.round((config.imageSize * (spec.scale ?? 1)) / config.patchSize));
  return patches * config.patchSize;
}

/** Image tokens the LLM sees for a tower config at a resolution (S2 keeps the base token count). */
export function imageTokens(config: VisionConfig, spec: ResolutionSpec): number {
  const grid = patchGrid(config, inputSide(config, spec));
  return grid * grid;
}

/** A pairing whatever its seed: `llama3.1-8b__clip-1x__short`. */
export function pairingId(p: Omit<PairingSpec, "seed">): string {
  return `${p.llm}__${p.tower}-${resolutionLabel(p.resolution)}__${p.captions}`;
}

/** A readable, file-safe run id: `llama3.1-8b__clip-1x__short__s0`. */
export function runId(p: PairingSpec): string {
  return `${pairingId(p)}__s${p.seed}`;
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
