/** Each vision tower's own pretraining objective. Adding a tower means one objective file and one entry here. */
import type { VisionFamily } from "../../models/vision/config.js";
import { clipObjective } from "./clip.js";
import { dinov2Objective } from "./dinov2.js";
import type { TowerObjective } from "./objective.js";
import { siglipObjective } from "./siglip.js";
import { siglip2Objective } from "./siglip2.js";

export const TOWER_OBJECTIVES: Record<VisionFamily, TowerObjective> = {
  clip: clipObjective,
  siglip: siglipObjective,
  siglip2: siglip2Objective,
  dinov2: dinov2Objective,
  "dinov2-reg": dinov2Objective,
};

export const towerObjective = (family: VisionFamily): TowerObjective => TOWER_OBJECTIVES[family];
