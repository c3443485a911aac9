/**
 * Typed field readers for parseDoc. A field may go by our name or by the Hugging Face dataset's
 * (the `doc` lmms-eval logs); errors name the place, the field and what was expected.
 */

export type RawDoc = Record<string, unknown>;

const show = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

export function docObject(raw: unknown, where: string): RawDoc {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new Error(`${where}: doc: expected an object, found ${show(raw)}`);
  }
  return raw as RawDoc;
}

/** The first of `names` present (not undefined) in the doc, with the name it was found under. */
function pick(doc: RawDoc, names: readonly string[], where: string): [string, unknown] {
  for (const n of names) if (doc[n] !== undefined) return [n, doc[n]];
  throw new Error(`${where}: missing field ${names.map((n) => `"${n}"`).join(" or ")}`);
}

const bad = (where: string, name: string, expected: string, v: unknown): Error =>
  new Error(`${where}: field "${name}": expected ${expected}, found ${show(v)}`);

export function str(doc: RawDoc, names: readonly string[], where: string): string {
  const [n, v] = pick(doc, names, where);
  if (typeof v !== "string") throw bad(where, n, "a string", v);
  return v;
}

/** A string or null; a missing field reads as null. */
export function strOrNull(doc: RawDoc, names: readonly string[], where: string): string | null {
  const n = names.find((k) => doc[k] !== undefined);
  if (n === undefined || doc[n] === null) return null;
  if (typeof doc[n] !== "string") throw bad(where, n, "a string or null", doc[n]);
  return doc[n] as string;
}

/** An id: a string, or an integer written as its decimal string. */
export function id(doc: RawDoc, names: readonly string[], where: string): string {
  const [n, v] = pick(doc, names, where);
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  throw bad(where, n, "a non-empty string or an integer id", v);
}

/** An integer, also from a string of digits (AI2D's HF answers are "0".."3"). */
export function int(doc: RawDoc, names: readonly string[], where: string): number {
  const [n, v] = pick(doc, names, where);
  const x = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof x !== "number" || !Number.isInteger(x)) throw bad(where, n, "an integer", v);
  return x;
}

export function strList(doc: RawDoc, names: readonly string[], where: string, min = 1): string[] {
  const [n, v] = pick(doc, names, where);
  if (!Array.isArray(v) || v.length < min || !v.every((x) => typeof x === "string")) {
    throw bad(where, n, `a list of at least ${min} strings`, v);
  }
  return v as string[];
}

export function oneOf<T extends string>(doc: RawDoc, names: readonly string[], where: string, allowed: readonly T[], map = (s: string) => s): T {
  const [n, v] = pick(doc, names, where);
  const s = typeof v === "string" ? map(v) : v;
  if (typeof s !== "string" || !(allowed as readonly string[]).includes(s)) {
    throw bad(where, n, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`, v);
  }
  return s as T;
}

/** An index into a list of `length` entries. */
export function index(doc: RawDoc, names: readonly string[], where: string, length: number): number {
  const i = int(doc, names, where);
  const n = names.find((k) => doc[k] !== undefined) as string;
  if (i < 0 || i >= length) throw bad(where, n, `an index below ${length}`, i);
  return i;
}
