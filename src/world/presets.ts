/**
 * World presets, one per model preset. The native size is four times the largest tower resolution
 * of the preset (so S2's 3× scale is still a downsample); the text height is the one the
 * legibility probe picked (docs/world_and_benchmarks.md, "Resolution matters").
 */
import type { Preset } from "../presets.js";
import type { WorldConfig } from "./scene.js";

const common = { textHeight: 0.075, minObjects: 1, maxObjects: 5, diagramShare: 0.12, labelShare: 0.6, signShare: 0.35, repeatShare: 0.35, aspectRatios: [1, 1, 4 / 3, 3 / 4] };

export const WORLD_PRESETS: Record<Preset, WorldConfig> = {
  tiny: { ...common, nativeSize: 96 },
  small: { ...common, nativeSize: 288 },
  base: { ...common, nativeSize: 784 },
};
