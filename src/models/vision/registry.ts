/** The vision towers of the study. Adding one means one architecture file and one entry here. */
import { buildVisionConfig, VISION_FAMILIES, type VisionArchitecture, type VisionConfig, type VisionFamily } from "./config.js";
import { clip } from "./clip.js";
import { dinov2 } from "./dinov2.js";
import { dinov2Reg } from "./dinov2_reg.js";
import { siglip } from "./siglip.js";
import { siglip2 } from "./siglip2.js";
import type { Preset } from "../../presets.js";

export const VISION_ARCHITECTURES: Record<VisionFamily, VisionArchitecture> = {
  clip,
  siglip,
  siglip2,
  dinov2,
  "dinov2-reg": dinov2Reg,
};

export function visionArchitecture(family: string): VisionArchitecture {
  const arch = (VISION_ARCHITECTURES as Record<string, VisionArchitecture>)[family];
  if (!arch) throw new Error(`unknown vision tower "${family}"; expected one of ${VISION_FAMILIES.join(", ")}`);
  return arch;
}

export const visionConfig = (family: VisionFamily, preset: Preset): VisionConfig => buildVisionConfig(visionArchitecture(family), preset);
