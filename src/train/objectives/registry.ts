/**
 * The tower pretraining objectives by name, and each tower's objective (the one its file names).
 * Adding an objective means its file and one line in OBJECTIVES; a tower that reuses one adds nothing here.
 */
import { VISION_FAMILIES, type TowerObjectiveName, type VisionFamily } from "../../models/vision/config.js";
import { visionArchitecture } from "../../models/vision/registry.js";
import { clipObjective } from "./clip.js";
import { dinov2Objective } from "./dinov2.js";
import type { TowerObjective } from "./objective.js";
import { siglipObjective } from "./siglip.js";
import { siglip2Objective } from "./siglip2.js";

/** Every objective a tower names (a tower naming one missing here does not compile), keyed by its `name`. */
export const OBJECTIVES: Record<TowerObjectiveName, TowerObjective> = {
  clip: clipObjective,
  siglip: siglipObjective,
  siglip2: siglip2Objective,
  dinov2: dinov2Objective,
};

export const TOWER_OBJECTIVES = Object.fromEntries(VISION_FAMILIES.map((family) => [family, OBJECTIVES[visionArchitecture(family).objective]])) as Record<VisionFamily, TowerObjective>;

export const towerObjective = (family: VisionFamily): TowerObjective => TOWER_OBJECTIVES[family];
