/** What the zoo's tower and LLM entries share: the entry's manifest and small helpers. */

import { mean } from "../util/stats.js";

/** A loss curve averaged down to at most `points` points. */
export function thinCurve(losses: readonly number[], points = 200): number[] {
  if (losses.length <= points) return [...losses];
  const per = losses.length / points;
  return [...Array(points).keys()].map((i) => mean(losses.slice(Math.floor(i * per), Math.floor((i + 1) * per))));
}

export interface ZooEntryManifest {
  kind: "tower" | "llm";
  name: string;
  key: string;
  objective: string;
  summary: string;
  data: string;
  steps: number;
  batchSize: number;
  seed: number;
  backend: string;
  finalLoss: number;
  finalTerms: Record<string, number>;
  /** Loss of every step, thinned to at most 200 points (for the notebook's curves). */
  lossCurve: number[];
  probes: Record<string, number>;
  parameters: number;
  bytes: number;
  seconds: number;
}
