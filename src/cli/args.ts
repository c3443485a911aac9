/**
 * The command line's one argument module: the `Command` every group file defines its commands as, `show`
 * for the paths a command prints, and the option parsers (`oneOf`, `count`, `str`) they all read flags with.
 */
import { relative } from "node:path";

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
