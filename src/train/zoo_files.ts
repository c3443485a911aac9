/** Small helpers the zoo's tower and LLM entries share. */

import { mean } from "../util/stats.js";

/** A loss curve averaged down to at most `points` points. */
export function thinCurve(losses: readonly number[], points = 200): number[] {
  if (losses.length <= points) return [...losses];
  const per = losses.length / points;
  return [...Array(points).keys()].map((i) => mean(losses.slice(Math.floor(i * per), Math.floor((i + 1) * per))));
}
