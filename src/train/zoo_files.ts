/** Small helpers the zoo's tower and LLM entries share. */

export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** A loss curve averaged down to at most `points` points. */
export function thinCurve(losses: readonly number[], points = 200): number[] {
  if (losses.length <= points) return [...losses];
  const per = losses.length / points;
  return [...Array(points).keys()].map((i) => mean(losses.slice(Math.floor(i * per), Math.floor((i + 1) * per))));
}
