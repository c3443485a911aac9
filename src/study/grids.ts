/**
 * The study's grids, one per lab notebook plus the quick study behind `npm start`. Each is data:
 * blocks of LLM × tower × resolution × stage-1 captions, and the seeds. `studyGrid(name, preset)`
 * shrinks a grid for `tiny` (tests): the first block, the first two levels of each of its axes, two
 * seeds and 8 items per benchmark, so every notebook still runs end to end in seconds, in whatever
 * kernel build the test process runs (tiny has no archive to keep current).
 */
import type { Preset } from "../presets.js";
import { KERNEL_MODES } from "../backend/kernel_build.js";
import { CAPTION_STYLES } from "../data/captions.js";
import { VISION_FAMILIES } from "../models/vision/config.js";
import { ZOO_LLMS } from "../train/llm_recipes.js";
import { MAX_SEED, SEED_RANGE } from "../util/random.js";
import { expandGrid, type GridBlock, type StudyGrid } from "./grid.js";
import type { SizeResolutionDesign } from "../analysis/size_resolution.js";

export interface StudyDefinition extends StudyGrid {
  /** Evaluate only the first `evalLimit` items of each task (the quick study). */
  evalLimit?: number;
}

const SEEDS = [0, 1] as const;
/**
 * Every grid's runs are computed with the portable bits (LLAVA_MORE_PORTABLE_BITS=1): the runs in
 * results/ were trained that way, so they stay current on any x86-64 CPU with AVX2, and the grids share
 * run folders (one pairing is in several grids), which must hold one build's runs.
 */
const KERNELS = "portable";
/** Items per benchmark in the notebooks' grids (~1,900 questions, about a minute per run at `small`). */
const NOTEBOOK_EVAL = 200;

export const STUDY_GRIDS = {
  quick: {
    name: "quick",
    title: "Quick lab study: SigLIP vs CLIP with LLaMA-3.1-8B (finding 4)",
    blocks: [{ llms: ["llama3.1-8b"], towers: ["clip", "siglip"] }],
    seeds: SEEDS,
    kernels: KERNELS,
    // The notebooks' evaluation: the quick study's runs are the calibration grid's first ones.
    evalLimit: NOTEBOOK_EVAL,
  },
  llms: {
    name: "llms",
    title: "LLM comparison: the paper's LLMs with CLIP",
    blocks: [{ llms: ["vicuna-7b", "llama3-8b", "llama3.1-8b", "gemma2-9b", "phi4-mini-3.8b", "r1-distill-llama-8b"], towers: ["clip"] }],
    seeds: SEEDS,
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
  backbones: {
    name: "backbones",
    title: "Visual backbones: CLIP, SigLIP, SigLIP2, DINOv2 with and without registers, and S2",
    blocks: [
      { llms: ["llama3.1-8b"], towers: ["clip", "siglip", "siglip2", "dinov2", "dinov2-reg"] },
      { llms: ["llama3.1-8b"], towers: ["clip", "siglip"], resolutions: [{ s2: true }] },
    ],
    seeds: SEEDS,
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
  resolution: {
    name: "resolution",
    title: "LLM size × image resolution: Gemma-2 2B and 9B with CLIP at 0.75×, 1×, 1× + S2",
    blocks: [{ llms: ["gemma2-2b", "gemma2-9b"], towers: ["clip"], resolutions: [{ scale: 0.75 }, {}, { s2: true }] }],
    seeds: SEEDS,
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
  pretraining: {
    name: "pretraining",
    title: "Stage-1 data: short, dense and noisy captions (LLaMA-3.1-8B + CLIP)",
    blocks: [{ llms: ["llama3.1-8b"], towers: ["clip"], captions: ["short", "dense", "noisy"] }],
    seeds: SEEDS,
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
  calibration: {
    name: "calibration",
    title: "Calibration: each study variable moved away from the anchor (LLaMA-3.1-8B + CLIP, 1×, short captions), three seeds",
    // In the order the runs are worth having: the anchor and SigLIP first (the tower objective, finding 4),
    // then one contrast for each other variable, then the second contrasts of the family, the tower and resolution.
    blocks: [
      { llms: ["llama3.1-8b"], towers: ["clip", "siglip"] },
      // LLM family at equal size (LLaMA-3 vs LLaMA-3.1, both 8B) and size (Phi-4-mini 3.8B vs 8B).
      { llms: ["llama3-8b", "phi4-mini-3.8b"], towers: ["clip"] },
      { llms: ["llama3.1-8b"], towers: ["clip"], resolutions: [{ scale: 0.75 }] },
      { llms: ["llama3.1-8b"], towers: ["clip"], captions: ["noisy"] },
      // A second family at equal size, further from LLaMA-3.1 than LLaMA-3 is (finding 8).
      { llms: ["r1-distill-llama-8b"], towers: ["clip"] },
      { llms: ["llama3.1-8b"], towers: ["dinov2", "dinov2-reg"] },
      { llms: ["llama3.1-8b"], towers: ["clip"], resolutions: [{ s2: true }] },
      // Size within one family (Gemma-2 9B vs 2B, the ladder) and Gemma-2-9B vs LLaMA-3.1-8B (finding 3).
      { llms: ["gemma2-9b", "gemma2-2b"], towers: ["clip"] },
      // LLaVA-1.5's Vicuna against LLaMA-3.1 and Phi-4-mini (findings 1 and 2).
      { llms: ["vicuna-7b"], towers: ["clip"] },
      // The rest of the paper's findings: S2 with SigLIP (finding 7) and SigLIP2 vs CLIP with Gemma-2-9B (finding 5).
      { llms: ["llama3.1-8b"], towers: ["siglip"], resolutions: [{ s2: true }] },
      { llms: ["gemma2-9b"], towers: ["siglip2"] },
    ],
    seeds: [0, 1, 2],
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
  sizeResolution: {
    name: "sizeResolution",
    title: "LLM size × image resolution, crossed: Gemma-2-2B, LLaMA-3.1-8B, Gemma-2-9B with CLIP at 0.75×, 1×, 1× + S2, three seeds",
    // LLaMA-3.1-8B + CLIP at 1× is the calibration grid's anchor and the explorer's reference cell.
    blocks: [{ llms: ["gemma2-2b", "llama3.1-8b", "gemma2-9b"], towers: ["clip"], resolutions: [{ scale: 0.75 }, {}, { s2: true }] }],
    seeds: [0, 1, 2],
    kernels: KERNELS,
    evalLimit: NOTEBOOK_EVAL,
  },
} as const satisfies Record<string, StudyDefinition>;

export type StudyName = keyof typeof STUDY_GRIDS;
export const STUDY_NAMES = Object.keys(STUDY_GRIDS) as StudyName[];

const firstTwo = <T>(xs: readonly T[] | undefined): T[] | undefined => xs?.slice(0, 2);

/** A named grid at a preset: as defined, or shrunk for `tiny`. */
export function studyGrid(name: string, preset: Preset): StudyDefinition {
  const grid = (STUDY_GRIDS as Record<string, StudyDefinition>)[name];
  if (!grid) throw new Error(`unknown study "${name}"; expected one of ${STUDY_NAMES.join(", ")}`);
  if (preset !== "tiny") return grid;
  const blocks: GridBlock[] = grid.blocks.map((b) => ({
    llms: firstTwo(b.llms)!,
    towers: firstTwo(b.towers)!,
    ...(b.resolutions ? { resolutions: firstTwo(b.resolutions)! } : {}),
    ...(b.captions ? { captions: firstTwo(b.captions)! } : {}),
  }));
  const { kernels: _kernels, ...rest } = grid;
  return { ...rest, blocks: blocks.slice(0, 1), seeds: grid.seeds.slice(0, 2), evalLimit: 8 };
}

/** A grid read from JSON (a StudyDefinition), each field checked; errors name `where` and the field. */
export function parseStudyGrid(raw: unknown, where: string): StudyDefinition {
  const fail = (field: string, expected: string): never => {
    throw new Error(`${where}: field "${field}": expected ${expected}`);
  };
  if (typeof raw !== "object" || raw === null) fail("(top level)", "an object with name, title, blocks and seeds");
  const g = raw as Record<string, unknown>;
  if (typeof g["name"] !== "string" || !/^[\w.-]+$/.test(g["name"])) fail("name", "a file-safe string");
  if (typeof g["title"] !== "string") fail("title", "a string");
  if (!Array.isArray(g["seeds"]) || g["seeds"].length === 0 || !g["seeds"].every((x) => Number.isSafeInteger(x) && x >= 0 && x <= MAX_SEED)) fail("seeds", `a non-empty array of seeds, each ${SEED_RANGE}`);
  if (g["evalLimit"] !== undefined && !(Number.isInteger(g["evalLimit"]) && (g["evalLimit"] as number) > 0)) fail("evalLimit", "a positive integer");
  if (g["kernels"] !== undefined && !(KERNEL_MODES as readonly unknown[]).includes(g["kernels"])) fail("kernels", `one of ${KERNEL_MODES.join(", ")}, got ${JSON.stringify(g["kernels"])}`);
  if (!Array.isArray(g["blocks"]) || g["blocks"].length === 0) fail("blocks", "a non-empty array of {llms, towers, resolutions?, captions?}");
  const names: Record<string, readonly string[]> = { llms: ZOO_LLMS.map((z) => z.name), towers: VISION_FAMILIES, captions: CAPTION_STYLES };
  (g["blocks"] as unknown[]).forEach((b, i) => {
    if (typeof b !== "object" || b === null) fail(`blocks[${i}]`, "an object {llms, towers, resolutions?, captions?}");
    const block = b as Record<string, unknown>;
    for (const key of ["llms", "towers"]) if (!Array.isArray(block[key]) || (block[key] as unknown[]).length === 0) fail(`blocks[${i}].${key}`, "a non-empty array of names");
    for (const key of ["resolutions", "captions"]) if (block[key] !== undefined && !Array.isArray(block[key])) fail(`blocks[${i}].${key}`, "an array");
    for (const [key, allowed] of Object.entries(names)) {
      ((block[key] ?? []) as unknown[]).forEach((name, j) => {
        if (typeof name !== "string" || !allowed.includes(name)) fail(`blocks[${i}].${key}[${j}]`, `one of ${allowed.join(", ")}, got ${JSON.stringify(name)}`);
      });
    }
    ((block["resolutions"] ?? []) as unknown[]).forEach((r, j) => {
      const spec = r as Record<string, unknown>;
      const ok = typeof r === "object" && r !== null && Object.keys(spec).every((k) => k === "scale" || k === "s2") &&
        (spec["scale"] === undefined || (typeof spec["scale"] === "number" && spec["scale"] > 0)) && (spec["s2"] === undefined || typeof spec["s2"] === "boolean");
      if (!ok) fail(`blocks[${i}].resolutions[${j}]`, `an object {scale?: a positive multiple of the tower's side, s2?: true or false}, got ${JSON.stringify(r)}`);
    });
  });
  const grid = raw as StudyDefinition;
  expandGrid(grid);
  return grid;
}

/**
 * The cells of the size × resolution explorer at a preset: the sizeResolution grid's LLMs and
 * resolutions (as shrunk for `tiny`), each compared with LLaMA-3.1-8B + CLIP at 1×.
 */
export function sizeResolutionDesign(preset: Preset): SizeResolutionDesign {
  const [block] = studyGrid("sizeResolution", preset).blocks;
  return { preset, llms: block!.llms, resolutions: block!.resolutions ?? [{}], tower: block!.towers[0]!, captions: block!.captions?.[0] ?? "short", reference: { llm: "llama3.1-8b", resolution: {} } };
}
