/** The arithmetic mean; 0 for no values (an empty loss window or no finished runs yet reads as nothing, not NaN). */
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
