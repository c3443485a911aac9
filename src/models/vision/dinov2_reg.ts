import type { VisionArchitecture } from "./config.js";
import { dinov2 } from "./dinov2.js";

/** DINOv2 with 4 register tokens; features drop CLS and the registers (the first 5 tokens). */
export const dinov2Reg: VisionArchitecture = {
  ...dinov2,
  family: "dinov2-reg",
  realModel: "DINOv2 ViT-L/14 with registers",
  registers: 4,
  dropLeadingTokens: 5,
};
