/** Scale presets shared by the world, the data, the models and the protocol: `tiny` for tests (seconds), `small` for notebooks (minutes), `base` for a GPU. */
export const PRESETS = ["tiny", "small", "base"] as const;
export type Preset = (typeof PRESETS)[number];
