/**
 * Python behaviour that lmms-eval's scorers depend on, re-implemented for strings and floats.
 * Lengths and slices count code points as Python does; whitespace is Python's `str.isspace()`
 * (JavaScript's `\s` and `trim()` differ: they leave U+001C–U+001F and U+0085 and remove U+FEFF).
 */

/** The characters Python's `str.isspace()` accepts (`str.strip()` and `str.split()` with no argument use them). */
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_IS_SPACE = new RegExp(`^[${PY_SPACE}]$`);
const PY_SPLIT = new RegExp(`[${PY_SPACE}]+`);
const isSpace = (c: string | undefined): boolean => c !== undefined && PY_IS_SPACE.test(c);

export function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python `s[start:end]` for non-negative bounds. */
export function cpSlice(s: string, start: number, end?: number): string {
  return Array.from(s).slice(start, end).join("");
}

/** Python `s.strip()`, or `s.strip(chars)`: removes any of `chars` from both ends. */
export function pyStrip(s: string, chars?: string): string {
  if (chars === undefined) {
    let a = 0;
    let b = s.length;
    while (a < b && isSpace(s[a])) a++;
    while (b > a && isSpace(s[b - 1])) b--;
    return s.slice(a, b);
  }
  const cs = Array.from(s);
  let a = 0;
  let b = cs.length;
  while (a < b && chars.includes(cs[a] as string)) a++;
  while (b > a && chars.includes(cs[b - 1] as string)) b--;
  return cs.slice(a, b).join("");
}

/** Python `s.split()`: runs of whitespace separate, no empty pieces. */
export function pySplit(s: string): string[] {
  const t = pyStrip(s);
  return t === "" ? [] : t.split(PY_SPLIT);
}

/** Python `c.isupper()` for one character: cased and upper case. */
export function pyIsUpper(c: string): boolean {
  return c !== c.toLowerCase() && c === c.toUpperCase();
}

/** Python `s.capitalize()`: first character upper case, the rest lower case. */
export function pyCapitalize(s: string): string {
  const [first = "", ...rest] = Array.from(s);
  return first.toUpperCase() + rest.join("").toLowerCase();
}

/** Python `float(s)` (strings only): decimal, exponent, `_` between digits, inf / nan; else undefined. */
export function pyFloat(s: string): number | undefined {
  const t = pyStrip(s);
  const digits = String.raw`\d(?:_?\d)*`;
  const decimal = new RegExp(String.raw`^[+-]?(?:${digits}(?:\.(?:${digits})?)?|\.${digits})(?:[eE][+-]?${digits})?$`);
  if (decimal.test(t)) return Number(t.replaceAll("_", ""));
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (!special) return undefined;
  if (special[2]?.toLowerCase() === "nan") return NaN;
  return special[1] === "-" ? -Infinity : Infinity;
}

/**
 * Python `round(x, ndigits)`: nearest decimal, exact binary ties to even. `toFixed` rounds the
 * exact binary value too but sends exact ties up, so only those need care.
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e15) return x;
  const scale = 10 ** ndigits;
  const twice = x * 2 * scale;
  // An exact tie: x = t / (2·10^d) with t odd, which is a binary fraction only when 5^d divides t.
  if (Number.isInteger(twice) && Math.abs(twice) % 2 === 1 && twice % 5 ** ndigits === 0 && twice / (2 * scale) === x) {
    const lo = Math.floor(x * scale);
    return (lo % 2 === 0 ? lo : lo + 1) / scale;
  }
  return Number(x.toFixed(ndigits));
}

/** Python `statistics.mean` of floats: the exact mean of the values, rounded once. */
export function exactMean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean of no values");
  const parts = values.map(decompose).filter((p) => p.mant !== 0n);
  if (parts.length === 0) return 0;
  const e = Math.min(...parts.map((p) => p.exp));
  let sum = 0n;
  for (const p of parts) sum += p.mant << BigInt(p.exp - e);
  return ratioToNumber(sum, BigInt(values.length), e);
}

/** x = mant · 2^exp exactly. */
function decompose(x: number): { mant: bigint; exp: number } {
  if (!Number.isFinite(x)) throw new Error(`mean of a non-finite value ${x}`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  if (biased === 0) return { mant: sign * frac, exp: -1074 };
  return { mant: sign * (frac | (1n << 52n)), exp: biased - 1075 };
}

/** num / den · 2^exp2, correctly rounded (den > 0; results are far from the subnormal range here). */
function ratioToNumber(num: bigint, den: bigint, exp2: number): number {
  if (num === 0n) return 0;
  const neg = num < 0n;
  const a = neg ? -num : num;
  const shift = 56 - (a.toString(2).length - den.toString(2).length);
  const scaledNum = shift >= 0 ? a << BigInt(shift) : a;
  const scaledDen = shift >= 0 ? den : den << BigInt(-shift);
  const q = scaledNum / scaledDen;
  // q has at least 55 bits; a sticky bit keeps Number()'s round-to-nearest-even exact.
  const sticky = scaledNum % scaledDen === 0n ? 0n : 1n;
  const k = exp2 - shift - 1;
  const value = Number((q << 1n) | sticky) * 2 ** Math.ceil(k / 2) * 2 ** Math.floor(k / 2);
  return neg ? -value : value;
}
