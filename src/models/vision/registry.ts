/**
 * The vision towers of the study, built from the tower files' definitions (towers.ts lists them).
 * Adding a tower means its file, one line in towers.ts, its objective when new, and its test.
 */
import { buildVisionConfig, VISION_FAMILIES, type VisionArchitecture, type VisionConfig, type VisionFamily } from "./config.js";
import { VISION_TOWER_DEFINITIONS } from "./towers.js";
import type { Preset } from "../../presets.js";

export const VISION_ARCHITECTURES = Object.fromEntries(VISION_TOWER_DEFINITIONS.map((d): [VisionFamily, VisionArchitecture] => [d.family, d])) as Record<VisionFamily, VisionArchitecture>;

export function visionArchitecture(family: string): VisionArchitecture {
  const arch = (VISION_ARCHITECTURES as Record<string, VisionArchitecture>)[family];
  if (!arch) throw new Error(`unknown vision tower "${family}"; expected one of ${VISION_FAMILIES.join(", ")}`);
  return arch;
}

export const visionConfig = (family: VisionFamily, preset: Preset): VisionConfig => buildVisionConfig(visionArchitecture(family), preset);
