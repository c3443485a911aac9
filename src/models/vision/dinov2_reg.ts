import { defineVisionTower } from "./definition.js";
import { dinov2 } from "./dinov2.js";

/** DINOv2 with 4 register tokens; features drop CLS and the registers (the first 5 tokens). Trained by the DINOv2 objective. */
export const dinov2Reg = defineVisionTower({
  ...dinov2,
  family: "dinov2-reg",
  realModel: "DINOv2 ViT-L/14 with registers",
  registers: 4,
  dropLeadingTokens: 5,
  objective: "dinov2",
});
