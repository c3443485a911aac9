/**
 * The command line's one argument module: the `Command` every group file defines its commands as, `show`
 * for the paths a command prints, and the option parsers (`oneOf`, `count`, `seedOption`, `str`) they all read flags with.
 */
import { relative } from "node:path";
import { MAX_SEED, SEED_RANGE } from "../util/random.js";

/** A command's parsed flags, as node:util's parseArgs gives them. */
export type Values = Record<string, string | boolean | undefined>;

export interface CommandOption {
  type: "string" | "boolean";
  description: string;
}

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, CommandOption>;
  run(values: Values, positionals: string[]): Promise<number>;
}

/** A path as the command prints it: relative to the working folder. */
export const show = (path: string): string => relative(process.cwd(), path) || path;

/** --flag's value, one of `allowed`; `fallback` when not given. */
export function oneOf<T extends string>(flag: string, value: string | boolean | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) throw new Error(`--${flag}: expected one of ${allowed.join(", ")}, got ${value === undefined ? "nothing" : `"${String(value)}"`}`);
  return value as T;
}

/** --flag's value, an integer ≥ min (`expected` says so in the error); `fallback` when not given. */
export function count(flag: string, value: string | boolean | undefined, fallback: number | undefined, min = 0, expected = `an integer ≥ ${min}`): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < min) throw new Error(`--${flag}: expected ${expected}, got "${String(value)}"`);
  return n;
}

/** --flag's value when it is a string. */
export const str = (value: string | boolean | undefined): string | undefined => (typeof value === "string" ? value : undefined);

/**
 * --flag's value as a seed: an integer from 0 to MAX_SEED (`expected` words the error for other text);
 * `fallback` when not given. Written out in full, so "1e3" or a number past 2^53 is refused, not rounded.
 */
export function seedOption(flag: string, value: string | boolean | undefined, fallback: number | undefined, expected?: string): number | undefined {
  const n = count(flag, value, fallback, 0, expected);
  if (n === undefined || value === undefined) return n;
  if (!/^\d+$/.test(String(value)) || n > MAX_SEED) throw new Error(`--${flag}: expected ${SEED_RANGE}, got "${String(value)}"`);
  return n;
}
