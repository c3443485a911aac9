/**
 * The study's vision towers: one line per tower file, in the order of VISION_FAMILIES (run ids, zoo
 * entries and grids depend on it). Adding a tower means its file, one line here, its objective when it
 * brings a new one, and its test (test/towers/<tower>.test.ts).
 */
import { clip } from "./clip.js";
import { dinov2 } from "./dinov2.js";
import { dinov2Reg } from "./dinov2_reg.js";
import { siglip } from "./siglip.js";
import { siglip2 } from "./siglip2.js";
import { familyNames } from "../../util/object.js";

export const VISION_TOWER_DEFINITIONS = [
  clip,
  siglip,
  siglip2,
  dinov2,
  dinov2Reg,
] as const;

type Definitions = typeof VISION_TOWER_DEFINITIONS;

/** The tower names, in definition order (a tuple of their literal types). */
export const VISION_FAMILIES = familyNames(VISION_TOWER_DEFINITIONS);
export type VisionFamily = (typeof VISION_FAMILIES)[number];

/** The names of the objectives the towers declare; train/objectives/registry.ts implements each. */
export type TowerObjectiveName = Definitions[number]["objective"];
