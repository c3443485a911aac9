/** Model scale presets: `tiny` for tests (seconds), `small` for notebooks (minutes), `base` for a GPU. */
export const PRESETS = ["tiny", "small", "base"] as const;
export type Preset = (typeof PRESETS)[number];

/** The divisor that turns n into its nearest divisor of `of` (for head counts that must divide). */
export function closestDivisor(of: number, target: number): number {
  let best = 1;
  for (let d = 1; d <= of; d++) if (of % d === 0 && Math.abs(d - target) < Math.abs(best - target)) best = d;
  return best;
}
