/** Reads a Python list-of-strings literal such as MMMU's HF `options` field: "['a', \"b's\"]". */

const ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v" };

/** The strings of the literal, or undefined when it is not a list of plain string literals. */
export function parsePythonStringList(text: string): string[] | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  ws();
  if (text[i++] !== "[") return undefined;
  const out: string[] = [];
  for (;;) {
    ws();
    if (text[i] === "]") break;
    const quote = text[i++];
    if (quote !== "'" && quote !== '"') return undefined;
    let s = "";
    while (i < text.length && text[i] !== quote) {
      const c = text[i++] as string;
      if (c !== "\\") {
        s += c;
        continue;
      }
      const e = text[i++] ?? "";
      const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
      if (hex > 0) {
        const code = Number.parseInt(text.slice(i, i + hex), 16);
        if (!/^[0-9a-fA-F]+$/.test(text.slice(i, i + hex)) || Number.isNaN(code)) return undefined;
        s += String.fromCodePoint(code);
        i += hex;
      } else s += ESCAPES[e] ?? `\\${e}`;
    }
    if (text[i++] !== quote) return undefined;
    out.push(s);
    ws();
    if (text[i] === ",") i++;
    else if (text[i] !== "]") return undefined;
  }
  i++;
  ws();
  return i === text.length ? out : undefined;
}
