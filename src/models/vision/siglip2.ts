import { defineVisionTower } from "./definition.js";
import { siglip } from "./siglip.js";

/** SigLIP2 SO400M/14-384: the SigLIP architecture; what differs is its pretraining objective. */
export const siglip2 = defineVisionTower({ ...siglip, family: "siglip2", realModel: "SigLIP2 SO400M/14-384", objective: "siglip2" });
